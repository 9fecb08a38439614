"""``image-crop``: cut each region's box out of the image."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from engine import (
    BaseParams,
    BoundingBox,
    Context,
    Data,
    Image,
    Operator,
    Region,
    geometry,
    register,
)

__all__ = ["ImageCrop"]


@register
class ImageCrop(Operator):
    """Crop every region's bounding box, grown by ``margin`` about its centre, from the image.

    Reads ``regions`` and the image: the input's own, or the nearest upstream one when the
    upstream node only produced regions (a detector).  Writes the same regions, boxes
    unchanged, each with ``data.image`` set to its crop; the output carries no image of its
    own, so downstream image nodes run once per crop and nest their results in the region.
    Regions without a box pass through uncropped; no box at all stops the branch.
    """

    type_id = "image-crop"

    class Params(BaseParams):
        margin: float = Field(
            1.0,
            gt=0,
            le=10,
            description="scale factor applied to each box about its centre before cropping "
            "(1.3 grows it by 30%); the crop is clipped to the image",
        )

    reads: ClassVar[tuple[str, ...]] = ("regions", "image")
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.image")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._margin = params.margin

    def process(self, data: Data, ctx: Context) -> Data | None:
        boxed = [(k, bb) for k, r in enumerate(data.regions) if (bb := _box(r)) is not None]
        if not boxed:
            return None
        pixels = ctx.image(data)
        h, w = pixels.shape[:2]
        boxes = geometry.boxes_from_proto([bb for _, bb in boxed])
        slices = geometry.crop_box(boxes, w, h, self._margin).tolist()
        # copies, not views: a view would pin the whole frame in memory (video results keep
        # the crops) and let a downstream writer scribble on the original image.  All copies
        # first, then all protos: interleaving them keeps evicting the Python code's caches.
        crops = [pixels[y1:y2, x1:x2].copy() for x1, y1, x2, y2 in slices]
        regions = list(data.regions)
        for (k, _), crop in zip(boxed, crops, strict=True):
            regions[k] = _with_image(regions[k], crop)
        return data.model_copy(update={"image": None, "regions": regions})


def _box(region: Region) -> BoundingBox | None:
    return region.region_info.bounding_box if region.region_info is not None else None


def _with_image(region: Region, crop: np.ndarray) -> Region:
    image = Image.from_array(crop)
    inner = region.data.model_copy(update={"image": image}) if region.data else Data(image=image)
    return region.model_copy(update={"data": inner})
