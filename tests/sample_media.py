"""The sample media `make example` draws (examples/make_media.py), made once per test session."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_GRAPH = ROOT / "graphs" / "video-sample-boxes.yml"


def make_media() -> ModuleType:
    """examples/make_media.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_media", ROOT / "examples" / "make_media.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def moving_boxes(folder: Path) -> tuple[Path, Path]:
    """The sample video of three moving boxes and its detections JSON, written to ``folder``."""
    video, dets = folder / "moving-boxes.mp4", folder / "moving-boxes.det.json"
    if not video.exists():
        make_media().moving_boxes(video, dets)
    return video, dets
