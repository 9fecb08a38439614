"""YOLO heads that carry more than a box and class scores per row: segmentation (mask
coefficients) and pose (keypoints).

YOLOv8-style exports give ``[1, 4 + C + E, N]`` (box, classes, extra columns); YOLOv5-style
ones give ``[1, N, 5 + C + E]`` (box, objectness, classes, extra).  The extra columns follow
the class scores in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine import ConceptSpec, geometry

__all__ = ["HeadRows", "check_head", "decode_head", "head_rows", "keep_best"]

_MAX_ROWS = 1_000_000  # candidate rows a head may give (8400 for a 640 x 640 YOLOv8)
_MAX_PROBE = 50_000_000  # elements of a declared output shape checked by decoding zeros


class HeadRows:
    """Decoded candidates: xyxy boxes in model-input pixels, scores, classes, extra columns."""

    def __init__(
        self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, extra: np.ndarray
    ) -> None:
        self.boxes, self.scores, self.classes, self.extra = boxes, scores, classes, extra

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, idx: np.ndarray) -> HeadRows:
        return HeadRows(self.boxes[idx], self.scores[idx], self.classes[idx], self.extra[idx])


def head_rows(out: np.ndarray, n_labels: int, n_extra: int) -> tuple[np.ndarray, bool]:
    """``(N, 4[+1] + C + E)`` rows, and whether they carry an objectness column.

    With labels the row width decides the layout; without, the longer axis is the candidate
    axis (there are far more candidates than columns) and its layout decides objectness.
    """
    if out.ndim == 3 and out.shape[0] == 1:
        arr = out[0]
    elif out.ndim == 2:
        arr = out
    else:
        raise ValueError(f"model output {list(out.shape)} is not one [1, rows, columns] table")
    if arr.size > _MAX_ROWS * 1024:
        raise ValueError(f"model output {list(out.shape)} is too large to decode")
    if n_labels:
        for rows in (arr, arr.T):
            if rows.shape[1] in (5 + n_labels + n_extra, 4 + n_labels + n_extra):
                return rows, rows.shape[1] == 5 + n_labels + n_extra
        raise ValueError(
            f"model output {list(out.shape)} fits neither [N, 5+{n_labels}+{n_extra}] nor "
            f"[4+{n_labels}+{n_extra}, N] ({n_labels} labels, {n_extra} extra columns)"
        )
    rows, has_objectness = (arr.T, False) if arr.shape[0] < arr.shape[1] else (arr, True)
    if rows.shape[1] < (5 if has_objectness else 4) + n_extra + 1:
        raise ValueError(
            f"model output {list(out.shape)} has no room for a box, a class score and "
            f"{n_extra} extra columns"
        )
    return rows, has_objectness


def check_head(shape: list[int | None], n_labels: int, n_extra: int) -> None:
    """Refuse, when the model loads, a declared output shape these rows can never fit."""
    if len(shape) not in (2, 3):
        raise ValueError(f"model output {[d if d else '?' for d in shape]} is not a YOLO "
                         f"table ([1, 4+C+{n_extra}, N] or [1, N, 5+C+{n_extra}])")
    if any(d is None for d in shape):
        return  # dynamic axes: checked on the first image
    static = [int(d) for d in shape if d is not None]
    if int(np.prod(static)) <= _MAX_PROBE:
        head_rows(np.zeros(static, dtype=np.float32), n_labels, n_extra)


def decode_head(
    out: np.ndarray, n_labels: int, n_extra: int, score_min: float, nms_threshold: float
) -> HeadRows:
    """Candidates scoring at least ``score_min``, after per-class NMS, best first."""
    rows, has_objectness = head_rows(np.asarray(out, dtype=np.float64), n_labels, n_extra)
    first = 5 if has_objectness else 4
    last = rows.shape[1] - n_extra
    cls_scores = rows[:, first:last]
    classes = cls_scores.argmax(axis=1)
    scores = cls_scores[np.arange(len(rows)), classes]
    if has_objectness:
        scores = scores * rows[:, 4]
    keep = scores >= score_min
    cxcywh, extra = rows[keep, :4], rows[keep, last:]
    scores, classes = scores[keep], classes[keep]
    centre, half = cxcywh[:, :2], cxcywh[:, 2:] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kept = geometry.nms(boxes, scores, nms_threshold, classes=classes)
    return HeadRows(boxes[kept], scores[kept], classes[kept], extra[kept])


def keep_best(
    heads: HeadRows, labels: Sequence[str], select: Sequence[ConceptSpec], max_n: int
) -> HeadRows:
    """The best ``max_n`` candidates whose label ``select`` allows (all, when it is empty)."""
    order = np.argsort(-heads.scores, kind="stable")
    ok = [
        i for i in order
        if not select or any(c.matches(labels[i], labels[i]) for c in select)
    ]
    return heads.take(np.asarray(ok[:max_n], dtype=np.int64))
