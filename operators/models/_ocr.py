"""PP-OCR text detection (DB) and recognition (CTC) over ONNX models, in numpy and OpenCV.

The PP-OCRv4 detection and recognition models ship inside the ``rapidocr-onnxruntime``
wheel (the ``ocr`` extra); they are found in its installed folder without importing the
package, and run through onnxruntime.  Detection gives a probability map of "text here";
each connected blob becomes a rotated rectangle, grown by the DB "unclip" distance, then
cut out straight and read by the recognizer, whose per-timestep character probabilities
are decoded greedily (CTC).  The recognizer's alphabet is stored in its ONNX metadata.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "OCR_EXTRA_MISSING",
    "OcrSettings",
    "PaddleOcr",
    "TextLine",
    "bundled_classifier",
    "bundled_models",
]

OCR_EXTRA_MISSING = (
    "optical-character-recognizer needs the OCR models of the 'ocr' extra: "
    "pip install 'opgraph[ocr]' (the PP-OCRv4 ONNX models ship inside the "
    "rapidocr-onnxruntime wheel; nothing is downloaded)"
)
_PACKAGE = "rapidocr_onnxruntime"
_DET_FILE, _REC_FILE = "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"
_CLS_FILE = "ch_ppocr_mobile_v2.0_cls_infer.onnx"  # upright or upside down, per line
_CLS_SIZE = (192, 48)  # the orientation classifier's input width and height
_CLS_SURE = 0.9  # a line is turned only when the classifier is at least this sure
_REC_HEIGHT = 48  # the recognizer's input height
_REC_MIN_RATIO = 320 / 48  # narrowest input the recognizer is fed (PaddleOCR's default)
_REC_BATCH = 6
_MIN_BOX_SIDE = 3  # pixels of the detection map: smaller blobs are noise
_MIN_HEIGHT = 30  # a line image this short (or this wide) is padded above and below
_MAX_WIDTH_RATIO = 8
# detection scales small images up to det_side, but no more than this: text scaled far past
# the sizes the detector was trained on comes apart at every word gap
_MAX_UPSCALE = 6.0
_WORD_GAP = 1.0  # line heights: a wider gap between two boxes of one line is a column break


def bundled_models() -> tuple[Path, Path]:
    """The detection and recognition ONNX files inside the installed OCR wheel."""
    spec = importlib.util.find_spec(_PACKAGE)  # finds the folder without importing it
    if spec is None or spec.origin is None:
        raise ValueError(OCR_EXTRA_MISSING)
    folder = Path(spec.origin).parent / "models"
    det, rec = folder / _DET_FILE, folder / _REC_FILE
    if not det.is_file() or not rec.is_file():
        raise ValueError(f"{OCR_EXTRA_MISSING}; the installed {_PACKAGE} lacks {folder}")
    return det, rec


def bundled_classifier() -> Path:
    """The line orientation classifier (0 or 180 degrees) inside the installed OCR wheel."""
    path = bundled_models()[0].parent / _CLS_FILE
    if not path.is_file():
        raise ValueError(f"{OCR_EXTRA_MISSING}; the installed {_PACKAGE} lacks {path.name}")
    return path


@dataclass(frozen=True)
class OcrSettings:
    """Knobs of detection and recognition (the operator's params)."""

    det_side: int = 736  # the shorter image side is scaled up to this for detection
    max_side: int = 2000  # longer sides are scaled down to this first (bounds the work)
    det_threshold: float = 0.3  # map pixels above this are "text"
    box_threshold: float = 0.5  # mean map value a blob needs to become a line
    unclip_ratio: float = 1.6  # how far boxes grow beyond the shrunk text kernel
    max_lines: int = 1000
    # a space goes between two characters when the space class peaks above this between
    # them: the recogniser rarely makes it the best class between Latin words
    space_threshold: float = 0.004


@dataclass(frozen=True)
class TextLine:
    """One line: its four corners in image pixels (clockwise from top-left), text, score."""

    quad: np.ndarray
    text: str
    score: float


def _session(path: Path) -> Any:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ValueError(OCR_EXTRA_MISSING) from None
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for bad files
        raise ValueError(f"cannot load OCR model {str(path)!r}: {exc}") from exc


class PaddleOcr:
    """Text lines of a BGR image: detection, straightened crops, recognition."""

    def __init__(
        self,
        det_path: Path,
        rec_path: Path,
        settings: OcrSettings,
        alphabet: list[str] | None = None,
        cls_path: Path | None = None,
    ) -> None:
        self._det = _session(det_path)
        self._rec = _session(rec_path)
        self._cls = _session(cls_path) if cls_path is not None else None
        if alphabet is None:
            stored = self._rec.get_modelmeta().custom_metadata_map.get("character")
            if not stored:
                raise ValueError(
                    f"OCR model {str(rec_path)!r} has no 'character' list in its metadata: "
                    "give its alphabet with rec_char_dict_path"
                )
            alphabet = stored.splitlines()
        # index 0 is the CTC blank; the model's last class is a space
        self._chars = ["", *alphabet, " "]
        self._s = settings

    def __call__(self, bgr: np.ndarray) -> list[TextLine]:
        img, scale = _bounded(bgr, self._s.max_side)
        img, top = _pad_short(img)
        quads = self._detect(img)
        if not quads:
            return []
        crops = [_straighten(img, q) for q in quads]
        if self._cls is not None:
            crops = self._upright(crops)
        read = self._recognize(crops)
        lines = []
        for quad, (text, score) in zip(quads, read, strict=True):
            quad = (quad - np.array([0.0, top])) / scale
            lines.append(TextLine(quad, text, score))
        return lines

    def _detect(self, img: np.ndarray) -> list[np.ndarray]:
        import cv2

        h, w = img.shape[:2]
        ratio = min(max(1.0, self._s.det_side / min(h, w)), _MAX_UPSCALE)
        rh, rw = (max(32, round(h * ratio / 32) * 32), max(32, round(w * ratio / 32) * 32))
        x = cv2.resize(img, (rw, rh)).astype(np.float32) / 255.0
        x = ((x - 0.5) / 0.5).transpose(2, 0, 1)[None]
        prob = np.asarray(self._det.run(None, {self._det.get_inputs()[0].name: x})[0])[0, 0]
        mask = cv2.dilate((prob > self._s.det_threshold).astype(np.uint8), np.ones((2, 2)))
        contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        quads = []
        for contour in contours[: self._s.max_lines]:
            quad = self._box(prob, contour)
            if quad is not None:
                # whole pixels inside the image, as PaddleOCR cuts its crops
                quad = np.round(quad * np.array([w / rw, h / rh]))
                quads.append(np.clip(quad, 0, [w, h]))
        return _merge_words(_reading_order(quads))

    def _box(self, prob: np.ndarray, contour: np.ndarray) -> np.ndarray | None:
        """The grown rotated rectangle of one blob, or None when it is too small or faint."""
        import cv2

        (cx, cy), (bw, bh), angle = cv2.minAreaRect(contour)
        if min(bw, bh) < _MIN_BOX_SIDE:
            return None
        if _mean_inside(prob, cv2.boxPoints(((cx, cy), (bw, bh), angle))) < self._s.box_threshold:
            return None
        # DB's unclip: offset the polygon by area * ratio / perimeter on every side
        grow = bw * bh * self._s.unclip_ratio / (2 * (bw + bh))
        bw, bh = bw + 2 * grow, bh + 2 * grow
        if min(bw, bh) < _MIN_BOX_SIDE + 2:
            return None
        return _clockwise(cv2.boxPoints(((cx, cy), (bw, bh), angle)))

    def _upright(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Lines the orientation classifier is sure are upside down, turned half a turn."""
        assert self._cls is not None
        width, height = _CLS_SIZE
        name = self._cls.get_inputs()[0].name
        out = list(crops)
        for start in range(0, len(crops), _REC_BATCH):
            x = np.stack([_rec_input(c, width, height) for c in crops[start : start + _REC_BATCH]])
            probs = np.asarray(self._cls.run(None, {name: x})[0])
            for i, p in enumerate(probs, start):
                if p[1] > p[0] and p[1] >= _CLS_SURE:
                    out[i] = np.ascontiguousarray(crops[i][::-1, ::-1])
        return out

    def _recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        order = np.argsort([c.shape[1] / c.shape[0] for c in crops], kind="stable")
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        name = self._rec.get_inputs()[0].name
        for start in range(0, len(crops), _REC_BATCH):
            batch = [crops[i] for i in order[start : start + _REC_BATCH]]
            ratio = max(_REC_MIN_RATIO, *(c.shape[1] / c.shape[0] for c in batch))
            width = int(_REC_HEIGHT * ratio)
            x = np.stack([_rec_input(c, width) for c in batch])
            probs = np.asarray(self._rec.run(None, {name: x})[0])
            for i, p in zip(order[start : start + _REC_BATCH], probs, strict=True):
                out[int(i)] = self._decode(p)
        return out

    def _decode(self, probs: np.ndarray) -> tuple[str, float]:
        """Greedy CTC: best class per step, repeats merged, blanks dropped; spaces restored."""
        best, conf = probs.argmax(axis=1), probs.max(axis=1)
        keep = best != 0
        keep[1:] &= best[1:] != best[:-1]
        steps = np.flatnonzero(keep)
        if not len(steps):
            return "", 0.0
        space = len(self._chars) - 1
        chars = [self._chars[c] if c < len(self._chars) else "" for c in best[steps]]
        parts = [chars[0]]
        for i in range(1, len(steps)):
            gap = probs[steps[i - 1] + 1 : steps[i], space]
            joined = best[steps[i - 1]] == space or best[steps[i]] == space
            if len(gap) and gap.max() > self._s.space_threshold and not joined:
                parts.append(" ")
            parts.append(chars[i])
        return "".join(parts), float(conf[keep].mean())


def _bounded(bgr: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    import cv2

    h, w = bgr.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        bgr = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    if bgr.ndim == 2:
        bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(bgr[:, :, :3]), scale


def _pad_short(img: np.ndarray) -> tuple[np.ndarray, int]:
    """A single line cut tight (a crop) is padded so the detector sees it with a margin."""
    import cv2

    h, w = img.shape[:2]
    if h > _MIN_HEIGHT and w / h <= _MAX_WIDTH_RATIO:
        return img, 0
    pad = max(1, (max(w // _MAX_WIDTH_RATIO, _MIN_HEIGHT) * 2 - h) // 2)
    return cv2.copyMakeBorder(img, pad, pad, 0, 0, cv2.BORDER_REPLICATE), pad


def _merge_words(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Boxes of one line that detection cut apart (large text: wide word gaps) made whole.

    Neighbours in reading order join when they are as tall as each other, on the same
    height, and less than a line height apart; columns further apart stay separate.
    """
    import cv2

    merged: list[np.ndarray] = []
    for quad in quads:
        if merged and _same_line(merged[-1], quad):
            points = np.concatenate([merged[-1], quad]).astype(np.float32)
            merged[-1] = _clockwise(cv2.boxPoints(cv2.minAreaRect(points)).astype(np.float64))
        else:
            merged.append(quad)
    return merged


def _same_line(a: np.ndarray, b: np.ndarray) -> bool:
    ha, hb = _height(a), _height(b)
    # a much smaller box (a dash, a stray blob) joins only if it sits inside the line's height
    if not 0.6 < ha / max(hb, 1e-6) < 1.67 and not _inside_height(a, b):
        return False
    centre_a, centre_b = a.mean(axis=0), b.mean(axis=0)
    gap = b[:, 0].min() - a[:, 0].max()
    tall = max(ha, hb)
    # overlapping boxes of one line (a word cut in two) join too
    return abs(centre_a[1] - centre_b[1]) < 0.4 * tall and gap < _WORD_GAP * tall


def _inside_height(a: np.ndarray, b: np.ndarray) -> bool:
    small, big = (a, b) if _height(a) < _height(b) else (b, a)
    return bool(big[:, 1].min() <= small[:, 1].min() and small[:, 1].max() <= big[:, 1].max())


def _height(quad: np.ndarray) -> float:
    return float((np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2)


def _mean_inside(prob: np.ndarray, pts: np.ndarray) -> float:
    import cv2

    h, w = prob.shape
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(pts - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _clockwise(pts: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left (image axes, y down)."""
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float64)


def _reading_order(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Top to bottom by centre; boxes of one line (centres within half a height), left to right."""
    quads = sorted(quads, key=lambda q: (q[:, 1].mean(), q[0, 0]))
    for i in range(len(quads) - 1):  # one bubble pass, as PaddleOCR does
        for j in range(i, -1, -1):
            a, b = quads[j], quads[j + 1]
            near = abs(b[:, 1].mean() - a[:, 1].mean()) < 0.5 * min(_height(a), _height(b))
            if near and b[0, 0] < a[0, 0]:
                quads[j], quads[j + 1] = b, a
            else:
                break
    return quads


def _straighten(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The quad cut out as an upright rectangle; tall cuts are turned to read across."""
    import cv2

    quad = quad.astype(np.float32)
    width = max(1, int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3]))))
    height = max(1, int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    crop = cv2.warpPerspective(img, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)
    if height / width >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def _rec_input(crop: np.ndarray, width: int, height: int = _REC_HEIGHT) -> np.ndarray:
    """A crop scaled to ``height``, normalised to -1..1 and padded on the right to ``width``."""
    import cv2

    h, w = crop.shape[:2]
    resized_w = min(width, math.ceil(height * w / h))
    x = cv2.resize(crop, (resized_w, height)).astype(np.float32) / 255.0
    out = np.zeros((3, height, width), dtype=np.float32)
    out[:, :, :resized_w] = ((x - 0.5) / 0.5).transpose(2, 0, 1)
    return out
