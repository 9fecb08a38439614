"""Segmentation masks: from a model's planes back to image pixels, and into Clarifai regions.

A region's mask (``region_info.mask.image``) is a one-channel PNG, 255 inside and 0
outside, that covers the region's bounding box pixel for pixel; the box is snapped to whole
pixels so that mask and box agree exactly.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from engine import Concept, Data, Image, Region, RegionInfo, geometry

__all__ = ["ModelFrame", "PixelBox", "mask_image", "mask_region", "pixel_box", "sample_plane"]

PixelBox = tuple[int, int, int, int]  # x0, y0, x1, y1: whole pixels, x1 and y1 exclusive


@dataclass(frozen=True)
class ModelFrame:
    """How image pixels sit in the model's input: ``x_model = x_image * sx + px``."""

    sx: float
    sy: float
    px: float
    py: float
    width: int  # model input width
    height: int  # model input height

    @classmethod
    def of(
        cls, image_wh: tuple[int, int], model_wh: tuple[int, int], letterbox: bool,
        scale: float, pad: tuple[float, float],
    ) -> ModelFrame:
        (w, h), (mw, mh) = image_wh, model_wh
        if letterbox:
            return cls(scale, scale, pad[0], pad[1], mw, mh)
        return cls(mw / w, mh / h, 0.0, 0.0, mw, mh)

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """xyxy boxes in model-input pixels -> image pixels."""
        shift = np.array([self.px, self.py, self.px, self.py])
        scale = np.array([self.sx, self.sy, self.sx, self.sy])
        return (np.asarray(boxes, dtype=np.float64).reshape(-1, 4) - shift) / scale

    def to_image_points(self, xy: np.ndarray) -> np.ndarray:
        """``(..., 2)`` model-input pixel positions -> image pixels."""
        return (np.asarray(xy, dtype=np.float64) - [self.px, self.py]) / [self.sx, self.sy]


def sample_plane(
    plane: np.ndarray, frame: ModelFrame, box: PixelBox, nearest: bool = False
) -> np.ndarray:
    """``plane`` (a map over the whole model input, at any resolution) read at the centre of
    every image pixel of ``box``: one resampling, whatever the letterbox and the sizes."""
    import cv2

    ph, pw = plane.shape[:2]
    kx, ky = pw / frame.width, ph / frame.height
    x0, y0, x1, y1 = box
    warp = np.array([
        [frame.sx * kx, 0.0, ((x0 + 0.5) * frame.sx + frame.px) * kx - 0.5],
        [0.0, frame.sy * ky, ((y0 + 0.5) * frame.sy + frame.py) * ky - 0.5],
    ])
    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    src = plane if nearest else plane.astype(np.float32)
    return np.asarray(cv2.warpAffine(src, warp, (x1 - x0, y1 - y0), flags=flags,
                                     borderMode=cv2.BORDER_REPLICATE))


def pixel_box(box: np.ndarray, width: int, height: int) -> PixelBox:
    """An xyxy box in image pixels snapped outwards to whole pixels, inside the image, at
    least one pixel wide and high."""
    x0 = int(np.clip(np.floor(box[0]), 0, width - 1))
    y0 = int(np.clip(np.floor(box[1]), 0, height - 1))
    x1 = int(np.clip(np.ceil(box[2]), x0 + 1, width))
    y1 = int(np.clip(np.ceil(box[3]), y0 + 1, height))
    return x0, y0, x1, y1


def mask_image(inside: np.ndarray) -> Image:
    """A boolean mask as Clarifai carries one: a PNG image, 255 inside.

    Only the PNG is kept (binary masks compress tenfold or more), so many masks of a large
    image cost little memory; whoever needs the pixels (drawing) decodes it."""
    import cv2

    h, w = inside.shape[:2]
    ok, png = cv2.imencode(".png", np.where(inside, 255, 0).astype(np.uint8))
    if not ok:  # pragma: no cover - OpenCV encodes any 2-D uint8 array
        raise ValueError("the mask could not be encoded as PNG")
    return Image(base64=base64.b64encode(png.tobytes()).decode("ascii"),
                 image_info={"width": int(w), "height": int(h), "format": "PNG"})


def mask_region(
    inside: np.ndarray, box: PixelBox, image_wh: tuple[int, int], label: str, score: float
) -> Region:
    """One region: the pixel box, its mask, one concept with the score, ``value`` = score."""
    w, h = image_wh
    x0, y0, x1, y1 = box
    frac = np.array([x0 / w, y0 / h, x1 / w, y1 / h])
    return Region(
        id=geometry.region_id(frac, label),
        region_info=RegionInfo(
            bounding_box=geometry.box_to_proto(frac), mask={"image": mask_image(inside)}
        ),
        data=Data(concepts=[Concept(id=label, name=label, value=float(score))]),
        value=float(score),
    )
