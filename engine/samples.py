"""Sample media the bundled workflows run on, drawn on the spot (``opgraph samples DIR``).

Nothing is downloaded and nothing binary ships: a shelf label with a QR code and three 1D
barcodes (encoded by zxing-cpp's writer, a dependency already), for
``builtin:barcode-reading``; and a short video of three moving boxes with the matching
detections file, for ``builtin:video-sample-boxes`` (which replays a copy of that file).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

__all__ = ["SHELF_LABEL_CODES", "moving_boxes", "shelf_label", "write_samples"]

# (symbology as barcode-operator names it, payload as encoded, text as decoded)
SHELF_LABEL_CODES = (
    ("qr-code", "https://example.com/item/4711", "https://example.com/item/4711"),
    ("ean-13", "590123412345", "5901234123457"),  # the writer adds the check digit
    ("code-128", "SHELF-A7-0042", "SHELF-A7-0042"),
    ("code-39", "BIN-17", "BIN-17"),
)
_WRITER_FORMATS = {
    "qr-code": "QRCode",
    "ean-13": "EAN13",
    "code-128": "Code128",
    "code-39": "Code39",
}
# where each code goes on the label, and its module size in pixels
_PLACES = {
    "qr-code": (60, 60, 6),
    "ean-13": (520, 40, 3),
    "code-128": (520, 240, 3),
    "code-39": (520, 440, 3),
}
# start (x, y) and speed (px per frame) of each box
_TRACKS = (((20, 40), (9, 4)), ((600, 80), (-8, 3)), ((300, 300), (2, -5)))


def _code(symbology: str, payload: str, module: int) -> np.ndarray:
    import zxingcpp

    fmt = getattr(zxingcpp.BarcodeFormat, _WRITER_FORMATS[symbology])
    code = zxingcpp.create_barcode(payload, fmt)
    return np.asarray(code.to_image(scale=module, add_hrt=False, add_quiet_zones=True))


def shelf_label(path: Path) -> Path:
    """A 1280x720 label: a QR code and EAN-13, Code 128 and Code 39 barcodes."""
    canvas = np.full((720, 1280), 235, np.uint8)
    for symbology, payload, _ in SHELF_LABEL_CODES:
        x, y, module = _PLACES[symbology]
        code = _code(symbology, payload, module)
        h, w = code.shape[:2]
        canvas[y : y + h, x : x + w] = code
    cv2.putText(canvas, "aisle 7 - shelf A", (60, 680), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 20, 3)
    _write(path, cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR))
    return path


def moving_boxes(video: Path, detections: Path, seconds: int = 6, fps: int = 10) -> Path:
    """Three boxes crossing a 640x360 frame, and their detections as detections-file JSON.

    The JSON lists each box of each frame (frames from 0, boxes in pixels); the bundled
    ``video-sample-boxes`` graph replays a copy of it by time, so any ``sample_ms`` works.
    """
    size = (640, 360)
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write a video to {video}")
    table: dict[str, list[dict[str, object]]] = {}
    for k in range(seconds * fps):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        table[str(k)] = []
        for tid, ((x0, y0), (vx, vy)) in enumerate(_TRACKS, start=1):
            x, y = x0 + vx * k, y0 + vy * k
            cv2.rectangle(frame, (x, y), (x + 40, y + 40), (60 * tid, 200, 255 - 60 * tid), -1)
            table[str(k)].append({"box": [x, y, x + 40, y + 40], "score": 0.9, "label": "box"})
        writer.write(frame)
    writer.release()
    detections.write_text(json.dumps({"frames": table}, indent=None) + "\n", encoding="utf-8")
    return video


def write_samples(out: Path) -> list[Path]:
    """Every sample into ``out`` (created if missing): the files written."""
    out.mkdir(parents=True, exist_ok=True)
    dets = out / "moving-boxes.det.json"
    return [
        shelf_label(out / "shelf-label.png"),
        moving_boxes(out / "moving-boxes.mp4", dets),
        dets,
    ]


def _write(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write an image to {path}")
