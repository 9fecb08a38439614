"""Clarifai's pagination: ``page`` from 1, ``per_page`` 128 by default and at most 1000."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.errors import ApiError

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "page_args", "page_of"]

DEFAULT_PER_PAGE = 128
MAX_PER_PAGE = 1000
T = TypeVar("T")


def page_args(page: int, per_page: int) -> tuple[int, int]:
    """``(page, per_page)`` with Clarifai's defaults for zeros; out of range is refused."""
    page = page or 1
    per_page = per_page or DEFAULT_PER_PAGE
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(
            codes.CONN_INVALID_RANGE,
            f"page must be >= 1 and per_page in 1..{MAX_PER_PAGE} (got {page}, {per_page})",
        )
    return page, per_page


def page_of(items: Sequence[T], page: int, per_page: int) -> list[T]:
    """One page of an already ordered sequence."""
    page, per_page = page_args(page, per_page)
    start = (page - 1) * per_page
    return list(items[start : start + per_page])
