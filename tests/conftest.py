"""Suite-wide fixtures: every response any test produces must be Clarifai JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.workflow import Workflow
from tests.clarifai_json import assert_clarifai_json


@pytest.fixture(autouse=True)
def _one_process_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers=None`` chooses by measured time: the suite runs in one process unless a
    test asks for workers (or clears this to test the choice)."""
    monkeypatch.setenv("OPGRAPH_WORKERS", "1")


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


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """A local Ray of 2 CPUs, started once per session (Ray takes 10-60 s to start here)."""
    import warnings

    ray = pytest.importorskip("ray")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One real PostgreSQL server for the whole session (``tests/postgres_server.py``);
    a test takes an app of its own with ``postgres.new_url()``.  Skips, saying why, where
    PostgreSQL cannot run."""
    from tests.postgres_server import PostgresServer

    server = PostgresServer()
    reason = server.missing()
    if reason is not None:
        pytest.skip(reason)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend a test runs on: every test using it runs on both."""
    return str(request.param)


@pytest.fixture
def app_location(backend: str, tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    """``app_location(name)``: where a new app goes on this test's backend (a folder, or
    a PostgreSQL URL naming a schema of its own on the session's server)."""

    def make(name: str = "app") -> Any:
        if backend == "sqlite":
            return tmp_path / name
        return request.getfixturevalue("postgres").new_url()

    return make
