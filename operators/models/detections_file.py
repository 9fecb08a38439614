"""``detections-file``: replay detections recorded in a file instead of running a model."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from engine import Context, Data, InputError, LocalPath, Operator, geometry, limits, register
from operators.models._common import (
    Detections,
    OutputFilterParams,
    keep_detections,
    regions_from_detections,
)

__all__ = ["DetectionsFile"]

_log = logging.getLogger(__name__)
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
        text = _read(path)
        self._table = _read_json(text, path, params.label) if is_json else _read_mot(
            text, path, params.label
        )
        first = params.first_frame
        self._first = first if first is not None else (0 if is_json else 1)

    def process(self, data: Data, ctx: Context) -> Data | None:
        rows, labels = self._table.get(self._frame(ctx), (np.zeros((0, 6)), []))
        boxes = rows[:, :4]
        if self.params.box_units == "pixels":
            w, h = _image_size(data, ctx)
            boxes = geometry.to_fractions(boxes, w, h)
        ids = None
        if self.params.keep_ids:
            ids = [str(int(i)) if i >= 0 else None for i in rows[:, 5].tolist()]
        dets = Detections(boxes, rows[:, 4], labels, ids)
        kept = keep_detections(dets, self.params, self.params.max_detections)
        return Data(regions=regions_from_detections(kept))

    def _frame(self, ctx: Context) -> int:
        if self.params.fps is not None and ctx.frame_time_ms is not None:
            return round(ctx.frame_time_ms * self.params.fps / 1000.0) + self._first
        if ctx.frame_number is not None and ctx.frame_number != ctx.frame_index:
            self._warn_once(ctx)
        return (ctx.frame_index or 0) + self._first

    def _warn_once(self, ctx: Context) -> None:
        if ctx.state.get("warned"):
            return
        ctx.state["warned"] = True
        _log.warning(
            "node '%s' (detections-file): fps is not set, so frames are looked up by their "
            "sampled index, but sampled frame %s is the video's frame %s: the video's frame "
            "rate differs from sample_ms, and the replayed boxes belong to other frames; set "
            "fps to the frame rate the file was recorded at",
            ctx.node_id,
            ctx.frame_index,
            ctx.frame_number,
        )


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


def _read(path: Path) -> str:
    """The file's text, bounded in size; errors name the file, never its content."""
    limit = limits.get_limits().data_bytes
    try:
        limits.check_file_param(str(path), limit)  # the roots again: the file may have been swapped
        return limits.decode_text(limits.read_file(path, limit))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        if len(exc.args) == 3:  # not UTF-8 text, at a position
            raise ValueError(f"{path}:{exc.args[1]}:{exc.args[2]}: {exc.args[0]}") from None
        raise ValueError(f"cannot read {path}: {exc}") from None


def _read_mot(text: str, path: Path, label: str) -> _Table:
    rows: dict[int, list[list[float]]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            vals = [float(v) for v in line.replace(" ", "").split(",")]
        except ValueError:
            msg = f"{path}:{lineno}: not a MOT line (numbers separated by commas)"
            raise ValueError(msg) from None
        if len(vals) < 6 or not all(math.isfinite(v) for v in vals):
            raise ValueError(f"{path}:{lineno}: a MOT line needs frame, id, x, y, w, h (finite)")
        frame, tid, x, y, w, h = vals[:6]
        conf = vals[6] if len(vals) > 6 else 1.0
        rows.setdefault(int(frame), []).append([x, y, x + w, y + h, conf, tid])
    return {f: (np.asarray(r, dtype=np.float64), [label] * len(r)) for f, r in rows.items()}


def _read_json(text: str, path: Path, label: str) -> _Table:
    try:
        doc: Any = limits.load_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:  # nested too deeply
        raise ValueError(f"{path}:{exc.args[1]}:{exc.args[2]}: {exc.args[0]}") from None
    if isinstance(doc, dict) and "frames" in doc:
        doc = doc["frames"]
    if not isinstance(doc, (dict, list)):
        raise ValueError(f"{path}: expected a mapping of frame -> detections")
    items = enumerate(doc) if isinstance(doc, list) else doc.items()
    table: _Table = {}
    for frame, dets in items:
        where = f"{path}: frame {_name(frame)}"
        number = _frame_number(frame)
        if number is None or not isinstance(dets, list):
            raise ValueError(f"{where}: frames are numbers, each with a list of detections")
        rows = [_json_row(d, f"{where}, detection {k}") for k, d in enumerate(dets)]
        table[number] = (
            np.asarray(rows, dtype=np.float64).reshape(-1, 6),
            [str(d.get("label", label)) for d in dets],
        )
    return table


def _name(frame: Any) -> str:
    """A frame key as the error names it: a number as given, anything else not echoed."""
    return str(frame) if _frame_number(frame) is not None else "(not a number)"


def _frame_number(frame: Any) -> int | None:
    if isinstance(frame, int):
        return frame
    text = str(frame)
    return int(text) if text.isdigit() and len(text) < 12 else None


def _json_row(det: Any, where: str) -> list[float]:
    box = det.get("box") if isinstance(det, dict) else None
    if not isinstance(box, list) or len(box) != 4:
        raise ValueError(f"{where}: each detection needs 'box': [x1, y1, x2, y2]")
    tid, score = det.get("id"), det.get("score", 1.0)
    values = [*box, score, -1 if tid is None else tid]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{where}: box, score and id must be numbers")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{where}: box, score and id must be finite numbers")
    return [float(v) for v in values]
