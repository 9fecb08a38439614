"""Draws the sample media the README's example and the bundled graphs run on.

    .venv/bin/python examples/make_media.py [OUT_DIR]

Nothing is downloaded and nothing binary is checked in: a shelf label with a QR code and
three 1D barcodes (drawn from python-barcode's and qrcode's module patterns), and a short
video of moving boxes with the matching detections file for the tracker graphs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
# start (x, y) and speed (px per frame) of each box
_TRACKS = (((20, 40), (9, 4)), ((600, 80), (-8, 3)), ((300, 300), (2, -5)))


def _bars(name: str, payload: str, module: int = 3, height: int = 90) -> np.ndarray:
    import barcode

    options = {"add_checksum": False} if name == "code39" else {}
    pattern = barcode.get_barcode_class(name)(payload, **options).build()[0]
    row = np.array([0 if c == "1" else 255 for c in "0" * 10 + pattern + "0" * 10], np.uint8)
    return np.repeat(np.repeat(row[None, :], height, axis=0), module, axis=1)


def _qr(text: str, module: int = 6) -> np.ndarray:
    import qrcode

    q = qrcode.QRCode(border=4)
    q.add_data(text)
    q.make()
    cells = np.where(np.array(q.get_matrix(), dtype=bool), 0, 255).astype(np.uint8)
    return np.kron(cells, np.ones((module, module), np.uint8))


def shelf_label(path: Path) -> Path:
    """A 1280x720 label: a QR code and EAN-13, Code 128 and Code 39 barcodes."""
    canvas = np.full((720, 1280), 235, np.uint8)
    codes = [
        (_qr("https://example.com/item/4711"), (60, 60)),
        (_bars("ean13", "590123412345"), (520, 60)),
        (_bars("code128", "SHELF-A7-0042"), (520, 260)),
        (_bars("code39", "BIN-17"), (520, 460)),
    ]
    for code, (x, y) in codes:
        h, w = code.shape
        canvas[y : y + h, x : x + w] = code
    cv2.putText(canvas, "aisle 7 - shelf A", (60, 620), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 20, 3)
    image = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(path), image)
    return path


def moving_boxes(video: Path, detections: Path, seconds: int = 6, fps: int = 10) -> Path:
    """Three boxes crossing a 640x360 frame, and their detections as detections-file JSON.

    The JSON lists each box of each frame (frames from 0, boxes in pixels); the bundled
    ``video-sample-boxes`` graph replays a copy of it by time, so any ``sample_ms`` works.
    """
    size = (640, 360)
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
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


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    print(shelf_label(out / "shelf-label.png"))
    print(moving_boxes(out / "moving-boxes.mp4", out / "moving-boxes.det.json"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "media")
