"""Clarifai's pagination: ``page`` from 1, ``per_page`` 128 by default and at most 1000."""

from __future__ import annotations

from engine.errors import AppError
from engine.proto import StatusCode

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "page_bounds"]

DEFAULT_PER_PAGE = 128
MAX_PER_PAGE = 1000


def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    """(offset, limit) of a page; a page or page size out of range is a bad request."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise AppError(f"page must be a whole number from 1, got {page!r}", code=_BAD)
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise AppError(f"per_page must be a whole number, got {per_page!r}", code=_BAD)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise AppError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}", code=_BAD)
    return (page - 1) * per_page, per_page


_BAD = int(StatusCode.BAD_REQUEST)
