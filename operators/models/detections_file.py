"""``detections-file``: replay detections recorded in a file instead of running a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from engine import Context, Data, InputError, LocalPath, Operator, geometry, register
from operators.models._common import (
    Detections,
    OutputFilterParams,
    keep_detections,
    regions_from_detections,
)

__all__ = ["DetectionsFile"]

_Table = dict[int, tuple[np.ndarray, list[str]]]  # frame -> (rows x1,y1,x2,y2,score,id; labels)


@register
class DetectionsFile(Operator):
    """A stand-in detector that replays detections from a file, for evaluations and benchmarks.

    Nothing is inferred: each frame gets the detections the file lists for it, so a
    workflow (a tracker, a counter) can be measured on fixed input, or the engine itself
    timed with no model in the way.  Two formats:

    - MOT challenge text: ``frame, id, x, y, w, h, conf, ...`` in pixels, frames from 1;
    - JSON: ``{"<frame>": [{"box": [x1, y1, x2, y2], "score": 0.9, "label": "car",
      "id": 7}, ...]}`` (or that mapping under ``"frames"``), frames from 0.

    A video frame is found by its sampled index (``ctx.frame_index``), or by its time when
    ``fps`` is set (use that when ``sample_ms`` skips frames); a still image is frame 0.
    Outputs regions like ``visual-detector``.

    Reads ``image`` (for its size); writes ``regions``.
    """

    type_id = "detections-file"

    class Params(OutputFilterParams):
        path: LocalPath = Field(
            description="the MOT .txt or JSON file to replay (relative: to the workflow file's "
            "folder)"
        )
        format: Literal["auto", "mot", "json"] = Field(
            "auto", description="file format; auto: .json is JSON, anything else MOT"
        )
        first_frame: int | None = Field(
            None, ge=0, description="the file's number for the first frame (MOT 1, JSON 0)"
        )
        fps: float | None = Field(
            None, gt=0, description="look frames up by time x fps instead of sampled index"
        )
        box_units: Literal["pixels", "fractions"] = Field(
            "pixels", description="whether the file's boxes are pixels or fractions of the image"
        )
        label: str = Field("object", description="concept for detections the file gives none")
        keep_ids: bool = Field(False, description="copy the file's ids to region track_id")
        max_detections: int = Field(1000, ge=1, description="keep at most this many per frame")

        @field_validator("path")
        @classmethod
        def _exists(cls, v: str) -> str:
            if not Path(v).expanduser().is_file():
                raise ValueError(f"no detections file at {v!r}")
            return v

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.concepts")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: DetectionsFile.Params = params
        path = Path(params.path).expanduser()
        is_json = params.format == "json" or (params.format == "auto" and path.suffix == ".json")
        self._table = _read_json(path, params.label) if is_json else _read_mot(path, params.label)
        first = params.first_frame
        self._first = first if first is not None else (0 if is_json else 1)

    def process(self, data: Data, ctx: Context) -> Data | None:
        rows, labels = self._table.get(self._frame(ctx), (np.zeros((0, 6)), []))
        boxes = rows[:, :4]
        if self.params.box_units == "pixels":
            w, h = _image_size(data, ctx)
            boxes = geometry.to_fractions(boxes, w, h)
        ids = [str(int(i)) if self.params.keep_ids and i >= 0 else None for i in rows[:, 5]]
        dets = Detections(boxes, rows[:, 4], labels, ids)
        kept = keep_detections(dets, self.params, self.params.max_detections)
        return Data(regions=regions_from_detections(kept))

    def _frame(self, ctx: Context) -> int:
        if self.params.fps is not None and ctx.frame_time_ms is not None:
            return round(ctx.frame_time_ms * self.params.fps / 1000.0) + self._first
        return (ctx.frame_index or 0) + self._first


def _image_size(data: Data, ctx: Context) -> tuple[int, int]:
    image = data.image
    if image is None:
        raise InputError(
            f"node '{ctx.node_id}' replays pixel boxes and needs the image for its size, "
            "but its input has none"
        )
    info = image.image_info
    if info is not None and info.width and info.height:
        return info.width, info.height
    h, w = image.array.shape[:2]
    return int(w), int(h)


def _read_mot(path: Path, label: str) -> _Table:
    rows: dict[int, list[list[float]]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            vals = [float(v) for v in line.replace(" ", "").split(",")]
        except ValueError:
            msg = f"{path}:{lineno}: not a MOT line (numbers separated by commas)"
            raise ValueError(msg) from None
        if len(vals) < 6:
            raise ValueError(f"{path}:{lineno}: a MOT line needs frame, id, x, y, w, h")
        frame, tid, x, y, w, h = vals[:6]
        conf = vals[6] if len(vals) > 6 else 1.0
        rows.setdefault(int(frame), []).append([x, y, x + w, y + h, conf, tid])
    return {f: (np.asarray(r, dtype=np.float64), [label] * len(r)) for f, r in rows.items()}


def _read_json(path: Path, label: str) -> _Table:
    doc: Any = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and "frames" in doc:
        doc = doc["frames"]
    if not isinstance(doc, (dict, list)):
        raise ValueError(f"{path}: expected a mapping of frame -> detections")
    items = enumerate(doc) if isinstance(doc, list) else doc.items()
    table: _Table = {}
    for frame, dets in items:
        rows = [_json_row(d, path) for d in dets]
        table[int(frame)] = (
            np.asarray(rows, dtype=np.float64).reshape(-1, 6),
            [str(d.get("label", label)) for d in dets],
        )
    return table


def _json_row(det: Any, path: Path) -> list[float]:
    if not isinstance(det, dict) or len(det.get("box", ())) != 4:
        raise ValueError(f"{path}: each detection needs 'box': [x1, y1, x2, y2]")
    tid = det.get("id")
    score = float(det.get("score", 1.0))
    return [*map(float, det["box"]), score, float(-1 if tid is None else tid)]
