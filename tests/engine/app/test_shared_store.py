"""One app in PostgreSQL written by several processes at once, searched from another."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from engine.app import App
from tests.engine.app.conftest import hashing_base

_N = 40  # inputs per writer, committed 8 at a time: the writers' transactions interleave


def _text(prefix: str, i: int) -> str:
    return f"{prefix} writer input number {i} {prefix}{i * 7919}"


def _add(url: str, prefix: str, barrier: Any, out: Any) -> None:
    try:
        with App(url, batch_size=8) as app:
            barrier.wait()
            inputs = [
                {"id": f"{prefix}-{i}", "data": {"text": {"raw": _text(prefix, i)}}}
                for i in range(_N)
            ]
            ids = app.add_inputs(inputs)
            out.put((prefix, len(ids)))
    except Exception as exc:  # reported to the test, which fails with it
        out.put((prefix, f"{type(exc).__name__}: {exc}"))


def _search(url: str, probes: list[str], out: Any) -> None:
    with App(url) as app:
        found = []
        for text in probes:
            hits = app.search(text=text, per_page=1).hits
            found.append((hits[0].input.id, round(hits[0].score, 4)) if hits else None)
        out.put((app.count_inputs(), found))


@pytest.mark.slow
def test_two_writers_at_once_then_a_third_process_finds_both_sets(postgres: Any) -> None:
    url = postgres.new_url()
    mine = App(url, base_workflow=hashing_base())
    mine.add_inputs([{"id": "seed", "data": {"text": {"raw": "the first input"}}}])
    assert mine.search(text="the first input").hits[0].input.id == "seed"  # index loaded

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    writers = [ctx.Process(target=_add, args=(url, p, barrier, out)) for p in ("a", "b")]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert sorted(out.get(timeout=5) for _ in writers) == [("a", _N), ("b", _N)]

    probes = [_text(p, i) for p in ("a", "b") for i in (0, 17, _N - 1)]
    reader = ctx.Process(target=_search, args=(url, probes, out))
    reader.start()
    reader.join(120)
    count, found = out.get(timeout=5)
    assert count == 2 * _N + 1
    expected = [f"{p}-{i}" for p in ("a", "b") for i in (0, 17, _N - 1)]
    assert [f[0] for f in found] == expected and all(f[1] == 1.0 for f in found)

    # the index this process loaded before the writes is topped up, not reloaded
    mine._search.refresh()
    index = mine._search._index
    everyone = ["seed", *(f"{p}-{i}" for p in ("a", "b") for i in range(_N))]
    assert index is not None and sorted(index.ids) == sorted(everyone)
    assert mine.search(text=_text("b", 5)).hits[0].input.id == "b-5"
    mine.close()
