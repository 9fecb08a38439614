"""Vectorised box maths on ``(N, 4)`` float arrays.

Boxes are ``x1, y1, x2, y2``.  Functions are unit-agnostic (fractions or pixels) unless their
name says otherwise; ``to_pixels`` / ``to_fractions`` convert.  Every function accepts
``N = 0``.  ``boxes_from_proto`` / ``box_to_proto`` are the one conversion to and from
Clarifai's ``BoundingBox`` (``top_row, left_col, bottom_row, right_col``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from engine.proto import BoundingBox, trusted

__all__ = [
    "area",
    "box_to_proto",
    "boxes_from_proto",
    "centroids",
    "clip",
    "crop_box",
    "greedy_match",
    "greedy_nmm",
    "ioa_matrix",
    "ios_matrix",
    "iou_matrix",
    "nms",
    "overlap_pairs",
    "region_id",
    "region_ids",
    "scale_about_center",
    "tile_grid",
    "to_fractions",
    "to_outer",
    "to_pixels",
    "xyah_to_xyxy",
    "xyxy_to_xyah",
]

Boxes = np.ndarray


def _as_boxes(boxes: np.ndarray | Sequence[Sequence[float]]) -> Boxes:
    arr = np.asarray(boxes, dtype=np.float64)
    return arr.reshape(-1, 4)


def area(boxes: Boxes) -> np.ndarray:
    b = _as_boxes(boxes)
    # np.maximum, not np.clip: the same values at a quarter of the call overhead (per frame)
    return np.maximum(b[:, 2] - b[:, 0], 0.0) * np.maximum(b[:, 3] - b[:, 1], 0.0)


def _intersection(a: Boxes, b: Boxes) -> np.ndarray:
    a, b = _as_boxes(a), _as_boxes(b)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.maximum(rb - lt, 0.0)
    return wh[..., 0] * wh[..., 1]


def iou_matrix(a: Boxes, b: Boxes) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b``: shape ``(len(a), len(b))``."""
    inter = _intersection(a, b)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def ios_matrix(a: Boxes, b: Boxes) -> np.ndarray:
    """Intersection over the smaller of the two areas (SAHI's IOS)."""
    inter = _intersection(a, b)
    smaller = np.minimum(area(a)[:, None], area(b)[None, :])
    return np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)


def ioa_matrix(a: Boxes, b: Boxes) -> np.ndarray:
    """Intersection over the area of each box in ``a``."""
    inter = _intersection(a, b)
    aa = area(a)[:, None]
    return np.divide(inter, aa, out=np.zeros_like(inter), where=aa > 0)


def _class_shift(boxes: Boxes, classes: np.ndarray | None) -> np.ndarray:
    """Per-box x offsets that put each class on its own stretch of x, so boxes of different
    classes never overlap and one pass of NMS is per-class NMS; zeros when ``classes`` is None."""
    b = _as_boxes(boxes)
    if classes is None or len(b) == 0:
        return np.zeros(len(b), dtype=np.float64)
    xs = b[:, [0, 2]]
    span = float(xs.max() - xs.min()) + 1.0
    return np.asarray(classes, dtype=np.float64).reshape(-1) * span


def _shifted(boxes: Boxes, shift: np.ndarray) -> Boxes:
    b = _as_boxes(boxes)
    return b + shift[:, None] * np.array([1.0, 0.0, 1.0, 0.0])


def nms(
    boxes: Boxes,
    scores: np.ndarray,
    threshold: float,
    metric: str = "iou",
    classes: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first.

    ``metric`` is ``"iou"`` or ``"ios"`` (intersection over smaller).  With ``classes`` (an
    integer per box) only boxes of the same class suppress each other.
    """
    b = _shifted(boxes, _class_shift(boxes, classes))
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    overlap = iou_matrix if metric == "iou" else ios_matrix
    order = np.argsort(-s, kind="stable")
    keep: list[int] = []
    suppressed = np.zeros(len(b), dtype=bool)
    # one overlap row per kept box: O(N * K) instead of a full N x N matrix
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(int(i))
        rest = order[pos + 1 :]
        rest = rest[~suppressed[rest]]
        if len(rest):
            suppressed[rest[overlap(b[i : i + 1], b[rest])[0] > threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def _paired_overlap(a: Boxes, b: Boxes, metric: str) -> np.ndarray:
    """Overlap of ``a[k]`` with ``b[k]`` for each row ``k`` (aligned pairs, not a matrix)."""
    wh = np.clip(np.minimum(a[:, 2:], b[:, 2:]) - np.maximum(a[:, :2], b[:, :2]), 0, None)
    inter = wh[:, 0] * wh[:, 1]
    aa, ab = area(a), area(b)
    denom = aa + ab - inter if metric == "iou" else np.minimum(aa, ab)
    out: np.ndarray = np.divide(inter, denom, out=np.zeros_like(inter), where=denom > 0)
    return out


def overlap_pairs(
    boxes: Boxes, threshold: float, metric: str = "iou"
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, each once, whose overlap (``"iou"``/``"ios"``) exceeds ``threshold``.

    Sort and sweep: boxes are binned in horizontal strips as tall as the tallest box (so only
    the same or the next strip can meet a box) and swept along x within them; the cost follows
    the number of nearby pairs, never N².
    """
    b = _as_boxes(boxes)
    if len(b) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    strip = np.floor((b[:, 1] - b[:, 1].min()) / max(float(h.max()), 1e-12))
    wmax = max(float(w.max()), 0.0)
    span = float(b[:, 0].max() - b[:, 0].min()) + 2 * wmax + 1.0
    key = strip * span + (b[:, 0] - b[:, 0].min())
    order = np.argsort(key, kind="stable")
    sk, sw, sb = key[order], w[order], b[order]
    idx = np.arange(len(b))
    first, second = _expand(
        np.concatenate([idx + 1, np.searchsorted(sk, sk + span - wmax, side="left")]),
        np.concatenate([np.searchsorted(sk, sk + sw), np.searchsorted(sk, sk + span + sw)]),
    )
    first %= len(b)
    near = (sb[first, 1] < sb[second, 3]) & (sb[second, 1] < sb[first, 3])
    near &= (sb[first, 0] < sb[second, 2]) & (sb[second, 0] < sb[first, 2])
    first, second = first[near], second[near]
    hit = _paired_overlap(sb[first], sb[second], metric) > threshold
    return order[first[hit]], order[second[hit]]


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, j)`` for every ``j`` in ``range(starts[k], ends[k])``, owner ``k``."""
    counts = np.maximum(ends - starts, 0)
    owner = np.repeat(np.arange(len(starts)), counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(starts, counts) + offset


def greedy_match(
    boxes: Boxes,
    scores: np.ndarray,
    threshold: float,
    metric: str = "iou",
    classes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy NMS that also says who suppressed whom: ``(keep, parent)``.

    ``keep`` equals ``nms(boxes, scores, threshold, metric, classes)``.  ``parent[i]`` is the
    best kept box that suppressed box ``i`` (``i`` itself for kept boxes), which is how SAHI's
    greedy merging groups boxes.  Rounds of vectorised decisions over the sparse overlap pairs
    replace the per-box loop: a box is kept once every better box overlapping it is suppressed.
    """
    b = _shifted(boxes, _class_shift(boxes, classes))
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    n = len(b)
    order = np.argsort(-s, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    i, j = overlap_pairs(b, threshold, metric)
    hi, lo = np.where(rank[i] < rank[j], i, j), np.where(rank[i] < rank[j], j, i)
    state = np.zeros(n, dtype=np.int8)  # 0 undecided, 1 kept, 2 suppressed
    while (state == 0).any():
        live = state[lo] == 0
        hi, lo = hi[live], lo[live]
        by_kept = np.zeros(n, dtype=bool)
        by_kept[lo[state[hi] == 1]] = True
        waiting = np.zeros(n, dtype=bool)
        waiting[lo[state[hi] == 0]] = True
        undecided = state == 0
        state[undecided & by_kept] = 2
        state[undecided & ~by_kept & ~waiting] = 1
    return order[state[order] == 1], _parents(i, j, rank, order, state)


def _parents(
    i: np.ndarray, j: np.ndarray, rank: np.ndarray, order: np.ndarray, state: np.ndarray
) -> np.ndarray:
    hi, lo = np.where(rank[i] < rank[j], i, j), np.where(rank[i] < rank[j], j, i)
    claim = (state[hi] == 1) & (state[lo] == 2)
    best = np.full(len(state), len(state), dtype=np.int64)
    np.minimum.at(best, lo[claim], rank[hi[claim]])
    parent = np.arange(len(state))
    taken = best < len(state)
    parent[taken] = order[best[taken]]
    return parent


def greedy_nmm(
    boxes: Boxes,
    scores: np.ndarray,
    threshold: float,
    metric: str = "ios",
    classes: np.ndarray | None = None,
) -> tuple[np.ndarray, Boxes]:
    """SAHI's greedy non-maximum merging: ``(keep, merged_boxes)``.

    The kept boxes are NMS's; each absorbs the boxes it suppressed, best first, growing to
    their union while the grown box still overlaps the next one above ``threshold``.  With
    ``classes`` only boxes of the same class merge.
    """
    shift = _class_shift(boxes, classes)
    b = _shifted(boxes, shift)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    keep, parent = greedy_match(b, s, threshold, metric)
    merged = b.copy()
    members = np.flatnonzero(parent != np.arange(len(b)))
    members = members[np.lexsort((-s[members], parent[members]))]  # by group, best first
    heads = parent[members]
    step = np.arange(len(members)) - np.searchsorted(heads, heads, side="left")
    # the k-th member of every group at once: groups are independent, members are sequential
    for k in range(int(step.max(initial=-1)) + 1):
        m = members[step == k]
        g = parent[m]
        ok = _paired_overlap(merged[g], b[m], metric) > threshold
        g, m = g[ok], m[ok]
        merged[g, :2] = np.minimum(merged[g, :2], b[m, :2])
        merged[g, 2:] = np.maximum(merged[g, 2:], b[m, 2:])
    return keep, _shifted(merged[keep], -shift[keep])


def clip(boxes: Boxes, width: float = 1.0, height: float = 1.0) -> Boxes:
    """Boxes clipped to ``[0, width] x [0, height]`` (fractions by default)."""
    # one clip of the whole array (a new one) against per-column limits
    clipped: Boxes = _as_boxes(boxes).clip(0.0, np.array([width, height, width, height], float))
    return clipped


def to_pixels(boxes: Boxes, width: int, height: int) -> Boxes:
    return _as_boxes(boxes) * np.array([width, height, width, height], dtype=np.float64)


def to_fractions(boxes: Boxes, width: int, height: int) -> Boxes:
    return _as_boxes(boxes) / np.array([width, height, width, height], dtype=np.float64)


def centroids(boxes: Boxes) -> np.ndarray:
    b = _as_boxes(boxes)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], axis=1)


def xyxy_to_xyah(boxes: Boxes) -> np.ndarray:
    """Centre x, centre y, aspect ratio (w / h), height: the SORT/ByteTrack state."""
    b = _as_boxes(boxes)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    a = np.divide(w, h, out=np.zeros_like(w), where=h > 0)
    return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, a, h], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> Boxes:
    s = np.asarray(xyah, dtype=np.float64).reshape(-1, 4)
    w = s[:, 2] * s[:, 3]
    return np.stack(
        [s[:, 0] - w / 2, s[:, 1] - s[:, 3] / 2, s[:, 0] + w / 2, s[:, 1] + s[:, 3] / 2], axis=1
    )


def scale_about_center(boxes: Boxes, factor: float) -> Boxes:
    """Boxes grown (factor > 1) or shrunk about their centres."""
    b = _as_boxes(boxes)
    c = centroids(b)
    half = (b[:, 2:] - b[:, :2]) * factor / 2
    return np.concatenate([c - half, c + half], axis=1)


def to_outer(boxes: Boxes, frames: Boxes) -> Boxes:
    """Boxes given relative to ``frames`` (a crop or tile per row) mapped into the outer image."""
    b, f = _as_boxes(boxes), _as_boxes(frames)
    origin, size = f[:, :2], f[:, 2:] - f[:, :2]
    return np.concatenate([origin + b[:, :2] * size, origin + b[:, 2:] * size], axis=1)


def crop_box(boxes: Boxes, width: int, height: int, margin: float = 1.0) -> np.ndarray:
    """Integer pixel slices ``x1, y1, x2, y2`` for fractional boxes grown by ``margin``.

    Clipped to the image; every crop is at least one pixel wide and high.
    """
    px = to_pixels(clip(scale_about_center(boxes, margin)), width, height)
    out = np.empty((len(px), 4), dtype=np.int64)
    out[:, 0] = np.clip(np.floor(px[:, 0]), 0, max(width - 1, 0))
    out[:, 1] = np.clip(np.floor(px[:, 1]), 0, max(height - 1, 0))
    out[:, 2] = np.clip(np.ceil(px[:, 2]), out[:, 0] + 1, width)
    out[:, 3] = np.clip(np.ceil(px[:, 3]), out[:, 1] + 1, height)
    return out


def _axis_starts(length: int, tile: int, step: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)  # last tile flush with the edge
    return sorted(set(starts))


def tile_grid(
    width: int, height: int, tile_w: int, tile_h: int, overlap_w: int, overlap_h: int
) -> Boxes:
    """Pixel boxes of overlapping tiles covering a ``width x height`` image, row by row."""
    if tile_w <= overlap_w or tile_h <= overlap_h:
        raise ValueError("tile size must be larger than the overlap")
    xs = _axis_starts(width, tile_w, tile_w - overlap_w)
    ys = _axis_starts(height, tile_h, tile_h - overlap_h)
    tiles = [
        (x, y, min(x + tile_w, width), min(y + tile_h, height)) for y in ys for x in xs
    ]
    return np.asarray(tiles, dtype=np.float64).reshape(-1, 4)


def boxes_from_proto(boxes: Sequence[BoundingBox | None]) -> Boxes:
    """``(N, 4)`` fractional xyxy from ``BoundingBox`` protos (a missing box is all zeros)."""
    rows = [
        _NO_BOX if bb is None else (bb.left_col, bb.top_row, bb.right_col, bb.bottom_row)
        for bb in boxes
    ]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


_NO_BOX = (0.0, 0.0, 0.0, 0.0)


def box_to_proto(box: Sequence[float] | np.ndarray) -> BoundingBox:
    """One fractional xyxy box as a ``BoundingBox`` proto."""
    x1, y1, x2, y2 = (float(v) for v in box)
    # four floats are a valid box: skip validation (a detector builds one per region)
    return trusted(BoundingBox, top_row=y1, left_col=x1, bottom_row=y2, right_col=x2)


def region_id(box: Boxes | Sequence[float], label: str) -> str:
    """A detection's region id: a hash of its label and its box rounded to 6 decimals, stable
    across runs (results and golden files do not churn) and the same for the same object
    whichever node found it (a whole-image detector, or tiles merged back)."""
    return region_ids(np.asarray(box, dtype=np.float64).reshape(1, 4), [label])[0]


def region_ids(boxes: Boxes, labels: Sequence[str]) -> list[str]:
    """``region_id`` of each row of ``boxes`` with its label (one rounding for all rows)."""
    rounded = np.round(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), 6).tolist()
    return [
        hashlib.blake2b(f"{label}:{row}".encode(), digest_size=8).hexdigest()
        for row, label in zip(rounded, labels, strict=True)
    ]
