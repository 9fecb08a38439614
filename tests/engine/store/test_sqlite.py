"""SqliteStore: schema and migrations, atomic batches, filters, relations, and bad files."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.errors import AppError, StoreError
from engine.store import AnnotationRecord, IndexRecord, InputRecord, Relation, WriteBatch
from engine.store._schema import SCHEMA_VERSION
from engine.store._sql import SqlStore
from engine.store.sqlite import SqliteStore


def _input(
    iid: str, metadata: dict | None = None, datasets: list[str] | None = None
) -> InputRecord:
    return InputRecord(
        iid,
        {"text": {"raw": iid}},
        metadata=metadata,
        dataset_ids=datasets or [],
        created_at="2026-01-01T00:00:00Z",
    )


def _vector(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def store(new_store: Callable[..., SqlStore]) -> SqlStore:
    return new_store()


def test_a_new_file_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "app.db").close()
    conn = sqlite3.connect(tmp_path / "app.db")
    assert conn.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_batch_is_written_whole_and_reads_back(store: SqlStore) -> None:
    batch = WriteBatch(
        generation=1,
        inputs=[_input("a", {"k": 1}, ["d1"]), _input("b")],
        index=[IndexRecord("a", _vector(0), "embed", concepts=[("c", "dog", 0.9)])],
    )
    store.write(batch)
    got = store.get_inputs(["b", "a", "zzz"])
    assert [r.id for r in got] == ["b", "a"]
    assert got[1].metadata == {"k": 1} and got[1].dataset_ids == ["d1"]
    cursor, ids, matrix = store.load_vectors(1, 0)
    assert ids == ["a"] and matrix.shape == (1, 8) and matrix.dtype == np.float32
    assert store.load_vectors(1, cursor)[1] == []  # the cursor only returns newer rows
    assert store.concept_scores(1, "dog") == [("a", pytest.approx(0.9))]


def test_a_failing_batch_leaves_nothing_behind(store: SqlStore) -> None:
    store.write(WriteBatch(1, inputs=[_input("a")]))
    with pytest.raises(AppError, match="already in the app") as err:
        # the second input repeats an id: the whole batch, first input included, rolls back
        store.write(WriteBatch(1, inputs=[_input("b"), _input("a")]))
    assert err.value.code == 30100  # Clarifai's INPUT_DUPLICATE, not a raw constraint error
    assert store.count_inputs() == 1 and store.missing_ids(["b"]) == ["b"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"k": 1}, ["a"]),
        ({"k": 2}, []),
        ({"nested": {"x": "y"}}, ["a"]),
        ({"flag": True}, ["a"]),
        ({"flag": False}, ["b"]),
        ({"tags": ["p", "q"]}, ["a"]),
        ({"none": None}, ["b"]),
    ],
)
def test_metadata_filters_match_nested_keys_and_json_types(
    store: SqliteStore, query: dict, expected: list[str]
) -> None:
    store.write(
        WriteBatch(
            1,
            inputs=[
                _input("a", {"k": 1, "nested": {"x": "y"}, "flag": True, "tags": ["p", "q"]}),
                _input("b", {"k": "1", "flag": False, "none": None}),
            ],
        )
    )
    assert store.filter_input_ids(None, query) == expected


def test_dataset_filter(store: SqlStore) -> None:
    store.write(WriteBatch(1, inputs=[_input("a", datasets=["d1"]), _input("b", datasets=["d2"])]))
    assert store.filter_input_ids(["d2"], None) == ["b"]
    assert sorted(store.filter_input_ids(["d1", "d2"], None)) == ["a", "b"]


def test_relations_are_seen_from_both_sides(store: SqlStore) -> None:
    store.add_relation(Relation("honey", "food", "hyponym"))
    store.add_relation(Relation("puppy", "pup", "synonym", "kg1"))
    assert store.relations(["food"], "") == [Relation("food", "honey", "hypernym")]
    assert store.relations(["pup"], "kg1") == [Relation("pup", "puppy", "synonym", "kg1")]
    assert store.relations(["pup"], "") == []  # another knowledge graph


def test_annotations_upsert_by_id(store: SqlStore) -> None:
    store.write(WriteBatch(1, inputs=[_input("a")]))
    first = AnnotationRecord(
        "x", "a", {"concepts": [{"id": "dog"}]}, 24151, created_at="t1", modified_at="t1"
    )
    store.put_annotations([first])
    again = AnnotationRecord(
        "x", "a", {"concepts": [{"id": "cat"}]}, 24150, created_at="t2", modified_at="t2"
    )
    store.put_annotations([again])
    [got] = store.annotations(None, None)
    assert got.status_code == 24150 and got.data["concepts"][0]["id"] == "cat"
    assert got.created_at == "t1" and got.modified_at == "t2"
    assert store.annotations("a", 24151) == []


def test_generations_switch_in_one_step(store: SqlStore) -> None:
    store.write(WriteBatch(1, inputs=[_input("a")], index=[IndexRecord("a", _vector(1), "e")]))
    new = store.new_generation()
    store.write(WriteBatch(new, index=[IndexRecord("a", _vector(2), "e")]))
    assert store.load_vectors(1, 0)[1] == ["a"]  # the old index is still there
    [(upto, _)] = list(store.iter_inputs(10))
    store.write(WriteBatch(1, inputs=[_input("late")]))  # added after the reindex read
    assert not store.switch_generation(new, {"base_workflow": "x"}, [("a", "broken")], upto)
    assert store.get_meta("generation") is None  # nothing switched
    store.write(WriteBatch(new, index=[IndexRecord("late", _vector(3), "e")]))
    assert store.switch_generation(new, {"base_workflow": "x"}, [("a", "broken")], upto + 1)
    assert store.load_vectors(1, 0)[1] == []
    assert store.get_meta("generation") == str(new)
    assert store.get_inputs(["a"])[0].status_code == 30002


def test_an_unfinished_generation_is_dropped_when_the_next_starts(store: SqlStore) -> None:
    store.write(WriteBatch(1, inputs=[_input("a")]))
    g = store.new_generation()
    store.write(WriteBatch(g, index=[IndexRecord("a", _vector(2), "e")]))
    assert store.new_generation() == g  # the leftover rows were removed, the number reused
    assert store.load_vectors(g, 0)[1] == []


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    bad = tmp_path / "app.db"
    bad.write_bytes(b"not a database" * 400)
    with pytest.raises(StoreError, match="not an opgraph app database, or it is corrupt"):
        SqliteStore(bad)
    assert bad.read_bytes() == b"not a database" * 400


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    with pytest.raises(StoreError, match="not an opgraph app"):
        SqliteStore(tmp_path / "other.db")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "app.db").close()
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute("UPDATE schema_version SET version = 999")
    conn.commit()
    with pytest.raises(StoreError, match="newer opgraph"):
        SqliteStore(tmp_path / "app.db")


def test_a_concurrent_writer_gets_one_clear_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "app.db", timeout_s=0.1)
    other = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreError, match="another process is writing"):
            store.write(WriteBatch(1, inputs=[_input("a")]))
    finally:
        other.execute("ROLLBACK")
    store.write(WriteBatch(1, inputs=[_input("a")]))  # nothing was lost or left locked
    assert store.count_inputs() == 1


def test_a_path_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        SqliteStore(tmp_path / "file" / "app.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_directory_is_a_store_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write"):
            SqliteStore(ro / "app.db")
    finally:
        ro.chmod(0o700)


def test_a_new_database_gets_its_initial_meta_with_its_schema(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "app.db", initial_meta={"base_workflow": "builtin:image"})
    assert store.get_meta("base_workflow") == "builtin:image"
    store.close()
    # an existing database keeps what it has: initial meta is only for a new one
    again = SqliteStore(tmp_path / "app.db", initial_meta={"base_workflow": "builtin:text"})
    assert again.get_meta("base_workflow") == "builtin:image"
    again.close()
