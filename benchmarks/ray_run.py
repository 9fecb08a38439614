"""Ray beside one process: ``opgraph run --dataset`` and an app's indexing, per input.

    .venv/bin/python benchmarks/ray_run.py                    # 20,000 + 4,000 inputs, ~2-3 min
    .venv/bin/python benchmarks/ray_run.py --inputs 100000    # the issue's size for the run
    .venv/bin/python benchmarks/ray_run.py --address auto     # a running Ray cluster
    .venv/bin/python benchmarks/ray_run.py --url postgresql://USER@HOST/DB   # your server

Run: a 5-node workflow over short texts (a regex classifier, three concept-thresholders in
a chain, the hashing text-embedder), by ``engine.dataset_run.run_dataset`` from a JSON Lines
file into a results file: once with ``engine="local"``, once with ``engine="ray"`` and
``--workers`` actors on a local Ray (``ray.init(num_cpus=workers)``).  Printed: wall time
and time per input, the driver's CPU time per input (what one driver can feed), Ray's
start-up apart (``ray.init`` once; then each run's own: until its first results come back,
the actors starting and compiling the workflow), the driver's memory, and the results
compared input by input.

Index: ``App.add_inputs`` of ``--index-inputs`` texts with a hashing-embedder base workflow,
in-process into SQLite, in-process into PostgreSQL, and with ``engine="ray"`` into
PostgreSQL (a throw-away server started in a temporary folder on 127.0.0.1, as the tests
do, unless ``--url``), with the same start-up split; the apps' search vectors are compared
input by input.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import dataset_run
from engine.app import App
from engine.workflow import Workflow


def _flow() -> str:
    wf = Workflow("five")
    concepts = [{"id": "red"}, {"id": "blue"}]
    wf.add("regex-based-classifier", id="cls", params={"regex": "red|blue", "concepts": concepts})
    prev = "cls"
    for i in range(3):
        red = [{"id": "red", "value": 0.5}]
        params = {"concept_threshold_type": "GREATER_THAN", "concepts": red}
        prev = wf.add("concept-thresholder", id=f"t{i}", inputs=[prev], params=params)
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf.to_yaml()


def _text(i: int) -> str:
    colours = ("red", "blue", "green")
    return f"input {i}: a {colours[i % 3]} car parked by house {i * 7}"


def _dataset(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"x{i}", "data": {"text": {"raw": _text(i)}}}) + "\n")


def _rss_mib() -> tuple[float, float]:
    """(now, peak) resident memory of this process, MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    now = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Clock:
    """Wall time and this process's CPU time (the driver's share of the work)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


class _FirstDone:
    """When the first results of a run came back, and how many: the time after it is the
    steady state, with every actor up (wraps ``fn``, the function that takes results)."""

    def __init__(self, owner: Any, name: str, count: Any) -> None:
        self.at: float | None = None
        self.n = 0
        self._owner, self._name = owner, name
        original = getattr(owner, name)

        def wrapped(*a: Any, **kw: Any) -> Any:
            out = original(*a, **kw)
            if self.at is None:
                self.at, self.n = time.perf_counter(), count(a, out)
            return out

        self._original = original
        setattr(owner, name, wrapped)

    def close(self) -> None:
        setattr(self._owner, self._name, self._original)


def _timed(engine: str, data: Path, out: Path, **kw: Any) -> tuple[_Clock, float, int]:
    """The run's clock, and (seconds, inputs) after its first results were written."""
    first = _FirstDone(dataset_run, "_write", lambda a, _: len(a[1]))
    try:
        with _Clock() as clock:
            dataset_run.run_dataset(
                _flow(), str(data), out, engine=engine, show_progress=False, **kw
            )
        end = time.perf_counter()
    finally:
        first.close()
    return clock, end - (first.at or end), first.n


_HEAD = f"{'':<40}{'wall s':>10}{'us/input':>12}{'driver CPU us/input':>22}"


def _row(label: str, clock: _Clock | float, n: int | None = None) -> None:
    wall = clock if isinstance(clock, float) else clock.wall
    per = f"{wall / n * 1e6:>12,.0f}" if n else f"{'':>12}"
    cpu = f"{clock.cpu / n * 1e6:>22,.0f}" if n and isinstance(clock, _Clock) else ""
    print(f"{label:<40}{wall:>10.1f}{per}{cpu}")


# ---- the run -----------------------------------------------------------------------------


def _run_part(args: argparse.Namespace, folder: Path) -> None:
    data = folder / "in.jsonl"
    _dataset(data, args.inputs)
    before = _rss_mib()[0]
    local = _timed("local", data, folder / "local.jsonl", batch_size=args.batch)[0]
    after_local = _rss_mib()
    distributed, steady, first = _timed(
        "ray", data, folder / "ray.jsonl", workers=args.workers, batch_size=args.batch
    )
    after_ray = _rss_mib()
    same = (folder / "local.jsonl").read_text() == (folder / "ray.jsonl").read_text()
    n = args.inputs
    print(f"\nRun: {n:,} text inputs, 5-node workflow, batches of {args.batch}")
    print(_HEAD)
    _row("in-process", local, n)
    _row(f"Ray, {args.workers} workers", distributed, n)
    _row("  start-up: actors up, first unit back", distributed.wall - steady)
    _row(f"  after it (the other {n - first:,} inputs)", steady, n - first)
    print(
        f"driver RSS MiB: {before:.0f} before, {after_local[0]:.0f} after in-process, "
        f"{after_ray[0]:.0f} after Ray (peak {after_ray[1]:.0f})"
    )
    print(f"results equal input by input: {same}")


# ---- indexing ----------------------------------------------------------------------------


def _base() -> Workflow:
    wf = Workflow("hashing-base")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf


def _inputs(n: int) -> list[dict[str, Any]]:
    return [{"id": f"i{i}", "data": {"text": {"raw": _text(i)}}} for i in range(n)]


def _index(where: str, n: int, batch: int, **kw: Any) -> tuple[_Clock, dict[str, bytes]]:
    """The time to add ``n`` inputs, and the app's search vector of each input."""
    items = _inputs(n)
    with App(where, _base(), batch_size=batch) as app:
        with _Clock() as clock:
            app.add_inputs(items, progress=False, **kw)
        _, ids, matrix = app._core.store.load_vectors(app._core.generation(), 0)
    return clock, {i: row.round(6).tobytes() for i, row in zip(ids, matrix, strict=True)}


def _index_part(args: argparse.Namespace, folder: Path, pg_url: str) -> None:
    n, b = args.index_inputs, args.index_batch
    sqlite, v_sqlite = _index(str(folder / "sqlite-app"), n, b)
    pg, v_pg = _index(f"{pg_url}?schema=bench_{uuid.uuid4().hex[:12]}", n, b)

    from engine.run.ray_runner import RayRunner

    first = _FirstDone(RayRunner, "_collect", lambda a, _: len(a[2]))
    try:
        where = f"{pg_url}?schema=bench_{uuid.uuid4().hex[:12]}"
        ray_pg, v_ray = _index(where, n, b, engine="ray", workers=args.workers)
        end = time.perf_counter()
    finally:
        first.close()
    steady = end - (first.at or end)
    print(f"\nIndex: App.add_inputs of {n:,} texts, hashing-embedder base, {b} per transaction")
    print(_HEAD)
    _row("in-process -> SQLite", sqlite, n)
    _row("in-process -> PostgreSQL", pg, n)
    _row(f"Ray, {args.workers} workers -> PostgreSQL", ray_pg, n)
    _row("  start-up: actors up, first batch back", ray_pg.wall - steady)
    _row(f"  after it (the other {n - first.n:,} inputs)", steady, n - first.n)
    same = len(v_sqlite) == n and v_sqlite == v_pg == v_ray
    print(f"index vectors equal input by input (SQLite, PostgreSQL, Ray): {same}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=20_000, help="inputs of the run")
    parser.add_argument("--index-inputs", type=int, default=4_000, help="inputs indexed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256, help="inputs per unit of the run")
    parser.add_argument("--index-batch", type=int, default=128, help="inputs per transaction")
    parser.add_argument("--address", help="a Ray cluster (default: a local one)")
    parser.add_argument("--url", help="a PostgreSQL server (default: start one on 127.0.0.1)")
    args = parser.parse_args(argv)
    import ray

    print("reproduce: .venv/bin/python benchmarks/ray_run.py " + shlex.join(argv or sys.argv[1:]))
    print(f"load average {os.getloadavg()[0]:.1f} at the start (compare within a table)")
    folder = Path(tempfile.mkdtemp(prefix="opgraph-ray-bench-"))
    t = time.perf_counter()
    ray.init(
        address=args.address,
        num_cpus=None if args.address else args.workers,
        include_dashboard=False,
        log_to_driver=False,
    )
    print(f"ray.init: {time.perf_counter() - t:.1f} s (once; not in the figures below)")
    server = None
    try:
        if args.inputs:
            _run_part(args, folder)
        if args.index_inputs:
            server, url = _postgres(args.url)
            _index_part(args, folder, url)
    finally:
        ray.shutdown()
        if server is not None:
            server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def _postgres(url: str | None) -> tuple[Any, str]:
    if url is not None:
        return None, url.split("?")[0]
    from tests.postgres_server import PostgresServer

    server = PostgresServer()
    reason = server.missing()
    if reason is not None:
        raise SystemExit(f"no PostgreSQL: {reason}; or give --url, or --index-inputs 0")
    server.start()
    return server, server.url()


if __name__ == "__main__":
    main()
