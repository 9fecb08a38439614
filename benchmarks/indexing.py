"""Indexing throughput: short texts into an app with the default (hashing) text embedder.

The text-embedder's default, ``auto``, is hashing unless the optional semantic extra is
installed; the benchmark pins ``--model hashing`` so it measures the same thing everywhere
(``--model hybrid`` or ``all-minilm-l6-v2`` measure the semantic ones).

    .venv/bin/python benchmarks/indexing.py               # 100,000 texts in rounds of 10,000
    .venv/bin/python benchmarks/indexing.py --total 20000

Each round is one ``app.add_inputs`` call: parse, store, run the built-in ``text`` base
workflow (the text-embedder node through the executor), index the vectors, commit.  The
table prints texts/s and the process's resident memory after each round: the app does not
hold inputs or vectors in memory while adding (vectors are loaded for search only), so RSS
stays flat however large the app grows.  The goal is at least 2,000 texts/s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from engine import App, Workflow

GOAL = 2000.0
_WORDS = (
    "machinery repairs budget audit fiscal year total spent disbursed quarter invoice "
    "maintenance pump valve engine spare parts supplier cost overhaul inspection report "
    "warehouse forklift conveyor belt motor bearing replacement schedule downtime shift"
).split()


def _texts(n: int, rng: random.Random) -> list[dict[str, object]]:
    """Short texts (8-16 words, about 80 characters), like chunks of notes or tickets."""
    return [
        {"text": {"raw": " ".join(rng.choices(_WORDS, k=rng.randint(8, 16))) + f" #{i}"}}
        for i in range(n)
    ]


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--round", type=int, default=10_000)
    parser.add_argument("--model", default="hashing", help="text-embedder model")
    args = parser.parse_args()
    base = Workflow("text-base")
    base.add("text-embedder", id="embed", params={"model": args.model})
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp, App(Path(tmp) / "app", base_workflow=base) as app:
        app.add_inputs(_texts(10, rng))  # warm-up: compile and first write
        print(f"{'stored':>9} {'texts/s':>9} {'RSS MiB':>9}")
        rates = []
        while app.count_inputs() < args.total:
            batch = _texts(args.round, rng)
            t = time.perf_counter()
            app.add_inputs(batch, progress=False)
            rates.append(len(batch) / (time.perf_counter() - t))
            print(f"{app.count_inputs():>9,} {rates[-1]:>9,.0f} {_rss_mib():>9.0f}")
        t = time.perf_counter()
        app.search(text="spare parts for the conveyor motor")
        load = time.perf_counter() - t
        median = sorted(rates)[len(rates) // 2]
        print(
            f"median {median:,.0f} texts/s (goal {GOAL:,.0f}: "
            f"{'met' if median >= GOAL else 'NOT met'}); first search, loading "
            f"{app.count_inputs():,} vectors: {load:.2f} s"
        )


if __name__ == "__main__":
    main()
