"""The crop benchmark compares like with like: the operator's crops are the baseline's pixels."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "crop_throughput.py"


@pytest.fixture(scope="module")
def ct() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crop_throughput_bench", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_operator_crops_are_the_baseline_pixels(ct: ModuleType) -> None:
    from engine import Context

    data = ct.make_input()
    op = ct.ImageCrop(ct.ImageCrop.Params(margin=ct.MARGIN))
    crops = ct.operator_crops(op, data, Context(root=data))
    assert len(crops) == ct.N


def test_a_shifted_cut_is_caught(ct: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import Context

    data = ct.make_input()
    op = ct.ImageCrop(ct.ImageCrop.Params(margin=ct.MARGIN))
    real = ct.numpy_slices
    # same shapes, different pixels: a shape-only check would pass this
    monkeypatch.setattr(ct, "numpy_slices", lambda d, copy: [np.roll(c, 1) for c in real(d, copy)])
    with pytest.raises(AssertionError, match="different pixels"):
        ct.operator_crops(op, data, Context(root=data))
