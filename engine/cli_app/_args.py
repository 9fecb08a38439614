"""Parsing what ``opgraph app`` commands take: JSON arguments, ``ID[:VALUE]`` concepts, boxes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.errors import AppError
from engine.proto import StatusCode

__all__ = ["MAX_JSON_ARG", "add_paging", "box_arg", "concept_arg", "json_arg"]

MAX_JSON_ARG = 16 * 1024 * 1024  # a JSON argument (or @file) larger than this is refused
_BAD = StatusCode.INPUT_INVALID_ARGUMENT


def add_paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--page", type=int, default=1, metavar="N", help="page, from 1 (default 1)")
    p.add_argument(
        "--per-page", type=int, default=None, metavar="N", help="items per page (128; max 1000)"
    )


def json_arg(text: str, what: str) -> Any:
    """JSON given inline, or ``@FILE`` to read it from a file."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            if path.stat().st_size > MAX_JSON_ARG:
                raise AppError(f"{what}: {path} is larger than {MAX_JSON_ARG >> 20} MiB", code=_BAD)
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AppError(f"{what}: cannot read {path}: {exc}", code=_BAD) from None
    if len(text) > MAX_JSON_ARG:
        raise AppError(f"{what} is larger than {MAX_JSON_ARG >> 20} MiB", code=_BAD)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppError(f"{what} is not JSON: {exc}", code=_BAD) from None
    except RecursionError:
        raise AppError(f"{what} is nested too deeply", code=_BAD) from None


def concept_arg(text: str) -> dict[str, Any]:
    """``ID`` or ``ID:VALUE`` (value 1 present, 0 absent) as a Clarifai concept."""
    cid, sep, value = text.rpartition(":") if ":" in text else (text, "", "")
    if not sep:
        return {"id": text, "value": 1.0}
    try:
        return {"id": cid, "value": float(value)}
    except ValueError:
        raise AppError(f"a concept is ID or ID:VALUE, got {text!r}", code=_BAD) from None


def box_arg(text: str) -> dict[str, Any]:
    """``CONCEPT:TOP,LEFT,BOTTOM,RIGHT`` (fractions of the image) as a region."""
    concept, _, coords = text.rpartition(":")
    try:
        top, left, bottom, right = (float(x) for x in coords.split(","))
    except ValueError:
        raise AppError(
            f"a box is CONCEPT:TOP,LEFT,BOTTOM,RIGHT (fractions), got {text!r}", code=_BAD
        ) from None
    box = {"top_row": top, "left_col": left, "bottom_row": bottom, "right_col": right}
    region: dict[str, Any] = {"region_info": {"bounding_box": box}}
    if concept:
        region["data"] = {"concepts": [{"id": concept, "value": 1.0}]}
    return region
