"""Suite-wide fixtures: every response any test produces must be Clarifai JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.workflow import Workflow
from tests.clarifai_json import assert_clarifai_json


@pytest.fixture(autouse=True)
def _auto_text_embedder_is_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same suite on every machine: ``auto`` picks hashing even where the semantic extra
    is installed (tests that want MiniLM ask for it, and skip without the extra)."""
    from operators.models import text_embedder

    monkeypatch.setattr(text_embedder, "_semantic_extra_installed", lambda: False)


@pytest.fixture(autouse=True)
def _every_response_is_clarifai_json(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    predict = Workflow.predict

    def checked(self: Workflow, *args: Any, **kwargs: Any) -> Any:
        response = predict(self, *args, **kwargs)
        assert_clarifai_json(response.to_dict())
        return response

    monkeypatch.setattr(Workflow, "predict", checked)
    yield
