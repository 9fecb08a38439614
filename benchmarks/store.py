"""The app store, SQLite beside PostgreSQL: adding inputs, writers in parallel, search latency.

    .venv/bin/python benchmarks/store.py                      # 10,000 inputs, ~2-4 min
    .venv/bin/python benchmarks/store.py --inputs 2000        # a quick run
    .venv/bin/python benchmarks/store.py --url postgresql://USER@HOST/DB   # a server of yours

Without ``--url`` the benchmark starts a throw-away PostgreSQL on 127.0.0.1 (initdb in a
temporary folder, as the tests do; Debian's ``postgresql`` package, ``make setup``), with
``fsync=off``, so both backends skip waiting on the disk and the figures compare the stores'
own work.  Each backend gets a new app with the hashing ``text-embedder`` as base workflow.

Rows, each measured on both backends in the same run:
- ``add_inputs``: N short texts with metadata, ``batch_size`` per transaction (embedding
  included: the same work on both sides);
- ``store.write``: the same N inputs' records and vectors written straight to the store (no
  workflow), the store's own cost per input;
- ``2 writer processes``: two processes adding N/2 inputs each into one app at once;
- searches (median of ``--repeat``): a text rank, a rank with a metadata filter, a
  filter-only page, and the first search after another process added 100 inputs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.app import App
from engine.store import IndexRecord, InputRecord, WriteBatch
from engine.store._app_support import open_store
from engine.workflow import Workflow

WORDS = (
    "red blue green bucket spade garden water porch cat dog budget repair machinery quarter "
    "report invoice window kitchen table chair river mountain city train ticket coffee"
).split()


def _base() -> Workflow:
    wf = Workflow("hashing-base")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf


def _inputs(prefix: str, start: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}{i}",
            "data": {
                "text": {"raw": " ".join(WORDS[(i * k + k * k) % len(WORDS)] for k in range(1, 8))},
                "metadata": {"group": i % 10},
            },
        }
        for i in range(start, start + n)
    ]


def _add(where: str, prefix: str, n: int, batch: int) -> float:
    t = time.perf_counter()
    with App(where, batch_size=batch) as app:
        app.add_inputs(_inputs(prefix, 0, n), progress=False)
    return time.perf_counter() - t


def _writer(where: str, prefix: str, n: int, batch: int, barrier: Any, out: Any) -> None:
    with App(where, batch_size=batch) as app:
        barrier.wait()
        t = time.perf_counter()
        app.add_inputs(_inputs(prefix, 0, n), progress=False)
        out.put(time.perf_counter() - t)


def _two_writers(where: str, n: int, batch: int) -> float:
    """Wall time for two processes adding n/2 inputs each into one app at once."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(where, p, n // 2, batch, barrier, out))
        for p in ("w1-", "w2-")
    ]
    for p in procs:
        p.start()
    times = [out.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
    return max(times)


def _store_writes(where: str, n: int, batch: int) -> float:
    """Seconds to write n inputs with a 384-d vector each straight into the store."""
    import numpy as np

    store = open_store(where, {"generation": "1"})
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for start in range(0, n, batch):
        ids = [f"s{i}" for i in range(start, min(n, start + batch))]
        vectors = rng.standard_normal((len(ids), 384)).astype(np.float32)
        records = [InputRecord(i, {"text": {"raw": i}}, metadata={"g": 1}) for i in ids]
        index = [IndexRecord(i, v, "embed") for i, v in zip(ids, vectors, strict=True)]
        store.write(WriteBatch(1, inputs=records, index=index))
    elapsed = time.perf_counter() - t
    store.close()
    return elapsed


def _median_ms(fn: Callable[[int], object], repeat: int) -> float:
    times = []
    for r in range(repeat):
        t = time.perf_counter()
        fn(r)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _searches(where: str, repeat: int) -> dict[str, float]:
    app = App(where)
    app.search(text="warm up")  # loads the vector index
    out = {
        "search: text rank": _median_ms(lambda r: app.search(text=f"red cat {r}"), repeat),
        "search: rank + metadata filter": _median_ms(
            lambda r: app.search(
                ranks=[{"text_raw": f"blue dog {r}"}],
                filters=[{"input": {"data": {"metadata": {"group": r % 10}}}}],
            ),
            repeat,
        ),
        "search: filter only (a page)": _median_ms(
            lambda r: app.search(filters=[{"input": {"data": {"metadata": {"group": r % 10}}}}]),
            repeat,
        ),
    }
    _add(where, "late-", 100, 100)  # another App object: as another process would
    t = time.perf_counter()
    app.search(text="river train")
    out["search: first after 100 added"] = (time.perf_counter() - t) * 1000
    app.close()
    return out


def _run(where: dict[str, Callable[[], str]], n: int, batch: int, repeat: int) -> None:
    rows: dict[str, dict[str, str]] = {}
    for name, new in where.items():
        app_at = new()
        App(app_at, base_workflow=_base()).close()
        secs = _add(app_at, "in-", n, batch)
        rows.setdefault(f"add_inputs, {n:,} (us/input)", {})[name] = f"{secs / n * 1e6:,.0f}"
        secs = _store_writes(new(), n, batch)
        rows.setdefault(f"store.write, {n:,} (us/input)", {})[name] = f"{secs / n * 1e6:,.0f}"
        two_at = new()
        App(two_at, base_workflow=_base()).close()
        secs = _two_writers(two_at, n, batch)
        rows.setdefault("2 writer processes (inputs/s)", {})[name] = f"{n / secs:,.0f}"
        for label, ms in _searches(app_at, repeat).items():
            rows.setdefault(f"{label} (ms)", {})[name] = f"{ms:.1f}"
    print(f"\n{'':<40}" + "".join(f"{k:>14}" for k in where))
    for label, values in rows.items():
        print(f"{label:<40}" + "".join(f"{values.get(k, '-'):>14}" for k in where))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=128, help="inputs per transaction")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", help="a PostgreSQL server (default: start one on 127.0.0.1)")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared: compare within a row)")
    server = None
    if args.url is None:
        from tests.postgres_server import PostgresServer

        server = PostgresServer()
        reason = server.missing()
        if reason is not None:
            raise SystemExit(f"no PostgreSQL: {reason}; or give --url")
        server.start()
        base_url = server.url()
    else:
        base_url = args.url.split("?")[0]
    folder = Path(tempfile.mkdtemp(prefix="opgraph-store-bench-"))
    where = {
        "SQLite": lambda: str(folder / uuid.uuid4().hex[:8]),
        "PostgreSQL": lambda: f"{base_url}?schema=bench_{uuid.uuid4().hex[:12]}",
    }
    try:
        _run(where, args.inputs, args.batch, args.repeat)
    finally:
        if server is not None:
            server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
