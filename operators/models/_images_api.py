"""Params shared by the nodes over OpenAI's images API (generations and edits)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from operators.models._endpoint import EndpointParams

__all__ = ["ImagesParams"]

_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
_MAX_SIDE = 8192


class ImagesParams(EndpointParams):
    size: str | None = Field(
        default=None,
        description="WIDTHxHEIGHT of the image to make, e.g. 1024x1024; None: the server's",
    )
    quality: str | None = Field(
        default=None, max_length=32, description="the server's quality setting; None: its default"
    )
    response_format: Literal["b64_json", "url"] = Field(
        default="b64_json",
        description="how the server returns the image: inline, or a URL fetched (guarded) after",
    )

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is None:
            return value
        m = _SIZE.match(value)
        if m is None:
            raise ValueError(f"size must be WIDTHxHEIGHT such as 1024x1024, got {value!r}")
        if not all(1 <= int(v) <= _MAX_SIDE for v in m.groups()):
            raise ValueError(f"size sides must be 1..{_MAX_SIDE}, got {value!r}")
        return value
