"""Crop throughput: the image-crop operator vs plain numpy slicing, 100 regions on 1080p.

The baseline does the same job by hand: read each region's box, grow it by the margin,
clip it to the image and slice, once keeping numpy views and once copying (the operator
copies: a crop must not pin the frame or share its memory).  Timings interleave the
variants; the overhead is the median ratio of back-to-back pairs, which cancels slow
swings in the load other processes put on the machine.

    .venv/bin/python benchmarks/crop_throughput.py
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from engine import Concept, Context, Data, Image, Region, RegionInfo, geometry
from operators.edit.image_crop import ImageCrop

W, H, N, MARGIN, REPEAT = 1920, 1080, 100, 1.3, 200


def make_input(seed: int = 0) -> Data:
    """A 1080p frame and 100 boxes of 40 to 400 px, as a detector would hand them over."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    size = rng.uniform(40, 400, (N, 2)) / np.array([W, H])
    xy = rng.uniform(0, 1, (N, 2)) * (1 - size)
    regions = [
        Region(
            region_info=RegionInfo(bounding_box=geometry.box_to_proto((x, y, x + w, y + h))),
            data=Data(concepts=[Concept(id="face", value=0.9)]),
        )
        for (x, y), (w, h) in zip(xy.tolist(), size.tolist(), strict=True)
    ]
    return Data(image=Image.from_array(img), regions=regions)


def numpy_slices(data: Data, copy: bool) -> list[np.ndarray]:
    """The hand-written version: box -> margin -> clip -> slice, one region at a time."""
    assert data.image is not None
    img = data.image.array
    h, w = img.shape[:2]
    out = []
    for r in data.regions:
        bb = r.region_info.bounding_box  # type: ignore[union-attr]
        cx, cy = (bb.left_col + bb.right_col) / 2, (bb.top_row + bb.bottom_row) / 2
        hw = (bb.right_col - bb.left_col) * MARGIN / 2
        hh = (bb.bottom_row - bb.top_row) * MARGIN / 2
        x1, y1 = max(math.floor((cx - hw) * w), 0), max(math.floor((cy - hh) * h), 0)
        x2, y2 = min(math.ceil((cx + hw) * w), w), min(math.ceil((cy + hh) * h), h)
        crop = img[y1:y2, x1:x2]
        out.append(crop.copy() if copy else crop)
    return out


def operator_crops(op: ImageCrop, data: Data, ctx: Context) -> list[np.ndarray]:
    """The operator's crops, checked to be the baseline's pixels (so both do the same job)."""
    out = op.process(data, ctx)
    assert out is not None
    crops = [r.data.image.array for r in out.regions if r.data and r.data.image]
    for mine, ref in zip(crops, numpy_slices(data, copy=True), strict=True):
        assert np.array_equal(mine, ref), "the operator and the baseline cut different pixels"
    return crops


def main() -> None:
    data = make_input()
    op = ImageCrop(ImageCrop.Params(margin=MARGIN))
    ctx = Context(root=data)
    variants: dict[str, Callable[[], Any]] = {
        "numpy slicing, views": lambda: numpy_slices(data, copy=False),
        "numpy slicing, copies": lambda: numpy_slices(data, copy=True),
        "image-crop operator": lambda: op.process(data, ctx),
    }
    crops = operator_crops(op, data, ctx)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for rep in range(REPEAT):
        names = list(variants)[:: 1 if rep % 2 else -1]  # alternate who goes first
        for name in names:
            t = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - t)
    best = {k: float(np.min(v)) * 1000 for k, v in times.items()}
    med = {k: float(np.median(v)) * 1000 for k, v in times.items()}
    # each repetition runs both back to back, so their ratio cancels slow swings in load
    paired = np.asarray(times["image-crop operator"]) / np.asarray(times["numpy slicing, copies"])
    pixels = sum(c.shape[0] * c.shape[1] for c in crops) / 1e6
    print(f"{N} regions (40-400 px, margin {MARGIN}) on a {W}x{H} image, {pixels:.1f} MP cropped")
    print(f"{'':<24}{'fastest':>10}{'median':>11}")
    for name in variants:
        print(f"{name:<24}{best[name]:7.3f} ms{med[name]:8.3f} ms")
    extra = (med["image-crop operator"] - med["numpy slicing, copies"]) * 1000 / N
    print(
        f"operator overhead vs numpy slicing with copies: {np.median(paired) * 100 - 100:+.0f}% "
        f"(median of {REPEAT} back-to-back pairs; IQR {np.percentile(paired, 25) * 100 - 100:+.0f}%"
        f" to {np.percentile(paired, 75) * 100 - 100:+.0f}%), about {extra:.0f} us per region"
    )


if __name__ == "__main__":
    main()
