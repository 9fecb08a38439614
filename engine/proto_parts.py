"""The parts a ``Data`` is made of: geometry (boxes, points, polygons, spans), media
(image, video, text, audio), concepts, embeddings, clusters, colours, frame info, geo.

A decoded image rides along with its ``Image`` as a private numpy array: never serialized,
decoded at most once (see ``Image.array``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr

from engine.proto_base import _Proto

__all__ = [
    "W3C",
    "Audio",
    "AudioInfo",
    "BoundingBox",
    "Cluster",
    "Color",
    "Concept",
    "Embedding",
    "FrameInfo",
    "Geo",
    "GeoBoxedPoint",
    "GeoLimit",
    "GeoPoint",
    "Image",
    "ImageInfo",
    "KeypointEdge",
    "KeypointInfo",
    "Mask",
    "Point",
    "Polygon",
    "RegionInfo",
    "Span",
    "Text",
    "TextInfo",
    "Video",
    "VideoInfo",
]


class BoundingBox(_Proto):
    """Fractions of the image: rows of its height, cols of its width, origin top left."""

    top_row: float = 0.0
    left_col: float = 0.0
    bottom_row: float = 0.0
    right_col: float = 0.0


class Point(_Proto):
    row: float = 0.0
    col: float = 0.0
    z: float | None = None
    # a keypoint's state, as Clarifai's Point.Visibility names it
    visibility: Literal["NOT_SET", "VISIBLE", "NOT_VISIBLE", "NOT_PRESENT"] | None = None


class Polygon(_Proto):
    points: list[Point] = Field(default_factory=list)


class Span(_Proto):
    char_start: int = 0
    char_end: int = 0
    raw_text: str | None = None


class RegionInfo(_Proto):
    bounding_box: BoundingBox | None = None
    mask: Mask | None = None
    polygon: Polygon | None = None
    point: Point | None = None
    span: Span | None = None
    keypoint_locations: list[Point] = Field(default_factory=list)


class KeypointEdge(_Proto):
    """Two keypoints joined in a skeleton, by index into ``keypoint_names``."""

    k1: int = 0
    k2: int = 0


class KeypointInfo(_Proto):
    """What a keypoint concept's ``keypoint_locations`` mean: their names, in order, and the
    skeleton that joins them."""

    keypoint_names: list[str] = Field(default_factory=list)
    skeleton: list[KeypointEdge] = Field(default_factory=list)


class Concept(_Proto):
    id: str = ""
    name: str | None = None
    value: float = 1.0
    app_id: str | None = None
    language: str | None = None
    vocab_id: str | None = None
    keypoint_info: KeypointInfo | None = None


class ImageInfo(_Proto):
    width: int | None = None
    height: int | None = None
    format: str | None = None
    color_mode: str | None = None


class Image(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    image_info: ImageInfo | None = None
    _array: np.ndarray | None = PrivateAttr(default=None)
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_array(cls, array: np.ndarray) -> Image:
        """An image that already lives in memory (BGR or gray, as OpenCV uses)."""
        h, w = array.shape[:2]
        img = cls(image_info=ImageInfo(width=int(w), height=int(h)))
        img._array = array
        return img

    @classmethod
    def from_source(cls, source: str | bytes) -> Image:
        """An image to decode on first use from a file path or raw file bytes."""
        img = cls()
        img._source = source
        return img

    @property
    def array(self) -> np.ndarray:
        """The decoded BGR pixels, decoded on first access and kept."""
        if self._array is None:
            from engine import media  # media pulls in OpenCV; only load it when pixels are needed

            self._array = media.decode_image(self)
            h, w = self._array.shape[:2]
            self.image_info = ImageInfo(width=int(w), height=int(h))
        return self._array

    @property
    def has_pixels(self) -> bool:
        return self._array is not None or bool(self._source or self.base64 or self.url)

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file this image decodes from, when it came as bytes (a stored input)."""
        return self._source if isinstance(self._source, bytes) else None


class Mask(_Proto):
    """A segmentation mask: an image whose non-zero pixels are inside.  It covers the
    region's bounding box where the region has one, else the whole image."""

    image: Image | None = None


class VideoInfo(_Proto):
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration_seconds: float | None = None


class Video(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    video_info: VideoInfo | None = None
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_source(cls, source: str | bytes) -> Video:
        vid = cls()
        vid._source = source
        return vid

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file this video streams from, when it came as bytes (a stored input)."""
        return self._source if isinstance(self._source, bytes) else None


class TextInfo(_Proto):
    char_count: int | None = None
    encoding: str | None = None


class Text(_Proto):
    raw: str | None = None
    url: str | None = None
    allow_duplicate_url: bool | None = None
    text_info: TextInfo | None = None


class AudioInfo(_Proto):
    audio_format: str | None = None
    sample_rate: int | None = None
    duration_seconds: float | None = None
    bit_rate: int | None = None


class Audio(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    audio_info: AudioInfo | None = None
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_source(cls, source: str | bytes) -> Audio:
        """Audio to read on first use from a file path or raw file bytes."""
        audio = cls()
        audio._source = source
        return audio

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file, when this audio came as bytes."""
        return self._source if isinstance(self._source, bytes) else None


class Embedding(_Proto):
    vector: list[float] = Field(default_factory=list)
    num_dimensions: int | None = None


class Cluster(_Proto):
    """A cluster an input falls in (a ``clusterer``'s output)."""

    id: str = ""
    count: int | None = None
    score: float | None = None
    projection: list[float] = Field(default_factory=list)


class W3C(_Proto):
    hex: str | None = None
    name: str | None = None


class Color(_Proto):
    raw_hex: str | None = None
    w3c: W3C | None = None
    value: float = 0.0


class FrameInfo(_Proto):
    index: int = 0
    time: int = 0
    number: int = 0


class GeoPoint(_Proto):
    longitude: float = 0.0
    latitude: float = 0.0


class GeoLimit(_Proto):
    type: str = "withinKilometers"  # or withinMiles, withinRadians, withinDegrees
    value: float = 0.0


class GeoBoxedPoint(_Proto):
    geo_point: GeoPoint = Field(default_factory=GeoPoint)


class Geo(_Proto):
    """Where an input was taken (``geo_point``), or a search area (limit, box)."""

    geo_point: GeoPoint | None = None
    geo_limit: GeoLimit | None = None
    geo_box: list[GeoBoxedPoint] = Field(default_factory=list)


RegionInfo.model_rebuild()
