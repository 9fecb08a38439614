"""``barcode-operator``: read 1D barcodes and QR codes."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from pydantic import Field, field_validator

from engine import (
    BaseParams,
    Context,
    Data,
    Operator,
    Region,
    register,
)
from operators.predict._barcode_readers import (
    DISPLAY,
    Found,
    make_reader,
    pyzbar_missing,
)

__all__ = ["BarcodeOperator"]

Symbology = Literal["ean-13", "upc-a", "ean-8", "upc-e", "code-128", "code-39", "itf", "qr-code"]
_ALL: tuple[Symbology, ...] = get_args(Symbology)


@register
class BarcodeOperator(Operator):
    """Find and decode barcodes: EAN-13/UPC-A, EAN-8, UPC-E, Code 128, Code 39, Interleaved
    2 of 5 and QR.  Both decoders report retail codes alike: a code starting with 0 is
    ``upc-a`` (12 digits) when upc-a is in ``formats``, else ``ean-13`` (13 digits); UPC-E
    is its 8 digits.

    Reads the image; writes one region per code with its box (and corner polygon), the
    decoded text in ``data.text.raw`` and the symbology as a concept (``qr-code``,
    ``ean-13``...).  ``library`` picks the decoder: zxing-cpp (a wheel, the default) or ZBar
    through pyzbar (needs the system library libzbar0).  Only the symbologies in ``formats``
    are searched for, which is much faster than searching for all of them.
    """

    type_id = "barcode-operator"

    class Params(BaseParams):
        library: Literal["zxing", "pyzbar"] = Field(
            "zxing", description="decoder: zxing (zxing-cpp) or pyzbar (ZBar, needs libzbar0)"
        )
        formats: tuple[Symbology, ...] = Field(
            _ALL,
            min_length=1,
            description="symbologies to look for; fewer is faster",
        )

        @field_validator("library")
        @classmethod
        def _library_installed(cls, v: str) -> str:
            if v == "pyzbar" and (missing := pyzbar_missing()):
                raise ValueError(missing)
            return v

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = (
        "regions",
        "regions[].data.text",
        "regions[].data.concepts",
    )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._read = make_reader(params.library, tuple(dict.fromkeys(params.formats)))

    def process(self, data: Data, ctx: Context) -> Data | None:
        pixels = ctx.image(data)
        h, w = pixels.shape[:2]
        return Data(regions=[_region(f, w, h) for f in self._read(pixels)])


def _region(found: Found, width: int, height: int) -> Region:
    # four points: plain Python beats numpy's per-call cost here
    pts = [
        (min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0))
        for x, y in found.corners.tolist()
    ]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    # one validation of a nested dict: far cheaper than a dozen constructors
    return Region.model_validate(
        {
            "region_info": {
                "bounding_box": {"top_row": y1, "left_col": x1, "bottom_row": y2, "right_col": x2},
                "polygon": {"points": [{"row": y, "col": x} for x, y in pts]},
            },
            "data": {
                "text": {"raw": found.text},
                "concepts": [
                    {"id": found.symbology, "name": DISPLAY.get(found.symbology), "value": 1.0}
                ],
            },
        }
    )
