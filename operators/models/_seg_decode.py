"""Reading segmentation exports: which format a model's outputs are, and their decoding.

Shapes are checked when the model loads, so a model that can never be decoded is refused at
validate time with its shapes named, not on the first image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from operators.models._yolo_heads import HeadRows, check_head, decode_head

__all__ = ["NO_CLASS", "SemanticMaps", "check_outputs", "semantic_maps", "yolo_instances"]

_MAX_COEFFS = 256  # mask coefficients per object (YOLO exports use 32)
_MAX_CLASSES = 4096  # classes of a semantic model (the class map is 16-bit)
NO_CLASS = 65535  # a pixel of no class: the background of a one-plane foreground model
Shape = list[int | None]


def _fmt(shapes: list[Shape]) -> str:
    return ", ".join(str([d if d is not None else "?" for d in s]) for s in shapes)


def check_outputs(shapes: list[Shape], types: list[str], wanted: str, n_labels: int) -> str:
    """The format (``yolo`` or ``semantic``) of a model with these output shapes and types.

    A single ``[1, H, W]`` output is a class map only when it holds integers: a float one
    is a detector's ``[1, 4+C, N]`` table."""
    ranks = [len(s) for s in shapes]
    class_map = ranks == [3] and "int" in types[0]
    found = (
        "yolo" if len(ranks) >= 2 and ranks[:2] == [3, 4]
        else "semantic" if ranks == [4] or class_map
        else None
    )
    if found is None or wanted not in ("auto", found):
        raise ValueError(
            f"model outputs {_fmt(shapes)} are not a "
            + ("segmentation export" if wanted == "auto" else f"{wanted} segmentation export")
            + ": yolo exports give detections [1, 4+C+M, N] and prototypes [1, M, H, W]; "
            "semantic ones give class scores [1, C, H, W] or an integer class map [1, H, W]"
        )
    if found == "yolo":
        _check_yolo(shapes[0], shapes[1], n_labels)
    else:
        _check_semantic(shapes[0], n_labels)
    return found


def _check_yolo(dets: Shape, protos: Shape, n_labels: int) -> None:
    m = protos[1]
    if m is not None and not 1 <= m <= _MAX_COEFFS:
        raise ValueError(f"prototype masks {_fmt([protos])}: {m} of them, expected 1-{_MAX_COEFFS}")
    if m is not None:
        check_head(dets, n_labels, m)


def _check_semantic(out: Shape, n_labels: int) -> None:
    if len(out) != 4 or out[1] is None or out[1] == 1:
        return
    classes = out[1]
    if classes > _MAX_CLASSES:
        raise ValueError(f"class scores {_fmt([out])}: more than {_MAX_CLASSES} classes")
    if n_labels and n_labels != classes:
        raise ValueError(f"class scores {_fmt([out])} give {classes} classes but "
                         f"{n_labels} labels are named")


def yolo_instances(
    dets: np.ndarray, protos: np.ndarray, n_labels: int, score_min: float, nms: float
) -> tuple[HeadRows, np.ndarray]:
    """Objects (extra columns: mask coefficients) and the ``(M, H, W)`` prototype masks."""
    if protos.ndim != 4 or protos.shape[0] != 1 or not 1 <= protos.shape[1] <= _MAX_COEFFS:
        raise ValueError(f"prototype masks {list(protos.shape)} are not [1, M, H, W]")
    planes = np.asarray(protos[0], dtype=np.float32)
    return decode_head(dets, n_labels, planes.shape[0], score_min, nms), planes


@dataclass(frozen=True)
class SemanticMaps:
    """The winning class of each model pixel and, for score outputs, the class probabilities."""

    labels: np.ndarray  # (H, W) uint16
    probs: np.ndarray | None  # (C, H, W), or None for a class-index map

    def score(self, k: int) -> float:
        if self.probs is None:
            return 1.0
        # clipped: a model said to give probabilities may not quite
        return float(np.clip(self.probs[k][self.labels == k].mean(), 0.0, 1.0))


def semantic_maps(out: np.ndarray, n_labels: int, softmax: bool) -> SemanticMaps:
    """Decode ``[1, C, H, W]`` class scores, a ``[1, 1, H, W]`` foreground score (class 0
    where its probability is at least 0.5), or an integer class map.  ``softmax``: the
    scores are logits (a sigmoid for one plane), else probabilities."""
    arr = np.asarray(out)
    integer = np.issubdtype(arr.dtype, np.integer)
    if arr.ndim == 4 and arr.shape[0] == 1 and (arr.shape[1] > 1 or not integer):
        if arr.shape[1] > _MAX_CLASSES or (n_labels and arr.shape[1] not in (1, n_labels)):
            raise ValueError(f"class scores {list(arr.shape)} do not match {n_labels} labels")
        scores = arr[0].astype(np.float32)
        if len(scores) == 1:
            return _foreground(scores[0], softmax)
        if softmax:
            e = np.exp(scores - scores.max(axis=0, keepdims=True))
            scores = e / e.sum(axis=0, keepdims=True)
        return SemanticMaps(scores.argmax(axis=0).astype(np.uint16), scores)
    if arr.ndim in (3, 4) and arr.shape[0] == 1 and (arr.ndim == 3 or arr.shape[1] == 1):
        index = np.rint(arr.reshape(arr.shape[-2:]))
        if index.size and (index.min() < 0 or index.max() >= _MAX_CLASSES):
            raise ValueError(f"class map values must lie in 0..{_MAX_CLASSES - 1}")
        return SemanticMaps(index.astype(np.uint16), None)
    raise ValueError(f"model output {list(arr.shape)} is neither [1, C, H, W] nor [1, H, W]")


def _foreground(plane: np.ndarray, logits: bool) -> SemanticMaps:
    """One score plane: class 0 where its probability (sigmoid of logits) is at least 0.5."""
    if logits:
        plane = 1.0 / (1.0 + np.exp(-np.clip(plane, -60.0, 60.0)))
    labels = np.where(plane >= 0.5, 0, NO_CLASS).astype(np.uint16)
    return SemanticMaps(labels, plane[None])
