"""How ``opgraph app`` commands print: one Clarifai JSON document on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from engine.errors import AppError
from engine.proto import Status, StatusCode

__all__ = ["EXIT_FAILED", "EXIT_OK", "emit", "error_status", "ok_status"]

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
