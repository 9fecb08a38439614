"""``optical-character-recognizer``: read the text in an image, one region per line."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from engine import (
    BaseParams,
    BoundingBox,
    Context,
    Data,
    LocalPath,
    Operator,
    Point,
    Polygon,
    Region,
    RegionInfo,
    Text,
    geometry,
    register,
)
from operators.models._ocr import (
    OcrSettings,
    PaddleOcr,
    TextLine,
    bundled_classifier,
    bundled_models,
)

__all__ = ["OpticalCharacterRecognizer"]


@register
class OpticalCharacterRecognizer(Operator):
    """Finds the lines of text in an image and reads them, as Clarifai's OCR models do.

    Runs PP-OCRv4 (PaddleOCR's text detector and recogniser, ONNX) on this machine; the
    models ship inside the ``rapidocr-onnxruntime`` wheel of the ``ocr`` extra (``pip
    install 'opgraph[ocr]'``; without it the workflow is refused when it is compiled).
    The recogniser reads Chinese and English letters, digits and punctuation; of accented
    letters it knows a few (é, è, à, ü ...) and often drops accents.  ``det_model_path``
    / ``rec_model_path`` run other PP-OCR exports instead (e.g. PaddleOCR's Latin or
    Cyrillic recognisers, with
    ``rec_char_dict_path`` when the model does not carry its alphabet).  Each line is a
    region: its box (and its four corners as ``region_info.polygon``, as lines may be
    slanted), ``data.text.raw`` and ``value``, the mean confidence of its characters.
    Lines come top to bottom.  ``use_angle_cls`` turns lines the bundled orientation
    classifier finds upside down before reading them.  After a cropper it reads each crop.

    Reads ``image``; writes ``regions`` (with ``regions[].data.text``).
    """

    type_id = "optical-character-recognizer"

    class Params(BaseParams):
        min_value: float = Field(
            0.5, ge=0.0, le=1.0, description="lines read with a lower confidence are dropped"
        )
        det_db_thresh: float = Field(
            0.3, gt=0.0, lt=1.0, description="detection map value above which a pixel is text"
        )
        det_db_box_thresh: float = Field(
            0.5, ge=0.0, le=1.0,
            description="mean detection value a line needs (higher: fewer, surer lines)",
        )
        det_db_unclip_ratio: float = Field(
            1.6, ge=0.5, le=4.0, description="how far each line's box grows around its text"
        )
        det_limit_side_len: int = Field(
            736, ge=32, le=4000,
            description="the image's shorter side is scaled up to this for detection "
            "(smaller: faster, misses small text)",
        )
        max_side_len: int = Field(
            2000, ge=32, le=8000,
            description="larger images are scaled down to this longer side first",
        )
        max_lines: int = Field(1000, ge=1, le=10_000, description="at most this many lines")
        space_threshold: float = Field(
            0.004, ge=0.0, le=1.0,
            description="a space goes between two characters when the recogniser's space "
            "probability between them exceeds this (it seldom makes a space its best guess "
            "between Latin words); 1 keeps only the spaces it reads",
        )
        use_angle_cls: bool = Field(
            False, description="turn lines the bundled orientation classifier finds upside "
            "down before reading them (slower; for text that may be rotated half a turn)",
        )
        det_model_path: LocalPath | None = Field(
            None, description="a PP-OCR text detection ONNX file instead of the bundled one"
        )
        rec_model_path: LocalPath | None = Field(
            None, description="a PP-OCR text recognition ONNX file instead of the bundled one"
        )
        rec_char_dict_path: LocalPath | None = Field(
            None, description="the recogniser's alphabet, one character a line (PaddleOCR's "
            "dict file), when its ONNX metadata has none",
        )

        @model_validator(mode="after")
        def _files(self) -> OpticalCharacterRecognizer.Params:
            for name in ("det_model_path", "rec_model_path", "rec_char_dict_path"):
                path = getattr(self, name)
                if path is not None and not Path(path).expanduser().is_file():
                    raise ValueError(f"{name} {path!r} is not a file")
            if self.rec_char_dict_path and not self.rec_model_path:
                raise ValueError("rec_char_dict_path goes with rec_model_path")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.text")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: OpticalCharacterRecognizer.Params = params
        p = params
        det, rec = _model_files(p)
        settings = OcrSettings(
            det_side=p.det_limit_side_len,
            max_side=p.max_side_len,
            det_threshold=p.det_db_thresh,
            box_threshold=p.det_db_box_thresh,
            unclip_ratio=p.det_db_unclip_ratio,
            max_lines=p.max_lines,
            space_threshold=p.space_threshold,
        )
        alphabet = _read_alphabet(p.rec_char_dict_path) if p.rec_char_dict_path else None
        cls = bundled_classifier() if p.use_angle_cls else None
        self._ocr = PaddleOcr(det, rec, settings, alphabet, cls)

    def process(self, data: Data, ctx: Context) -> Data | None:
        bgr = ctx.image(data)
        h, w = bgr.shape[:2]
        floor = self.params.min_value
        lines = [ln for ln in self._ocr(bgr) if ln.text.strip() and ln.score >= floor]
        return Data(regions=[_region(line, w, h) for line in lines])


def _model_files(p: OpticalCharacterRecognizer.Params) -> tuple[Path, Path]:
    if p.det_model_path and p.rec_model_path:
        return Path(p.det_model_path).expanduser(), Path(p.rec_model_path).expanduser()
    det, rec = bundled_models()
    return (
        Path(p.det_model_path).expanduser() if p.det_model_path else det,
        Path(p.rec_model_path).expanduser() if p.rec_model_path else rec,
    )


_MAX_ALPHABET_BYTES = 4 << 20


def _read_alphabet(path: str) -> list[str]:
    file = Path(path).expanduser()
    if file.stat().st_size > _MAX_ALPHABET_BYTES:
        raise ValueError(f"rec_char_dict_path {path!r} is over {_MAX_ALPHABET_BYTES} bytes")
    try:
        chars = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"rec_char_dict_path {path!r} is not UTF-8 text (byte {exc.start})"
        ) from None
    if not chars:
        raise ValueError(f"rec_char_dict_path {path!r} is empty")
    return chars


def _region(line: TextLine, width: int, height: int) -> Region:
    corners = line.quad / np.array([width, height], dtype=np.float64)
    corners = np.clip(corners, 0.0, 1.0)
    box = np.array([*corners.min(axis=0), *corners.max(axis=0)])
    bounding: BoundingBox = geometry.box_to_proto(box)
    polygon = Polygon(points=[Point(row=float(y), col=float(x)) for x, y in corners])
    return Region(
        id=geometry.region_id(box, line.text),
        region_info=RegionInfo(bounding_box=bounding, polygon=polygon),
        data=Data(text=Text(raw=line.text)),
        value=round(line.score, 6),
    )
