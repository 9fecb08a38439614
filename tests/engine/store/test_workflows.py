"""SqliteWorkflows: stored workflows with immutable versions, newest first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.store._sql import SqlStore
from engine.store.workflows import WorkflowRecord, WorkflowVersionRecord


@pytest.fixture
def store(new_store: Callable[..., SqlStore]) -> SqlStore:
    return new_store()


def test_create_patch_versions_delete(store: SqlStore) -> None:
    wf = store.workflows
    assert wf.create(WorkflowRecord("w", created_at="t"), WorkflowVersionRecord("1", "w", "y1"))
    assert not wf.create(WorkflowRecord("w"), WorkflowVersionRecord("x", "w", "y"))
    rec = wf.get("w")
    assert rec is not None and rec.version is not None and rec.version.yaml == "y1"
    rec.description, rec.metadata = "two", {"a": 1}
    assert wf.patch(rec, WorkflowVersionRecord("2", "w", "y2"))
    assert not wf.patch(WorkflowRecord("nope"), None)
    got = wf.get("w")
    assert got is not None and got.description == "two" and got.metadata == {"a": 1}
    assert got.version is not None and got.version.id == "2"
    assert [v.id for v in wf.versions("w", 0, 10)] == ["2", "1"]
    old = wf.version("w", "1")
    assert old is not None and old.yaml == "y1"
    assert wf.version("w", "9") is None
    wf.create(WorkflowRecord("v"), WorkflowVersionRecord("1", "v", "y"))
    assert [w.id for w in wf.page(0, 10)] == ["w", "v"]
    assert [w.id for w in wf.page(1, 10)] == ["v"]
    assert wf.delete("w") and not wf.delete("w")
    assert wf.get("w") is None and wf.versions("w", 0, 10) == []
