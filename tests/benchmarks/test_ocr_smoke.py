"""The OCR benchmark measures what it says: edit distance, accuracy, pages it can read."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ocr.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ocr_bench", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("é ü", "e u", 2),
        ("same text", "same text", 0),
    ],
)
def test_levenshtein(bench: ModuleType, a: str, b: str, distance: int) -> None:
    assert bench.levenshtein(a, b) == distance
    assert bench.levenshtein(b, a) == distance


def test_accuracy_counts_characters_and_optionally_spaces(bench: ModuleType) -> None:
    truth = ["Total due 12.50", "Thank you"]
    assert bench.char_accuracy(truth, truth) == (0, 25)
    assert bench.char_accuracy(["Totaldue 12.50", "Thank you"], truth) == (1, 25)
    assert bench.char_accuracy(["Totaldue 12.50", "Thank you"], truth, spaces=False) == (0, 22)
    assert bench.char_accuracy([], truth) == (25, 25)


def test_pages_are_drawn_the_same_every_run(bench: ModuleType) -> None:
    a, b = bench.make_pages(2), bench.make_pages(2)
    assert [p.lines for p in a] == [p.lines for p in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert a[0].image.ndim == 3 and a[0].image.dtype == np.uint8


def test_measure_scores_a_perfect_and_a_blind_reader(bench: ModuleType) -> None:
    pages = bench.make_pages(2)
    truth = {id(p.image): list(p.lines) for p in pages}
    result = bench.measure(pages, {"perfect": lambda img: truth[id(img)], "blind": lambda img: []})
    assert result["perfect"]["accuracy"] == 1.0
    assert result["blind"]["accuracy"] == 0.0


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("rapidocr_onnxruntime") is None, reason="no ocr extra"
)
def test_ours_reads_a_drawn_page(bench: ModuleType) -> None:
    page = bench.make_pages(1)[0]
    result = bench.measure([page], {"opgraph": bench.ours()})
    assert result["opgraph"]["accuracy"] >= 0.9
