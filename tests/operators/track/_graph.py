"""Helpers for the tracker tests: scripted detections, a replay video and the YAML graph."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from engine import Data, Image, Workflow
from tests.factories import region

W, H = 320, 240


def det(cx: float, cy: float, score: float = 0.9, w: float = 30, h: float = 60) -> list[float]:
    """One detection row x1, y1, x2, y2, score, class in pixels."""
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, 0]


def frame_data(boxes: list[tuple[float, float, float, float]], score: float = 0.9) -> Data:
    """One frame for an operator's process(): a 400x200 image and fractional-box regions."""
    img = Image.from_array(np.zeros((200, 400, 3), np.uint8))
    return Data(image=img, regions=[region(b, {"person": score}, value=score) for b in boxes])


def frames_of(*rows: list[list[float]]) -> list[np.ndarray]:
    return [np.asarray(r, dtype=np.float64).reshape(-1, 6) for r in rows]


def crossing(n: int = 40) -> list[np.ndarray]:
    """A walks right, B walks left, their boxes overlap half-way through."""
    return frames_of(*[[det(60 + 5 * k, 100), det(260 - 5 * k, 115)] for k in range(n)])


def ids_by_side(outputs: list[np.ndarray]) -> tuple[set[int], set[int]]:
    """Track ids of the object coming from the left (moving right) and from the right."""
    seen = next(o for o in outputs if len(o) == 2)
    first = {int(r[4]): r[0] for r in seen}
    left = min(first, key=lambda t: first[t])
    right = max(first, key=lambda t: first[t])
    return {left}, {right}


def write_replay(tmp_path: Path, frames: list[np.ndarray], name: str = "v") -> tuple[Path, Path]:
    """A black video with one frame per entry, and a JSON detections file for it."""
    video = tmp_path / f"{name}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H))
    for _ in frames:
        writer.write(np.zeros((H, W, 3), np.uint8))
    writer.release()
    table = {str(k): [{"box": r[:4].tolist(), "score": float(r[4]), "label": "person"}
                      for r in f] for k, f in enumerate(frames)}
    dets = tmp_path / f"{name}.json"
    dets.write_text(json.dumps(table))
    return video, dets


def tracker_yaml(type_id: str, dets: Path, params: str = "{}") -> str:
    return f"""
workflow:
  id: track
  nodes:
    - id: detect
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {{path: '{dets}'}}
    - id: track
      model:
        model_id: tracker
        model_type_id: {type_id}
        output_info:
          params: {params}
      node_inputs:
        - node_id: detect
"""


def track_ids(
    wf: Workflow, videos: list[Path], sample_ms: int = 100
) -> list[list[list[str | None]]]:
    """Per video, per frame, the track ids the tracker node reported."""
    resp = wf.predict([str(v) for v in videos], sample_ms=sample_ms)
    out = []
    for result in resp.results:
        frames = result.outputs[1].data.frames
        out.append([[r.track_id for r in f.data.regions] if f.data else [] for f in frames])
    return out
