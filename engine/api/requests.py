"""What the REST routes read off a request (an ASGI scope's headers and its ``receive``;
Starlette's ``request.receive`` and ``request.scope["headers"]``): its body, within a
bound, and its key."""

from __future__ import annotations

from typing import Any

__all__ = ["OVER_LIMIT", "header_key", "read_body"]

OVER_LIMIT = b"<over the limit>"  # read_body's answer past the bound (compared by identity)


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
    """The token of ``Authorization: Key <token>`` (or ``Bearer``), else None."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("key", "bearer") and token.strip():
                return token.strip()
            return None
    return None
