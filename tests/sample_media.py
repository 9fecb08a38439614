"""The sample media `opgraph samples` draws (engine/samples.py), for the tests."""

from __future__ import annotations

from pathlib import Path

from engine import samples

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_GRAPH = ROOT / "graphs" / "video-sample-boxes.yml"


def moving_boxes(folder: Path) -> tuple[Path, Path]:
    """The sample video of three moving boxes and its detections JSON, written to ``folder``."""
    video, dets = folder / "moving-boxes.mp4", folder / "moving-boxes.det.json"
    if not video.exists():
        samples.moving_boxes(video, dets)
    return video, dets
