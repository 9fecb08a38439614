"""The app search benchmark runs end to end (tiny sizes) and prints old and new side by side."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_app_search_benchmark_prints_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("search_app", _DIR / "search_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.main(["--inputs", "200", "--repeat", "2", "--add", "20", "--app", str(tmp_path / "a")])
    out = capsys.readouterr().out
    for row in ("unfiltered", "metadata filter", "dataset filter", "filter only", "first search"):
        assert row in out
