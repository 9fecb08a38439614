"""What every app call checks in a request: pages, and JSON values bounded in depth and size.

Clarifai's list calls take ``page`` (from 1) and ``per_page`` (default 128, at most 1000).
Metadata and annotation info come from users and files (YAML aliases can make a small
file expand into gigabytes of JSON): they are walked iteratively, without recursion or
serialisation, and refused at the first level or byte past the bound.
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import AppError
from engine.proto import StatusCode

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_PER_PAGE",
    "check_json",
    "page_window",
]

DEFAULT_PER_PAGE = 128  # Clarifai's default page size
MAX_PER_PAGE = 1000  # Clarifai's largest page
MAX_JSON_DEPTH = 32  # nesting levels of a metadata or annotation_info object
MAX_JSON_BYTES = 256 * 1024  # about what it takes as JSON text


def page_window(page: int | None, per_page: int | None) -> tuple[int, int]:
    """(offset, limit) of ``page`` (1-based) of ``per_page`` items, or a clear AppError."""
    page = 1 if page is None else page
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise AppError(
            f"page must be a whole number from 1, got {page!r}",
            code=StatusCode.CONN_INVALID_REQUEST,
        )
    if (
        isinstance(per_page, bool)
        or not isinstance(per_page, int)
        or not 1 <= per_page <= MAX_PER_PAGE
    ):
        raise AppError(
            f"per_page must be a whole number from 1 to {MAX_PER_PAGE}, got {per_page!r}",
            code=StatusCode.CONN_INVALID_REQUEST,
        )
    return (page - 1) * per_page, per_page


def check_json(value: Any, what: str, *, code: int = StatusCode.INPUT_INVALID_ARGUMENT) -> None:
    """Refuse ``value`` unless it is JSON data within ``MAX_JSON_DEPTH`` and ``MAX_JSON_BYTES``.

    Shared sub-objects (YAML aliases, the same dict used twice) count every time they
    appear, as they would once written out.
    """
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise AppError(
                    f"{what} is nested more than {MAX_JSON_DEPTH} levels deep", code=code
                )
            size += 2
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str):
                        raise AppError(f"{what} has a key that is not a string: {key!r}", code=code)
                    size += len(key) + 4
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, float) and not math.isfinite(item):
            raise AppError(f"{what} holds {item}, which is not JSON-serialisable", code=code)
        elif item is None or isinstance(item, bool | int | float):
            size += 8
        else:
            raise AppError(
                f"{what} holds a {type(item).__name__}, which is not JSON-serialisable", code=code
            )
        if size > MAX_JSON_BYTES:
            raise AppError(f"{what} is larger than {MAX_JSON_BYTES // 1024} KiB", code=code)
