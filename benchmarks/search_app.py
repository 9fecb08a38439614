"""App search at 100k inputs: filtered, filter-only and after an add, old path beside new.

    .venv/bin/python benchmarks/search.py app                   # 100,000 inputs, ~2-4 min
    .venv/bin/python benchmarks/search.py app --inputs 20000    # a quick run
    .venv/bin/python benchmarks/search.py app --app /tmp/bench  # keep (and reuse) the app

The app stores short texts through ``app.add_inputs`` with the ``text`` base workflow (the
hashing text-embedder, 384-d), each with metadata ``{"group": i % 10, "meta": {"shard":
...}}`` and every tenth input in dataset ``d0``; so a metadata or dataset filter keeps 10%.
Every figure is the median of ``--repeat`` searches, each with a fresh query text.

"old path" is the code this replaces, run on the same database in the same process:
filters as ``json_extract`` over every stored input (``store.filter_input_ids``), the
kept ids handed to ``VectorIndex.search`` as candidates; and, after an add, a reload of
every vector.  A filter-only search did not exist before (it was refused).

Goals (issue 9): filtered <= 1.5x unfiltered; first search after adding 1,000 inputs
<= 2x a warm search; filter-only < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.app import App
from engine.store.index import VectorIndex

WORDS = (
    "red blue green bucket spade garden water porch cat dog budget repair machinery quarter "
    "report invoice window kitchen table chair river mountain city train ticket coffee"
).split()


def _text(i: int) -> str:
    return " ".join(WORDS[(i * k + k * k) % len(WORDS)] for k in range(1, 10))


def _inputs(start: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"in-{i}",
            "data": {
                "text": {"raw": _text(i)},
                "metadata": {"group": i % 10, "meta": {"shard": f"s{i % 10}"}},
            },
        }
        for i in range(start, start + n)
    ]


def _build(app: App, n: int) -> None:
    have = app.count_inputs()
    t = time.perf_counter()
    for start in range(have, n, 10_000):
        chunk = _inputs(start, min(10_000, n - start))
        tenth = [x for x in chunk if int(x["id"][3:]) % 10 == 0]
        rest = [x for x in chunk if int(x["id"][3:]) % 10 != 0]
        app.add_inputs(tenth, dataset_id="d0", progress=False)
        app.add_inputs(rest, progress=False)
    if n > have:
        print(f"stored {n - have:,} inputs in {time.perf_counter() - t:.0f} s")


def _median_ms(fn: Callable[[int], object], repeat: int) -> float:
    times = []
    for r in range(repeat):
        t = time.perf_counter()
        fn(r)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _old_search(app: App, text: str, datasets: list[str], meta: dict[str, Any] | None) -> None:
    """The replaced path: json_extract filter over every input, then candidate ids."""
    store = app._store
    candidates = store.filter_input_ids(datasets, meta) if datasets or meta else None
    query = app._search._embed_query(text, None)
    app._search._vectors().search(query, 10, candidates)


def _old_reload(app: App) -> None:
    """The replaced path after a change: every vector read again into a new index."""
    index = VectorIndex()
    _, ids, matrix = app._store.load_vectors(app._core.generation(), 0)
    index.add(ids, matrix)


def run(app: App, repeat: int, added: int = 1000) -> None:
    rank = lambda r: [{"text_raw": f"{WORDS[r % len(WORDS)]} {WORDS[(3 * r) % len(WORDS)]}"}]  # noqa: E731
    meta = {"meta": {"shard": "s3"}}
    app.search(ranks=rank(0), per_page=10)  # loads the vectors
    by_meta = [{"metadata": meta}]
    by_dataset = [{"input_dataset_ids": ["d0"]}]

    def new(filters: list[dict[str, Any]] | None) -> Callable[[int], object]:
        return lambda r: app.search(ranks=rank(r), filters=filters, per_page=10)

    def old(datasets: list[str], m: dict[str, Any] | None) -> Callable[[int], object]:
        return lambda r: _old_search(app, rank(r)[0]["text_raw"], datasets, m)

    rows = [
        ("unfiltered", new(None), old([], None)),
        ("metadata filter (10%)", new(by_meta), old([], meta)),
        ("dataset filter (10%)", new(by_dataset), old(["d0"], None)),
    ]
    print(f"\n{'search (p50 of ' + str(repeat) + ')':<34}{'old path':>12}{'new':>12}")
    base_new = base_old = 0.0
    for name, new, old in rows:
        o, n = _median_ms(old, repeat), _median_ms(new, repeat)
        base_new, base_old = (n, o) if name == "unfiltered" else (base_new, base_old)
        print(f"{name:<34}{o:>9.1f} ms{n:>9.1f} ms   ratio to unfiltered: old "
              f"{o / base_old:.1f}x, new {n / base_new:.2f}x")  # fmt: skip
    only = _median_ms(lambda r: app.search(filters=[{"metadata": {"group": r % 10}}]), repeat)
    print(f"{'filter only, metadata, newest first':<34}{'refused':>12}{only:>9.1f} ms")
    only_ds = _median_ms(lambda r: app.search(filters=[{"input_dataset_ids": ["d0"]}]), repeat)
    print(f"{'filter only, dataset':<34}{'refused':>12}{only_ds:>9.1f} ms")
    _after_add(app, rank, repeat, added)


def _after_add(
    app: App, rank: Callable[[int], list[dict[str, Any]]], repeat: int, added: int
) -> None:
    warm = _median_ms(lambda r: app.search(ranks=rank(r), per_page=10), repeat)
    start = app.count_inputs() + 10_000_000  # ids never used by the build
    own, other = [], []
    with App(app.path) as writer:  # another App object: as another process would add
        for k in range(5):
            for adder, firsts in ((app, own), (writer, other)):
                adder.add_inputs(_inputs(start, added), progress=False)
                start += added
                t = time.perf_counter()
                app.search(ranks=rank(k), per_page=10)
                firsts.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    _old_reload(app)
    reload_ms = (time.perf_counter() - t) * 1000 + warm
    for name, firsts in (("this App added", own), ("another App added", other)):
        first = statistics.median(firsts)
        label = f"first search, {name} {added:,}"
        print(
            f"{label:<34}{reload_ms:>9.1f} ms{first:>9.1f} ms   "
            f"(warm {warm:.1f} ms: old {reload_ms / warm:.1f}x, new {first / warm:.2f}x)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--app", type=Path, help="app directory to build (or reuse)")
    parser.add_argument("--add", type=int, default=1000, help="inputs added before a search")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared: compare within a row)")
    with tempfile.TemporaryDirectory() as tmp:
        with App(args.app or Path(tmp) / "app", base_workflow="text") as app:
            _build(app, args.inputs)
            print(f"{app.count_inputs():,} inputs")
            run(app, args.repeat, args.add)


if __name__ == "__main__":
    main()
