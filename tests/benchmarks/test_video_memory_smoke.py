"""The video memory benchmark's modes on a 3-second small video, so the script cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "video_memory.py"


@pytest.fixture(scope="module")
def vm() -> ModuleType:
    spec = importlib.util.spec_from_file_location("video_memory_bench", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["predict", "predict, as objects", "--stream"])
def test_each_mode_runs_every_frame(vm: ModuleType, tmp_path: Path, mode: str) -> None:
    video, dets, n = vm._small_video(tmp_path, 0.05, 3)  # 30 frames
    r = vm.run_mode(mode, video, dets, n)
    assert r["status"] == 10000 and r["frames"] == n
    assert set(r["rss"]) == {"10", "50", "100"}
    assert r["kept"] == (0 if mode == "--stream" else n)
    assert (r["stored_bytes"] > 0) == (mode == "predict")
