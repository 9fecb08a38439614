"""Runs the hostile corpus: one forked process per case, from one warmed-up parent.

    python -m tests.hostile.runner [--only TEXT] [--report R.json] [--findings F.md]

Per case the parent checks what the case cannot see itself: a Python traceback anywhere on
its stderr, a hang (killed after the case's time bound), a crash (killed by a signal, no
result), and its peak memory (``ru_maxrss`` of that process alone, from ``wait4``; an
address-space limit stops a runaway allocation before it takes the machine down).

The time bound counts the case's own time, not the machine's load: the seconds the case's
threads sat ready to run while other processes held every CPU (the kernel's run-queue wait,
``/proc/PID/task/TID/schedstat``) are taken off its wall-clock age.  A case blocked for
good (a FIFO, a server that never answers) waits on no run queue, so it is stopped after its
bound as before; a looping one is stopped once it has run that long; a legitimately slow
case on a machine at load 30 is no longer taken for a hang.  ``MAX_STRETCH`` times the
bound stops anything, whatever the load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.hostile.harness import Case, Ctx, install_guards

__all__ = ["MAX_STRETCH", "Outcome", "cpu_wait_s", "over_time", "run_corpus"]

MEMORY_LIMIT = 1 << 30  # the bound each case must stay under (peak RSS)
MAX_STRETCH = 20.0  # a case is stopped after this many times its bound of wall-clock time
_AS_HEADROOM = 3 << 29  # address space beyond the parent's, so a bomb fails instead of paging
_TRACEBACK = "Traceback (most recent call last)"
_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    id: str
    klass: str
    owner: str
    repro: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_mb: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _warm_up() -> None:
    # everything a case needs, imported once so that each fork starts warm
    import cv2  # noqa: F401
    import numpy  # noqa: F401
    import regex  # noqa: F401
    import yaml  # noqa: F401

    import engine.app
    import engine.cli
    import engine.workflow  # noqa: F401
    from engine.operator import operator_types

    operator_types()


def _vm_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 30


def _child(case: Case, work: Path, port: int, api_port: int, slot: Path) -> None:
    """Runs in the forked process; never returns."""
    code = 0
    try:
        os.setpgid(0, 0)
        limit = _vm_bytes() + _AS_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        out, err = slot.with_suffix(".out"), slot.with_suffix(".err")
        for fd, path in ((1, out), (2, err)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(work / "cwd")
        ctx = Ctx(case.id, work, port, out, err, api_port)
        install_guards(ctx)
        problems = list(case.run(ctx) or [])
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.flush()
        memory = isinstance(exc, MemoryError)
        problems = [f"{'memory' if memory else 'traceback'}: {type(exc).__name__}: {exc}"[:300]]
    try:
        slot.with_suffix(".json").write_text(json.dumps(problems))
    except BaseException:
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _finish(case: Case, slot: Path, status: int, usage: Any, seconds: float,
            hung: bool) -> Outcome:
    outcome = Outcome(case.id, case.klass, case.owner, case.repro, seconds=seconds)
    outcome.peak_mb = usage.ru_maxrss / 1024 if usage is not None else 0.0
    err = slot.with_suffix(".err")
    err_text = err.read_text(errors="replace") if err.exists() else ""
    result = slot.with_suffix(".json")
    if hung:
        outcome.problems.append(f"hang: still running after {case.timeout_s:g} s of its own "
                                f"time ({seconds:.1f} s of wall-clock time)")
    elif result.exists():
        outcome.problems.extend(json.loads(result.read_text()))
    else:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        outcome.problems.append(f"crash: no result (signal {sig}, status {status})")
    if _TRACEBACK in err_text and not any(p.startswith("traceback") for p in outcome.problems):
        last = [ln for ln in err_text.splitlines() if ln.strip()][-1:]
        outcome.problems.append(f"traceback: {' '.join(last)[:240]}")
    if "MemoryError" in err_text or "Insufficient memory" in err_text:
        outcome.problems.append("memory: an allocation failed at the address-space limit")
    if outcome.peak_mb * (1 << 20) > MEMORY_LIMIT:
        outcome.problems.append(f"memory: peak {outcome.peak_mb:.0f} MB over 1024 MB")
    return outcome


def run_corpus(cases: list[Case], work: Path, port: int, jobs: int,
               api_port: int = 0) -> list[Outcome]:
    slots = work / "slots"
    slots.mkdir(exist_ok=True)
    (work / "cwd").mkdir(exist_ok=True)
    pending = list(enumerate(cases))[::-1]
    running: dict[int, tuple[int, Case, float]] = {}
    outcomes: dict[int, Outcome] = {}
    while pending or running:
        while pending and len(running) < jobs:
            n, case = pending.pop()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(case, work, port, api_port, slots / f"{n:04d}")
            running[pid] = (n, case, time.monotonic())
        _reap(running, outcomes, slots)
    return [outcomes[n] for n in range(len(cases))]


def _reap(running: dict[int, tuple[int, Case, float]], outcomes: dict[int, Outcome],
          slots: Path) -> None:
    pid, status, usage = os.wait4(-1, os.WNOHANG)
    if pid in running:
        n, case, start = running.pop(pid)
        outcomes[n] = _finish(case, slots / f"{n:04d}", status, usage,
                              time.monotonic() - start, False)
        return
    now = time.monotonic()
    for pid, (n, case, start) in list(running.items()):
        if over_time(pid, now - start, case.timeout_s):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, usage = os.wait4(pid, 0)
            running.pop(pid)
            outcomes[n] = _finish(case, slots / f"{n:04d}", status, usage, now - start, True)
    time.sleep(0.01)


def over_time(pid: int, age_s: float, bound_s: float) -> bool:
    """Whether the case in process group ``pid`` has run ``age_s`` of wall-clock time past
    its bound once the time it waited for a CPU is taken off (see the module's docstring)."""
    if age_s <= bound_s:
        return False
    return age_s > bound_s * MAX_STRETCH or age_s - cpu_wait_s(pid) > bound_s


def cpu_wait_s(pgid: int) -> float:
    """The longest run-queue wait of any thread in process group ``pgid`` (the case and the
    processes it started), in seconds; 0 where the kernel does not report it."""
    waited = 0
    for pid in _group(pgid):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    waited = max(waited, int(f.read().split()[1]))
            except (OSError, ValueError, IndexError):
                continue
    return waited / 1e9


def _group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (the case's children too)."""
    found = [pgid]
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        if pid != pgid:
            try:
                if os.getpgid(pid) == pgid:
                    found.append(pid)
            except OSError:
                continue
    return found


class _Server:
    def __init__(self, work: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.servers", str(work)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=_ROOT,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Api:
    """``opgraph serve`` under the corpus's guards, with one app for the API cases."""

    def __init__(self, work: Path) -> None:
        from tests.hostile.corpus_api import API_APP

        data = work / "serve"
        data.mkdir()
        self.port, grpc_port = _free_port(), _free_port()
        with (data / "serve.err").open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.hostile.api_server", str(data), str(self.port),
                 str(grpc_port)], stdout=subprocess.DEVNULL, stderr=err, cwd=_ROOT,
            )
        base = f"http://127.0.0.1:{self.port}/v2/users/me/apps"
        body = json.dumps({"apps": [{"id": API_APP}]}).encode()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                req = urllib.request.Request(base, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5):
                    return
            except OSError:
                time.sleep(0.3)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    from tests.hostile.corpus import build_corpus
    from tests.hostile.report import findings_markdown

    p = argparse.ArgumentParser(prog="python -m tests.hostile.runner")
    p.add_argument("--only", default="", help="run the cases whose id contains this")
    p.add_argument("--report", help="write every outcome here as JSON")
    p.add_argument("--findings", help="write the failing cases here as Markdown")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--skip", help="a file of case ids (one a line) not to run")
    p.add_argument("--time-scale", type=float,
                   default=float(os.environ.get("OPGRAPH_HOSTILE_TIME_SCALE", "1")),
                   help="multiply every case's time bound (a slow or busy machine)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(_ROOT))  # this tree's engine, wherever the cases chdir to
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="opgraph-hostile-") as tmp:
        work = Path(tmp)
        server = _Server(work)
        try:
            skip = set(Path(args.skip).read_text().split()) if args.skip else set()
            every = build_corpus(work, server.port)
            cases = [replace(c, timeout_s=c.timeout_s * args.time_scale) for c in every
                     if args.only in c.id and c.id not in skip]
            started = time.monotonic()
            api = _Api(work) if any(c.id.startswith("api/") for c in cases) else None
            try:
                outcomes = run_corpus(cases, work, server.port, args.jobs,
                                      api.port if api else 0)
            finally:
                if api is not None:
                    api.close()
            took = time.monotonic() - started
        finally:
            server.close()
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"FAIL {o.id} [{o.owner}]: {'; '.join(o.problems)}")
    print(f"{len(outcomes)} cases, {len(failed)} failing, {took:.0f} s "
          f"(load {os.getloadavg()[0]:.2f})")
    if args.report:
        report = {"cases": {c.id: c.klass for c in every},
                  "outcomes": [o.__dict__ for o in outcomes], "seconds": took}
        Path(args.report).write_text(json.dumps(report, indent=1))
    if args.findings:
        Path(args.findings).write_text(findings_markdown(outcomes, took))
    return 0


if __name__ == "__main__":
    sys.exit(main())
