"""The corpus runner's time bound: a case's own time, not the machine's load.

Each scenario runs the runner on a few small cases in a fresh interpreter (the runner forks
one process per case; pytest's own process is never forked).  The load is made here: busy
processes pinned to the CPU the case is pinned to, so the case waits on a run queue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.runner import cpu_wait_s, over_time

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
from tests.hostile.harness import Case
from tests.hostile.runner import run_corpus

BURNERS = int(sys.argv[1])

def pinned_work(ctx):  # about 0.3 s of CPU, on CPU 0 beside the burners
    os.sched_setaffinity(0, {0})
    end = time.thread_time() + 0.3
    while time.thread_time() < end:
        pass
    return []

def blocked(ctx):  # waits for ever and uses no CPU: a hang whatever the load
    time.sleep(3600)

def spinning(ctx):  # loops for ever: a hang once it has run past its bound
    os.sched_setaffinity(0, {0})
    while True:
        pass

cases = [Case("work", "t", "t", pinned_work, timeout_s=1.0),
         Case("blocked", "t", "t", blocked, timeout_s=0.5),
         Case("spinning", "t", "t", spinning, timeout_s=0.5)]
burn = "import os; os.sched_setaffinity(0, {0})\\nwhile True: pass"
burners = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(BURNERS)]
try:
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_corpus(cases, Path(tmp), 0, jobs=3)
finally:
    for b in burners:
        b.kill()
        b.wait()
print(json.dumps({o.id: [o.problems, o.seconds] for o in outcomes}))
"""


def _run(burners: int) -> dict[str, tuple[list[str], float]]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(burners)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got: dict[str, tuple[list[str], float]] = json.loads(proc.stdout.splitlines()[-1])
    return got


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/schedstat").exists(), reason="needs Linux schedstat")
def test_a_case_slowed_by_load_is_no_hang_but_a_blocked_or_looping_one_is() -> None:
    # given 5 busy processes on the CPU a case doing 0.3 s of work is pinned to (bound 1 s)
    got = _run(burners=5)
    problems, seconds = got["work"]
    # then it took longer than its bound on the wall clock, and that is not a hang
    assert seconds > 1.0, got  # the load really stretched it (else this proves nothing)
    assert problems == [], got
    # and a case blocked for ever or looping for ever is still stopped as a hang
    assert got["blocked"][0] and got["blocked"][0][0].startswith("hang:"), got
    assert got["spinning"][0] and got["spinning"][0][0].startswith("hang:"), got


def test_the_bound_is_the_case_own_time() -> None:
    # a sleeping process in a group of its own waits on no run queue
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert not over_time(proc.pid, age_s=0.5, bound_s=1.0)
        assert over_time(proc.pid, age_s=10.0, bound_s=1.0)
        assert cpu_wait_s(proc.pid) < 1.0
    finally:
        proc.kill()
        proc.wait()
    assert over_time(os.getpid(), age_s=25.0, bound_s=1.0)  # past MAX_STRETCH whatever waited
    assert cpu_wait_s(2**22 + 12345) == 0.0  # no such process
