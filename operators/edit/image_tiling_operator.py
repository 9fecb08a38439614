"""``image-tiling-operator``: split a large image into overlapping tiles."""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field, model_validator

from engine import (
    BaseParams,
    Context,
    Data,
    Image,
    InputError,
    Operator,
    Region,
    RegionInfo,
    geometry,
    register,
)

__all__ = ["MAX_TILES", "ImageTilingOperator"]

_Size = Annotated[int, Field(ge=1)]
_Overlap = Annotated[int, Field(ge=0)]
# without max_object_size or overlap, neighbouring tiles share this fraction (SAHI's default)
DEFAULT_OVERLAP_RATIO = 0.2
# most tiles one image may be cut into (each is a region; 1-pixel tiles of a 12-megapixel
# image would be 12 million of them, gigabytes of Data)
MAX_TILES = 10_000


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else v


@register
class ImageTilingOperator(Operator):
    """Split the image into overlapping tiles so a detector sees small objects at full size.

    Tiles are ``tile_size`` pixels (the last row and column flush with the image edges).
    Neighbouring tiles overlap by ``overlap`` pixels; ``max_object_size`` sets that overlap
    so any object up to that size lies whole in at least one tile.  Reads the image; writes
    one region per tile, row by row, with the tile's box (fractions of the image) and its
    pixels in ``data.image``.  Downstream image nodes run once per tile, and
    ``tiling-region-aggregator-operator`` maps what they find back onto the whole image.
    An image that would be cut into more than ``MAX_TILES`` tiles fails for that input.
    """

    type_id = "image-tiling-operator"

    class Params(BaseParams):
        tile_size: _Size | tuple[_Size, _Size] = Field(
            512, description="tile width and height in pixels: one number or [width, height]"
        )
        max_object_size: _Size | None = Field(
            None,
            description="largest object (pixels) that must lie whole in some tile; the tiles "
            "overlap by this much",
        )
        overlap: _Overlap | tuple[_Overlap, _Overlap] | None = Field(
            None,
            description="overlap between neighbouring tiles in pixels, one number or [x, y]; "
            "by default max_object_size, else 20% of the tile",
        )

        @model_validator(mode="after")
        def _fits(self) -> ImageTilingOperator.Params:
            tw, th = _pair(self.tile_size)
            ow, oh = self.effective_overlap()
            if self.overlap is not None and self.max_object_size is not None:
                if min(ow, oh) < self.max_object_size:
                    raise ValueError(
                        f"overlap {self.overlap} is smaller than max_object_size "
                        f"{self.max_object_size}: such objects could be cut by every tile"
                    )
            if ow >= tw or oh >= th:
                if self.overlap is None and self.max_object_size is not None:
                    # the overlap was never given: name the param the user did set
                    raise ValueError(
                        f"max_object_size ({self.max_object_size} px) must be smaller than the "
                        f"tile ({tw}x{th} px): tiles overlap by max_object_size"
                    )
                raise ValueError(
                    f"the overlap ({ow}x{oh} px) must be smaller than the tile ({tw}x{th} px)"
                )
            return self

        def effective_overlap(self) -> tuple[int, int]:
            if self.overlap is not None:
                return _pair(self.overlap)
            if self.max_object_size is not None:
                return self.max_object_size, self.max_object_size
            tw, th = _pair(self.tile_size)
            return int(tw * DEFAULT_OVERLAP_RATIO), int(th * DEFAULT_OVERLAP_RATIO)

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.image")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._tile = _pair(params.tile_size)
        self._overlap = params.effective_overlap()

    def process(self, data: Data, ctx: Context) -> Data | None:
        pixels = ctx.image(data)
        h, w = pixels.shape[:2]
        count = _tile_count(w, self._tile[0], self._overlap[0]) * _tile_count(
            h, self._tile[1], self._overlap[1]
        )
        if count > MAX_TILES:
            raise InputError(
                f"tile_size {self.params.tile_size} would cut this {w}x{h} image into "
                f"{count:,} tiles, more than {MAX_TILES:,}: raise tile_size (or lower the "
                "overlap)"
            )
        tiles = geometry.tile_grid(w, h, *self._tile, *self._overlap)
        fractions = geometry.to_fractions(tiles, w, h)
        regions = [
            Region(
                id=f"tile-{k}",
                region_info=RegionInfo(bounding_box=geometry.box_to_proto(fractions[k])),
                data=Data(image=Image.from_array(_read_only_view(pixels, x1, y1, x2, y2))),
            )
            for k, (x1, y1, x2, y2) in enumerate(tiles.astype(int).tolist())
        ]
        return data.model_copy(update={"image": None, "regions": regions})


def _tile_count(length: int, tile: int, overlap: int) -> int:
    """Tiles along one side, as ``geometry.tile_grid`` places them (the last one flush)."""
    if length <= tile:
        return 1
    return -(-(length - tile) // (tile - overlap)) + 1


def _read_only_view(pixels: np.ndarray, x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    """A tile as a view (tiles are large and only read downstream), locked so that no node
    can write through it into the image the other tiles share."""
    view = pixels[y1:y2, x1:x2]
    view.flags.writeable = False
    return view
