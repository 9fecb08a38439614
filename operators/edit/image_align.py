"""``image-align``: warp each region's object upright by its keypoints onto a template."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import BaseParams, Context, Data, Image, Operator, Point, Region, register

__all__ = ["ImageAlign"]

# where the five face landmarks go, as fractions of the crop (the 112 x 112 layout face
# recognition models are trained on): the eyes, the nose tip, the mouth corners, left to right
FACE_TEMPLATE = (
    (0.3419, 0.4616), (0.6565, 0.4598), (0.5002, 0.6405), (0.3710, 0.8247), (0.6315, 0.8233),
)
_LEAST = {"similarity": 2, "affine": 3}  # points each transform needs
_MAX_SIDE = 1024  # pixels a side of an aligned crop: one per region, all kept in the result


@register
class ImageAlign(Operator):
    """Aligns each region's object by its keypoints, as Clarifai's landmarks-align does.

    For every region with keypoints (``region_info.keypoint_locations``, e.g. from
    ``visual-keypointer``), fits the transform that best carries them onto ``template`` (a
    similarity, OpenCV's ``estimateAffinePartial2D``: rotation, scale and shift; or a full
    ``affine``), robust to a stray point, and warps the image with it into an
    ``output_size`` crop.  The default template is the five-landmark face layout (eyes,
    nose tip, mouth corners).  Hidden keypoints are left out of the fit.  Regions with too
    few keypoints pass through unaligned; none aligned at all stops the branch.

    Keypoints are read from the region itself (fractions of the image, a keypointer run on
    the whole image), or from the first region nested in the region's crop (detect -> crop
    -> keypointer, as Clarifai's face-search workflow does: fractions of the crop, which is
    then the image warped).

    Reads ``regions`` and the image; writes the same regions, each with ``data.image`` set
    to its aligned crop (downstream image nodes run once per crop, as after ``image-crop``).
    """

    type_id = "image-align"

    class Params(BaseParams):
        template: list[tuple[float, float]] = Field(
            default_factory=lambda: list(FACE_TEMPLATE),
            description="where each keypoint goes: (x, y) fractions of the output crop",
        )
        output_size: int | tuple[int, int] = Field(
            112, description="aligned crop width and height in pixels (one int for square)"
        )
        keypoint_indices: list[int] = Field(
            default_factory=list, description="which of a region's keypoints match the "
            "template points, in order (default: its first ones)",
        )
        method: Literal["similarity", "affine"] = Field(
            "similarity", description="similarity keeps the shape (rotation, scale, shift); "
            "affine may also shear",
        )

        @model_validator(mode="after")
        def _consistent(self) -> ImageAlign.Params:
            size = _size(self.output_size)
            if not all(8 <= s <= _MAX_SIDE for s in size):
                raise ValueError(f"'output_size' must lie in 8..{_MAX_SIDE} pixels")
            if len(self.template) < _LEAST[self.method] or len(self.template) > 1000:
                raise ValueError(f"a {self.method} alignment needs {_LEAST[self.method]} to "
                                 "1000 template points")
            if not all(-1.0 <= v <= 2.0 for p in self.template for v in p):
                raise ValueError("template points are fractions of the crop (-1..2)")
            if self.keypoint_indices and len(self.keypoint_indices) != len(self.template):
                raise ValueError(f"'keypoint_indices' gives {len(self.keypoint_indices)} "
                                 f"keypoints for {len(self.template)} template points")
            if any(k < 0 for k in self.keypoint_indices):
                raise ValueError("'keypoint_indices' are keypoint positions, 0 or more")
            return self

    # the image is found by looking back (or in each region's crop): not declared, so the
    # node sees whole regions, with the keypoints a keypointer nested in each crop
    reads: ClassVar[tuple[str, ...]] = ("regions",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.image")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: ImageAlign.Params = params
        self._size = _size(params.output_size)
        self._dst = np.asarray(params.template, dtype=np.float64) * self._size
        self._indices = params.keypoint_indices or list(range(len(params.template)))

    def process(self, data: Data, ctx: Context) -> Data | None:
        regions, aligned = list(data.regions), 0
        whole: np.ndarray | None = None
        for k, region in enumerate(regions):
            own = _keypoints(region)
            if own:  # keypoints of the image itself (a keypointer on the whole image)
                whole = ctx.image(data) if whole is None else whole
                crop = self._align(whole, own)
            else:  # keypoints found inside the region's crop (crop -> keypointer)
                crop = self._align_nested(region)
            if crop is not None:
                regions[k] = _with_image(region, crop)
                aligned += 1
        return data.model_copy(update={"image": None, "regions": regions}) if aligned else None

    def _align_nested(self, region: Region) -> np.ndarray | None:
        inner = region.data
        if inner is None or inner.image is None or not inner.image.has_pixels:
            return None
        found = next((kps for r in inner.regions if (kps := _keypoints(r))), None)
        return self._align(inner.image.array, found) if found else None

    def _align(self, pixels: np.ndarray, points: list[Point]) -> np.ndarray | None:
        import cv2

        h, w = pixels.shape[:2]
        pairs = [(points[i], self._dst[j]) for j, i in enumerate(self._indices)
                 if i < len(points) and points[i].visibility not in ("NOT_VISIBLE", "NOT_PRESENT")]
        if len(pairs) < _LEAST[self.params.method]:
            return None
        src = np.array([(p.col * w, p.row * h) for p, _ in pairs], dtype=np.float32)
        dst = np.array([d for _, d in pairs], dtype=np.float32)
        fit = cv2.estimateAffinePartial2D if self.params.method == "similarity" \
            else cv2.estimateAffine2D
        matrix, _ = fit(src, dst, method=cv2.LMEDS)
        if matrix is None or not np.isfinite(matrix).all():
            return None  # degenerate points (all in one place): nothing to align by
        return np.asarray(cv2.warpAffine(pixels, matrix, self._size, flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT))


def _size(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _keypoints(region: Region) -> list[Point]:
    return list(region.region_info.keypoint_locations) if region.region_info else []


def _with_image(region: Region, crop: np.ndarray) -> Region:
    image = Image.from_array(crop)
    inner = region.data.model_copy(update={"image": image}) if region.data else Data(image=image)
    return region.model_copy(update={"data": inner})
