"""YOLO segmentation masks: visual-segmenter's decoding beside Ultralytics' way, on 720p.

A constant ONNX model gives YOLOv8-seg outputs (8400 candidates x (4 + 80 + 32), 32
prototypes of 160 x 160) with 40 real objects; the letterboxed 640 x 640 input maps onto a
1280 x 720 image.  The reference does what Ultralytics' ``process_mask`` and ``scale_masks``
do (written here with OpenCV, as Ultralytics needs torch): every object's mask upsampled to
the whole model input, cropped to its box, the padding cut off and resized to the whole
image.  visual-segmenter resamples each mask once, inside its box only.  Both take the same
decoded objects; the agreement is the share of pixels inside the boxes on which the two
masks agree.

    .venv/bin/python benchmarks/segment_masks.py
"""

from __future__ import annotations

import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's engine and operators, and the test models

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from engine import Context, Data, Image, Region  # noqa: E402
from operators.models._masks import ModelFrame  # noqa: E402
from operators.models._seg_decode import yolo_instances  # noqa: E402
from operators.models.visual_segmenter import VisualSegmenter  # noqa: E402
from tests.operators.models._onnx_models import constant_outputs  # noqa: E402

W, H, OBJECTS, REPEAT = 1280, 720, 40, 7


def outputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dets = np.zeros((1, 116, 8400), np.float32)
    dets[0, :2] = rng.uniform(100, 540, (2, 8400))
    dets[0, 2:4] = rng.uniform(20, 200, (2, 8400))
    dets[0, 4:84] = rng.uniform(0, 0.01, (80, 8400))
    picked = rng.choice(8400, OBJECTS, replace=False)
    dets[0, 4 + rng.integers(0, 80, OBJECTS), picked] = rng.uniform(0.5, 0.95, OBJECTS)
    dets[0, 84:] = rng.normal(0, 1, (32, 8400))
    protos = cv2.GaussianBlur(rng.normal(0, 3, (160, 160, 32)).astype(np.float32), (0, 0), 4)
    return dets, np.ascontiguousarray(protos.transpose(2, 0, 1))[None]


def reference(dets: np.ndarray, protos: np.ndarray, frame: ModelFrame) -> list[np.ndarray]:
    """Ultralytics' way: full-size masks (H x W) of every object."""
    heads, planes = yolo_instances(dets, protos, 0, 0.25, 0.45)
    m, ph, pw = planes.shape
    logits = (heads.extra.astype(np.float32) @ planes.reshape(m, -1)).reshape(-1, ph, pw)
    y0, x0 = round(frame.py), round(frame.px)
    y1, x1 = round(frame.height - frame.py), round(frame.width - frame.px)
    masks = []
    for plane, box in zip(logits, heads.boxes, strict=True):
        up = cv2.resize(1 / (1 + np.exp(-plane)), (frame.width, frame.height))  # to 640 x 640
        bx0, by0, bx1, by1 = (int(v) for v in np.round(box))
        cropped = np.zeros_like(up)
        cropped[max(by0, 0):by1, max(bx0, 0):bx1] = up[max(by0, 0):by1, max(bx0, 0):bx1]
        masks.append(cv2.resize(cropped[y0:y1, x0:x1], (W, H)) > 0.5)
    return masks


def ours(op: VisualSegmenter, data: Data) -> list[Region]:
    out = op.process(data, Context(root=data))
    assert out is not None
    return out.regions


def agreement(regions: list[Region], masks: list[np.ndarray]) -> float:
    same = total = 0
    for region in regions:
        bb = region.region_info.bounding_box
        x0, y0 = round(bb.left_col * W), round(bb.top_row * H)
        png = base64.b64decode(region.region_info.mask.image.base64)
        mine = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE) > 0
        h, w = mine.shape
        best = max(masks, key=lambda m: (m[y0:y0 + h, x0:x0 + w] == mine).mean())
        same += int((best[y0:y0 + h, x0:x0 + w] == mine).sum())
        total += mine.size
    return same / max(total, 1)


def main() -> None:
    dets, protos = outputs()
    with tempfile.TemporaryDirectory() as tmp:
        path = constant_outputs(Path(tmp) / "seg.onnx", [dets, protos], size=640)
        op = VisualSegmenter(VisualSegmenter.Params(model_path=str(path)))
        data = Data(image=Image.from_array(np.zeros((H, W, 3), np.uint8)))
        frame = ModelFrame.of((W, H), (640, 640), True, 0.5, (0.0, 140.0))
        t_ours, t_ref = [], []
        for _ in range(REPEAT):
            t = time.perf_counter()
            regions = ours(op, data)
            t_ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            masks = reference(dets, protos, frame)
            t_ref.append(time.perf_counter() - t)
    print(f"{len(regions)} objects with masks, 1280 x 720, median of {REPEAT}:")
    print(f"  visual-segmenter (model run, masks, PNGs): {statistics.median(t_ours) * 1e3:7.1f} ms")
    print(f"  Ultralytics' way (masks only, no PNGs):    {statistics.median(t_ref) * 1e3:7.1f} ms")
    print(f"  pixels in the boxes on which both agree: {agreement(regions, masks):.2%}")


if __name__ == "__main__":
    main()
