"""The two barcode decoders behind ``barcode-operator``: zxing-cpp and ZBar (pyzbar).

Both turn an image into ``Found`` codes with the symbology named the same way, so the
operator does not care which one ran.  Each reader is told the symbologies to look for:
decoding only those is most of the speed.

Retail codes are reported the same way by both (``_retail``).  A UPC-A code is the EAN-13
code with a leading 0, and the decoders disagree on which to report (zxing-cpp: always
the 13 digits; ZBar: whichever is enabled).  The rule: a code starting with 0 is ``upc-a``
with its 12 digits when upc-a is among the requested formats, else ``ean-13`` with 13
digits; a code not starting with 0 is ``ean-13`` (dropped if only upc-a was requested).
UPC-E is always its 8 digits (number system, 6 digits, check), which zxing-cpp expands
to 13.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DISPLAY", "SYMBOLOGIES", "Found", "make_reader", "pyzbar_missing"]

# Clarifai-style concept ids for the supported symbologies, and their display names
DISPLAY = {
    "ean-13": "EAN-13",
    "upc-a": "UPC-A",
    "ean-8": "EAN-8",
    "upc-e": "UPC-E",
    "code-128": "Code 128",
    "code-39": "Code 39",
    "itf": "ITF",
    "qr-code": "QR Code",
}
SYMBOLOGIES = tuple(DISPLAY)
_ZXING = {"ean-13": "EAN13", "upc-a": "UPCA", "ean-8": "EAN8", "upc-e": "UPCE",
          "code-128": "Code128", "code-39": "Code39", "itf": "ITF",
          "qr-code": "QRCode"}  # fmt: skip
_ZBAR = {"ean-13": "EAN13", "upc-a": "UPCA", "ean-8": "EAN8", "upc-e": "UPCE",
         "code-128": "CODE128", "code-39": "CODE39", "itf": "I25", "qr-code": "QRCODE"}  # fmt: skip
# what each requested symbology needs switched on: ZBar finds UPC-A only with EAN-13 on
_NEEDS = {"upc-a": ("upc-a", "ean-13"), "ean-13": ("ean-13", "upc-a")}
# decoder format names (lower case, letters and digits only) -> our symbology id
_BACK = {
    **{v.lower(): k for k, v in _ZXING.items()},
    **{v.lower(): k for k, v in _ZBAR.items()},
    "code39std": "code-39",
    "code39ext": "code-39",
    "itf14": "itf",
    "qrcodemodel2": "qr-code",
}


@dataclass(frozen=True)
class Found:
    text: str
    symbology: str  # a key of DISPLAY (or the decoder's own name for anything else)
    corners: np.ndarray  # (4, 2) pixel x, y: top-left, top-right, bottom-right, bottom-left


Reader = Callable[[np.ndarray], list[Found]]


def _symbology(name: str) -> str:
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    return _BACK.get(key, key)


def pyzbar_missing() -> str | None:
    """Why pyzbar cannot run here (ZBar's shared library is a system package), or None."""
    try:
        from pyzbar import pyzbar  # noqa: F401
    except (ImportError, OSError) as exc:
        return (
            "library 'pyzbar' needs the ZBar system library, which is not installed "
            f"({exc}); install it (Debian/Ubuntu: apt-get install libzbar0) or use "
            "library: zxing"
        )
    return None


def make_reader(library: str, formats: tuple[str, ...]) -> Reader:
    """A decoder for ``formats`` (symbology ids) using ``library`` ("zxing" or "pyzbar")."""
    enabled = tuple(dict.fromkeys(n for f in formats for n in _NEEDS.get(f, (f,))))
    raw = _zxing_reader(enabled) if library == "zxing" else _zbar_reader(enabled)
    wanted = frozenset(formats)

    def read(image: np.ndarray) -> list[Found]:
        return [g for f in raw(image) if (g := _retail(f, wanted)) is not None]

    return read


def _retail(found: Found, formats: frozenset[str]) -> Found | None:
    """``found`` under the module docstring's UPC/EAN rule; None if it was not asked for."""
    text, kind = found.text, found.symbology
    if kind == "upc-e" and len(text) == 13:
        text = _upc_e(text[1:]) or text
    elif kind in ("ean-13", "upc-a") and text.isdigit() and len(text) in (12, 13):
        ean = text.zfill(13)
        if ean[0] == "0" and "upc-a" in formats:
            kind, text = "upc-a", ean[1:]
        elif "ean-13" in formats:
            kind, text = "ean-13", ean
        else:
            return None
    if kind == found.symbology and text == found.text:
        return found
    return Found(text, kind, found.corners)


def _upc_e(upc_a: str) -> str | None:
    """The 8-digit UPC-E of a 12-digit UPC-A, or None when it has no UPC-E form."""
    ns, m, p, check = upc_a[0], upc_a[1:6], upc_a[6:11], upc_a[11]
    if ns not in "01":
        return None
    if m[2:] in ("000", "100", "200") and p[:2] == "00":
        body = m[:2] + p[2:] + m[2]
    elif m[3:] == "00" and p[:3] == "000":
        body = m[:3] + p[3:] + "3"
    elif m[4] == "0" and p[:4] == "0000":
        body = m[:4] + p[4] + "4"
    elif p[:4] == "0000" and p[4] in "56789":
        body = m + p[4]
    else:
        return None
    return ns + body + check


def _zxing_reader(formats: tuple[str, ...]) -> Reader:
    import zxingcpp

    wanted = zxingcpp.barcode_formats_from_str(",".join(_ZXING[f] for f in formats))

    def read(image: np.ndarray) -> list[Found]:
        return [
            Found(b.text, _symbology(b.format.name), _zxing_corners(b.position))
            for b in zxingcpp.read_barcodes(image, formats=wanted)
        ]

    return read


def _zxing_corners(p: Any) -> np.ndarray:
    pts = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    return np.array([(q.x, q.y) for q in pts], dtype=np.float64)


def _zbar_reader(formats: tuple[str, ...]) -> Reader:
    missing = pyzbar_missing()
    if missing:
        raise ValueError(missing)
    from pyzbar import pyzbar

    symbols = [pyzbar.ZBarSymbol[_ZBAR[f]] for f in formats]

    def read(image: np.ndarray) -> list[Found]:
        gray = image if image.ndim == 2 else _gray(image)
        return [
            Found(r.data.decode("utf-8", "replace"), _symbology(r.type), _zbar_corners(r))
            for r in pyzbar.decode(gray, symbols=symbols)
        ]

    return read


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return np.ascontiguousarray(cv2.cvtColor(image, code))


def _zbar_corners(r: Any) -> np.ndarray:
    left, top, w, h = r.rect
    return np.array(
        [(left, top), (left + w, top), (left + w, top + h), (left, top + h)], dtype=np.float64
    )
