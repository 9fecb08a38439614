"""The store benchmark runs end to end (tiny sizes) and prints both backends side by side."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.mark.slow
def test_the_store_benchmark_prints_every_row(
    postgres: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # by its package name: the benchmark's writer processes import it again by that name
    module = importlib.import_module("benchmarks.store")
    module.main(["--inputs", "40", "--batch", "16", "--repeat", "1", "--url", postgres.url()])
    out = capsys.readouterr().out
    assert "SQLite" in out and "PostgreSQL" in out
    for row in ("add_inputs", "store.write", "2 writer processes", "text rank", "first after"):
        assert row in out
