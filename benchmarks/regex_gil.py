"""regex-based-classifier: the cost of releasing the GIL around one match, by text size.

    .venv/bin/python benchmarks/regex_gil.py [--repeat 5] [--number 2000]

For each text size it prints microseconds per call: ``released`` (the GIL released for every
match, as before), ``held`` (never released) and ``ours`` (``search_within``: held for up
to ``HOLD_S``, released from ``RELEASE_GIL_FROM`` characters on), the best of ``--repeat``
rounds in one run, for a literal pattern and for one that does work at every character;
once alone, once beside a busy Python thread (a server's other work), where a match that
released the GIL waits to take it back.  It is what sets ``RELEASE_GIL_FROM``: the size at
which a simple match takes about a millisecond.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import timeit
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import regex

from operators.predict.regex_based_classifier import (
    HOLD_S,
    RELEASE_GIL_FROM,
    search_within,
)

SIZES = (16, 1024, 16384, 262144, 1 << 20)
PATTERNS = (r"\bNew York\b", r"[A-Z][a-z]+ York")


def _search(pattern: Any, text: str, concurrent: bool) -> object:
    return pattern.search(text, timeout=1.0, concurrent=concurrent)


def _best_us(call: partial[object], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def _busy_us(call: partial[object], number: int, repeat: int) -> float:
    """``_best_us`` beside a thread that runs Python code all the time."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass

    t = threading.Thread(target=spin)
    t.start()
    try:
        return _best_us(call, number, repeat)
    finally:
        stop.set()
        t.join()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--number", type=int, default=2000)
    a = p.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# .venv/bin/python benchmarks/regex_gil.py {' '.join(sys.argv[1:])}  (load {load})")
    print(f"# RELEASE_GIL_FROM = {RELEASE_GIL_FROM} characters")
    print(f"# HOLD_S = {HOLD_S}")
    head = f"{'pattern':<18} {'chars':>8}"
    print(f"{head} {'released':>9} {'held':>9} {'ours':>9} | busy: {'released':>9} {'held':>9} "
          f"{'ours':>9}   (us per match)")
    for source in PATTERNS:
        pattern = regex.compile(source)
        for size in SIZES:
            text = ("lorem Ipsum " * (size // 12 + 1))[:size]
            n = max(5, a.number * 256 // max(size, 256))
            calls = (partial(_search, pattern, text, True), partial(_search, pattern, text, False),
                     partial(search_within, pattern, text, 1.0))
            quiet = [_best_us(c, n, a.repeat) for c in calls]
            busy = [_busy_us(c, max(5, n // 10), a.repeat) for c in calls]
            row = " ".join(f"{x:>9.2f}" for x in quiet)
            print(f"{source:<18} {size:>8} {row} | busy: " + " ".join(f"{x:>9.2f}" for x in busy))

if __name__ == "__main__":
    main()
