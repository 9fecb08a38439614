"""Turns what a user hands to ``predict`` into ``Input`` protos.

Accepted: Clarifai JSON dicts (``{"data": {"image": {"base64": ...}}}``, a bare Data dict,
snake_case or camelCase), ``Input`` and ``Data`` objects, file paths (image or video by
extension), raw image bytes, and numpy images (BGR, as OpenCV uses).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.errors import InputError
from engine.proto import Data, Image, Input, Text, Video, trusted

__all__ = ["VIDEO_SUFFIXES", "to_input"]

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})
_TEXT_SUFFIXES = frozenset({".txt", ".md"})


def to_input(item: Any, index: int = 0) -> Input:
    """One user-given input as an ``Input`` (``InputError`` with a clear reason otherwise)."""
    if isinstance(item, Input):
        return item
    if isinstance(item, Data):
        return trusted(
            Input,
            id=None,
            data=item,
            created_at=None,
            modified_at=None,
            status=None,
            dataset_ids=[],
        )
    if isinstance(item, np.ndarray):
        if (
            item.ndim not in (2, 3)
            or item.size == 0
            or (item.ndim == 3 and item.shape[2] not in (1, 3, 4))
        ):
            raise InputError(
                f"input {index}: a numpy image must be HxW or HxWx1/3/4, got {item.shape}"
            )
        from engine.media import to_bgr  # every node gets 8-bit BGR, as from a decoded file

        return Input(data=Data(image=Image.from_array(to_bgr(item))))
    if isinstance(item, bytes | bytearray):
        return Input(data=Data(image=Image.from_source(bytes(item))))
    if isinstance(item, str | Path):
        return _from_path(Path(item), index)
    if isinstance(item, dict):
        return _from_dict(item, index)
    raise InputError(f"input {index}: cannot use a {type(item).__name__} as an input")


def _from_path(path: Path, index: int) -> Input:
    if not path.is_file():
        raise InputError(f"input {index}: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return Input(id=path.stem, data=Data(video=Video.from_source(str(path))))
    if suffix in _TEXT_SUFFIXES:
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"input {index}: cannot read {path}: {exc}") from None
        return Input(id=path.stem, data=Data(text=Text(raw=raw)))
    return Input(id=path.stem, data=Data(image=Image.from_source(str(path))))


def _from_dict(item: dict[str, Any], index: int) -> Input:
    body = item if "data" in item or "id" in item else {"data": item}
    try:
        inp = Input.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise InputError(f"input {index}: bad request at '{where}': {err['msg']}") from None
    for media in (inp.data.image, inp.data.video):
        if media is not None and media.base64:
            try:
                base64.b64decode(media.base64, validate=True)
            except (binascii.Error, ValueError):
                raise InputError(f"input {index}: base64 is not valid base64") from None
    if inp.data.is_empty():
        raise InputError(f"input {index}: the input has no data (give image, video or text)")
    return inp
