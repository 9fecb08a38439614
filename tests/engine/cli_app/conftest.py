"""Fixtures of the ``opgraph app`` command tests: an app, and running a command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message

from engine.cli import main
from tests.clarifai_json import assert_clarifai_json

Run = Callable[..., dict[str, Any]]


@pytest.fixture
def app(app_location: Any, capsys: pytest.CaptureFixture[str]) -> Path:
    """A new app on each store backend: a folder, or a ``postgresql://`` URL."""
    path = app_location()
    assert main(["app", "create", str(path)]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def run(app: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(group, verb, *args, expect=(exit code), response=(grpc type))`` -> stdout JSON."""

    def _run(*argv: str, expect: int = 0, response: type[Message] | None = None) -> dict[str, Any]:
        words = list(argv)
        at = 2 if words[0] in ("inputs", "annotations", "concepts") else 1
        code = main(["app", *words[:at], str(app), *words[at:]])
        out, err = capsys.readouterr()
        assert code == expect, err
        if expect == 2:
            assert "\n" not in err.strip() and "Traceback" not in err
        doc: dict[str, Any] = json.loads(out) if out.strip() else {}
        if response is not None:
            assert_clarifai_json(doc, response)
        return doc

    return _run
