"""SqliteDatasets: datasets, their inputs, frozen versions; every refusal writes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.store import AnnotationRecord, InputRecord, WriteBatch
from engine.store._sql import SqlStore
from engine.store.datasets import DatasetRecord, DatasetVersionRecord
from engine.store.sqlite import SqliteStore
from tests.engine.store.conftest import execute


@pytest.fixture
def store(new_store: Callable[..., SqlStore]) -> SqlStore:
    s = new_store()
    s.write(
        WriteBatch(
            1,
            inputs=[
                InputRecord(
                    "a", {"text": {"raw": "a"}}, content=b"A", metadata={"k": 1}, created_at="t1"
                ),
                InputRecord("b", {"text": {"raw": "b"}}, created_at="t1"),
            ],
        )
    )
    s.put_annotations(
        [
            AnnotationRecord(
                "n1", "a", {"concepts": [{"id": "c"}]}, 24150, created_at="t1", modified_at="t1"
            )
        ]
    )
    assert s.datasets.create([DatasetRecord("ds", created_at="t0", modified_at="t0")]) == []
    return s


def test_create_is_all_or_nothing_and_lists_newest_first(store: SqlStore) -> None:
    assert store.datasets.create([DatasetRecord("new"), DatasetRecord("ds")]) == ["ds"]
    assert store.datasets.get(["new"]) == []
    store.datasets.create([DatasetRecord("z", metadata={"x": [1]})])
    assert [d.id for d in store.datasets.page(0, 10)] == ["z", "ds"]
    assert [d.id for d in store.datasets.page(1, 10)] == ["ds"]
    assert store.datasets.get(["z"])[0].metadata == {"x": [1]}


def test_update_and_delete_refuse_unknown_ids_whole(store: SqlStore) -> None:
    rec = store.datasets.get(["ds"])[0]
    rec.description = "d"
    assert store.datasets.update([rec, DatasetRecord("nope")]) == ["nope"]
    assert store.datasets.get(["ds"])[0].description == ""
    assert store.datasets.update([rec]) == []
    assert store.datasets.get(["ds"])[0].description == "d"
    assert store.datasets.delete(["ds", "nope"]) == ["nope"]
    assert store.datasets.delete(["ds"]) == [] and store.datasets.get(["ds"]) == []


def test_inputs_are_added_all_or_nothing_listed_and_removed(store: SqlStore) -> None:
    assert store.datasets.add_inputs("ds", ["a", "zz"], "t2") == ["zz"]
    assert store.datasets.count_inputs("ds") == 0
    assert store.datasets.add_inputs("ds", ["b", "a", "a"], "t2") == []
    assert [r.id for _, r in store.datasets.list_inputs("ds", 0, 10)] == ["a", "b"]
    assert [r.id for _, r in store.datasets.list_inputs("ds", 1, 1)] == ["b"]
    store.datasets.remove_inputs("ds", ["a"], "t3")
    assert store.datasets.count_inputs("ds") == 1
    assert store.get_inputs(["a"])  # the input stays in the app


def test_a_version_freezes_inputs_media_metadata_and_annotations(store: SqlStore) -> None:
    store.datasets.add_inputs("ds", ["a", "b"], "t2")
    v = DatasetVersionRecord("v1", "ds", created_at="t3")
    assert store.datasets.create_version(v) is None
    assert v.metrics == {
        "inputs_count": 2,
        "unlabeled_inputs_count": 1,
        "inputs_with_metadata_count": 1,
        "inputs_with_geo_count": 0,
    }
    # the live data changes; the version does not
    execute(store, "DELETE FROM annotations")
    execute(store, "UPDATE inputs SET metadata = NULL, content = NULL")
    frozen = list(store.datasets.version_inputs(v.seq, batch_size=1))
    assert [(r.id, r.content, r.metadata) for r, _ in frozen] == [
        ("a", b"A", {"k": 1}),
        ("b", None, None),
    ]
    assert [a.id for a in frozen[0][1]] == ["n1"] and frozen[0][1][0].data["concepts"]
    assert store.datasets.get_version("ds", "v1") is not None
    assert [x.id for x in store.datasets.list_versions("ds", 0, 5)] == ["v1"]


def test_versions_refuse_unknown_duplicate_and_empty(store: SqlStore) -> None:
    assert store.datasets.create_version(DatasetVersionRecord("v", "nope")) == "no-dataset"
    assert store.datasets.create_version(DatasetVersionRecord("v", "ds")) == "empty"
    assert store.datasets.list_versions("ds", 0, 5) == []
    store.datasets.add_inputs("ds", ["a"], "t")
    assert store.datasets.create_version(DatasetVersionRecord("v", "ds")) is None
    assert store.datasets.create_version(DatasetVersionRecord("v", "ds")) == "exists"
    assert store.datasets.delete_version("ds", "v") is True
    assert store.datasets.delete_version("ds", "v") is False
    assert store.datasets.get_version("ds", "v") is None


def test_deleting_a_dataset_drops_its_versions(store: SqlStore) -> None:
    store.datasets.add_inputs("ds", ["a"], "t")
    v = DatasetVersionRecord("v", "ds")
    store.datasets.create_version(v)
    store.datasets.delete(["ds"])
    assert list(store.datasets.version_inputs(v.seq)) == []
    assert store.count_inputs() == 2


def test_an_app_from_schema_v1_upgrades_in_place(tmp_path: Path) -> None:
    from engine.store._schema import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "old.db")
    with conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute("INSERT INTO datasets VALUES ('d', 't0')")
    conn.close()
    store = SqliteStore(tmp_path / "old.db")
    (rec,) = store.datasets.get(["d"])
    assert (rec.created_at, rec.modified_at, rec.description) == ("t0", "t0", "")
