"""``ApiError``: a request the server refuses, with Clarifai's status code."""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """A request the server refuses: Clarifai's status code and one clear description."""

    def __init__(self, code: int, description: str, details: str = "") -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.details = details
