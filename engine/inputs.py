"""Turns what a user hands to ``predict`` into ``Input`` protos.

Accepted: Clarifai JSON dicts (``{"data": {"image": {"base64": ...}}}``, a bare Data dict,
snake_case or camelCase), ``Input`` and ``Data`` objects, file paths (image or video by
extension; audio files as ``audio``), raw image bytes, and numpy images (BGR, as OpenCV uses).

A JSON request carries data (base64, raw text, an http(s) URL), never a local path: a
value that came from JSON is wrapped in ``JsonItem``, and a plain string in it is refused
unless it names a file inside one of ``settings.json_path_roots`` (empty by default; a
server may list folders it shares).  Paths come from the CLI's ``--input`` and from
Python callers, who may read their own files.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.audio import AUDIO_SUFFIXES
from engine.errors import InputError
from engine.proto import Audio, Data, Image, Input, Text, Video, assembled

__all__ = ["VIDEO_SUFFIXES", "InputSettings", "JsonItem", "settings", "to_input"]

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})
_TEXT_SUFFIXES = frozenset({".txt", ".md"})
_NUMERIC_KINDS = "buif"  # bool, unsigned, signed, float: what to_bgr can turn into pixels


@dataclass
class InputSettings:
    """Where inputs may come from; change ``engine.inputs.settings`` fields to adjust."""

    # folders whose files a JSON request may name by path (a server turns this on)
    json_path_roots: tuple[str, ...] = ()
    max_text_bytes: int = 16 << 20  # a .txt/.md input file


settings = InputSettings()


@dataclass(frozen=True)
class JsonItem:
    """One input exactly as it came in a JSON request: data, not a path to read."""

    value: Any


def to_input(item: Any, index: int = 0) -> Input:
    """One user-given input as an ``Input`` (``InputError`` with a clear reason otherwise)."""
    # a Data first, by its exact type: isinstance on a pydantic class is an ABC check
    is_data = type(item) is Data
    if not is_data and isinstance(item, Input):
        return item
    if not is_data and isinstance(item, JsonItem):
        return _from_json(item.value, index)
    if is_data or isinstance(item, Data):
        fields: dict[str, Any] = {
            "id": None,
            "data": item,
            "created_at": None,
            "modified_at": None,
            "status": None,
            "dataset_ids": [],
        }
        return assembled(Input, fields)
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in _NUMERIC_KINDS:
            raise InputError(
                f"input {index}: a numpy image must hold numbers (uint8, uint16 or float), "
                f"got dtype {item.dtype}"
            )
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


def _from_json(value: Any, index: int) -> Input:
    if isinstance(value, dict):
        return _from_dict(value, index)  # a dict's fields are data: urls are fetched, not read
    if isinstance(value, str):
        path = _under_roots(value)
        if path is None:
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InputError(
                f"input {index}: a JSON request gives data (image.base64, image.url, "
                f"text.raw, ...), not a local file path: {shown!r}"
            )
        return _from_path(path, index)
    raise InputError(
        f"input {index}: a JSON input must be an object such as "
        f'{{"data": {{"image": {{"url": ...}}}}}}, got {type(value).__name__}'
    )


def _under_roots(value: str) -> Path | None:
    """``value`` as a file inside an allowed root (symlinks and ``..`` resolved), or None."""
    if not settings.json_path_roots or "\0" in value:
        return None
    for root in settings.json_path_roots:
        base = Path(os.path.realpath(root))
        candidate = Path(os.path.realpath(base / value))  # an absolute value replaces base
        if candidate.is_relative_to(base) and candidate != base:
            return candidate
    return None


def _from_path(path: Path, index: int) -> Input:
    if not path.is_file():
        raise InputError(f"input {index}: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return Input(id=path.stem, data=Data(video=Video.from_source(str(path))))
    if suffix in _TEXT_SUFFIXES:
        return Input(id=path.stem, data=Data(text=Text(raw=_read_text(path, index))))
    if suffix in AUDIO_SUFFIXES:
        return Input(id=path.stem, data=Data(audio=Audio.from_source(str(path))))
    return Input(id=path.stem, data=Data(image=Image.from_source(str(path))))


def _from_dict(item: dict[str, Any], index: int) -> Input:
    body = item if "data" in item or "id" in item else {"data": item}
    try:
        inp = Input.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise InputError(f"input {index}: bad request at '{where}': {err['msg']}") from None
    for media in (inp.data.image, inp.data.video, inp.data.audio):
        if media is not None and media.base64:
            try:
                base64.b64decode(media.base64, validate=True)
            except (binascii.Error, ValueError):
                raise InputError(f"input {index}: base64 is not valid base64") from None
    if inp.data.is_empty():
        raise InputError(
            f"input {index}: the input has no data (give image, video, text or audio)"
        )
    return inp


def _read_text(path: Path, index: int) -> str:
    limit = settings.max_text_bytes
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
        if len(raw) > limit:
            raise InputError(f"input {index}: {path} is more than the {limit}-byte text limit")
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"input {index}: cannot read {path}: {exc}") from None
