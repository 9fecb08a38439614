"""The local OpenAI-compatible server the generative nodes' tests talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openai_server import FakeOpenAI, openai_server


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """The server on 127.0.0.1, with that network (only) allowed, as a user would."""
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
    monkeypatch.delenv("OPGRAPH_API_KEY_ENVS", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with openai_server() as fake:
        yield fake
