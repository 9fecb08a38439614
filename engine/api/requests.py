"""What the REST routes read off a Starlette request: its body, within a bound, and its key."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["bounded_body", "request_key"]


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
