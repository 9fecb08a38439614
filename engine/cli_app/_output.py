"""How ``opgraph app`` commands print: one Clarifai JSON document on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from engine.errors import AppError
from engine.proto import Input, Status, StatusCode

__all__ = ["EXIT_FAILED", "EXIT_OK", "emit", "error_status", "input_json", "ok_status"]

EXIT_OK, EXIT_FAILED = 0, 1


def ok_status() -> dict[str, Any]:
    return Status(code=StatusCode.SUCCESS, description="Ok").to_dict()


def emit(doc: dict[str, Any]) -> None:
    # indented for a person at a terminal, one compact line for a pipe or a file
    pretty = sys.stdout.isatty()
    print(json.dumps(doc, indent=2 if pretty else None, separators=(",", ": " if pretty else ":")))


def error_status(exc: AppError) -> dict[str, Any]:
    """Clarifai's status for a refused request: the code's name, and what was wrong."""
    try:
        name = StatusCode(exc.code).name
    except ValueError:
        name = "FAILURE"
    return Status(code=exc.code, description=name, details=exc.message).to_dict()


def input_json(inp: Input) -> dict[str, Any]:
    """An input as a listing shows it: its media named (info, url) but not its bytes."""
    doc = inp.to_dict()
    data = doc.get("data", {})
    for media in ("image", "video"):
        if media in data:
            data[media].pop("base64", None)
            if not data[media]:
                data.pop(media)
    return doc
