"""What the REST routes read off a request (Starlette's, or an ASGI scope and its
``receive``): its body, within a bound, and its key."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

__all__ = ["OVER_LIMIT", "bounded_body", "header_key", "read_body", "request_key"]

OVER_LIMIT = b"<over the limit>"  # read_body's answer past the bound (compared by identity)


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None past ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def request_key(request: Request) -> str | None:
    """The token of ``Authorization: Key <token>`` (or ``Bearer``), else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("key", "bearer") and token.strip() else None


async def read_body(receive: Any, headers: list[tuple[bytes, bytes]], limit: int) -> bytes | None:
    """An ASGI request's body; ``OVER_LIMIT`` past ``limit`` bytes (read no further), None
    if the client went away before it was whole."""
    for name, value in headers:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return OVER_LIMIT
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return OVER_LIMIT
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def header_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """``request_key`` from an ASGI scope's headers."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("key", "bearer") and token.strip():
                return token.strip()
            return None
    return None
