"""``multipart/form-data`` bodies (RFC 7578), as OpenAI's images/edits and audio APIs take."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

__all__ = ["FilePart", "encode_form"]


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


def encode_form(fields: dict[str, str], files: list[FilePart]) -> tuple[bytes, str]:
    """The body and its Content-Type header for ``fields`` and ``files``."""
    while True:  # a boundary that occurs in no part (a random one all but always)
        boundary = "opgraph-" + secrets.token_hex(16)
        mark = boundary.encode()
        clash = any(mark in f.data for f in files) or any(boundary in v for v in fields.values())
        if not clash:
            break
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(_head(boundary, f'form-data; name="{_quoted(name)}"', None))
        chunks.append(value.encode() + b"\r\n")
    for f in files:
        disposition = f'form-data; name="{_quoted(f.name)}"; filename="{_quoted(f.filename)}"'
        chunks.append(_head(boundary, disposition, f.content_type))
        chunks.append(f.data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _head(boundary: str, disposition: str, content_type: str | None) -> bytes:
    lines = [f"--{boundary}", f"Content-Disposition: {disposition}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _quoted(text: str) -> str:
    # names are ours; a filename never carries a quote, CR or LF into the header
    return text.replace("\\", "").replace('"', "").replace("\r", "").replace("\n", "")
