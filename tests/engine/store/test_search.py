"""engine/store/search.py and _search_schema.py: filter SQL and the trigger-kept tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.query import parse_query
from engine.store import IndexRecord, InputRecord, WriteBatch
from engine.store._schema import MIGRATIONS
from engine.store._sql import SqlStore
from engine.store.sqlite import SqliteStore

PARIS_400 = {"latitude": 48.85, "longitude": 2.35, "geo_limit": 400}
EUROPE = [{"latitude": 40, "longitude": -5}, {"latitude": 60, "longitude": 20}]
PLACES = {  # (latitude, longitude)
    "paris": (48.8566, 2.3522),
    "london": (51.5074, -0.1278),
    "berlin": (52.52, 13.405),
    "nowhere": None,
}


def _input(iid: str, where: tuple[float, float] | None, meta: dict[str, Any] | None) -> InputRecord:
    data: dict[str, Any] = {"image" if iid == "berlin" else "text": {"raw": iid}}
    if where is not None:
        data["geo"] = {"geo_point": {"latitude": where[0], "longitude": where[1]}}
    return InputRecord(iid, data, metadata=meta, dataset_ids=["eu"] if where else [],
                       created_at=f"2026-01-0{len(iid) % 9 + 1}T00:00:00.000000Z")  # fmt: skip


@pytest.fixture
def store(new_store: Callable[..., SqlStore]) -> SqlStore:
    store = new_store()
    meta = {"paris": {"k": [1, 2], "e": {}}, "london": {"k": "1", "z": None}, "berlin": {"k": 1}}
    batch = WriteBatch(
        generation=1,
        inputs=[_input(i, w, meta.get(i)) for i, w in PLACES.items()],
        index=[IndexRecord(i, vector=np.eye(4, dtype=np.float32)[n]) for n, i in enumerate(PLACES)],
    )
    assert store.write(batch)
    return store


def _found(store: SqlStore, *filters: dict[str, Any]) -> list[str]:
    q = parse_query(filters=list(filters))
    seqs = store.search.filter_seqs(q.filters, 1).tolist()
    page = [i for _, i in store.search.filter_page(q.filters, 1, 0, 100)]
    by_seq = store.search.ids_of(seqs)
    assert sorted(page) == sorted(by_seq.values())  # both paths keep the same inputs
    return sorted(by_seq.values())


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"geo_point": PARIS_400}], ["london", "paris"]),
        ([{"geo_point": {"latitude": 48.85, "longitude": 2.35, "geo_limit": 300}}], ["paris"]),
        ([{"geo_point": PARIS_400, "negate": True}],
         ["berlin", "nowhere"]),
        ([{"geo_box": [{"latitude": 50, "longitude": -1}, {"latitude": 53, "longitude": 14}]}],
         ["berlin", "london"]),
        ([{"metadata": {"k": 1}}], ["berlin"]),
        ([{"metadata": {"k": "1"}}], ["london"]),  # a string is not a number
        ([{"metadata": {"k": [1, 2]}}], ["paris"]),  # a list matches whole
        ([{"metadata": {"z": None}}], ["london"]),
        ([{"metadata": {"e": {}}}], ["paris"]),
        ([{"metadata": {"k": 1, "absent": 0}}], []),
        ([{"input_types": ["image"]}], ["berlin"]),
        ([{"input_types": ["image"], "negate": True}], ["london", "nowhere", "paris"]),
        ([{"input_dataset_ids": ["eu"]}, {"input_types": ["text"]}], ["london", "paris"]),
    ],
)  # fmt: skip
def test_filters_keep_the_right_inputs(
    store: SqlStore, filters: list[dict[str, Any]], expected: list[str]
) -> None:
    assert _found(store, *filters) == expected


def test_the_side_tables_follow_patches_and_deletes_made_by_any_code(store: SqlStore) -> None:
    with store._tx() as c:
        c.execute("""UPDATE inputs SET metadata = '{"k": 5}' WHERE id = 'berlin'""")
        c.execute("""UPDATE inputs SET data = '{"text": {"raw": "x"}}' WHERE id = 'paris'""")
        c.execute("DELETE FROM dataset_inputs WHERE input_id = 'london'")
    assert _found(store, {"metadata": {"k": 5}}) == ["berlin"]
    assert _found(store, {"metadata": {"k": 1}}) == []
    assert _found(store, {"geo_box": EUROPE}) == ["berlin", "london"]
    assert _found(store, {"input_dataset_ids": ["eu"]}) == ["berlin", "paris"]
    cursor = store.search.deleted_cursor()
    with store._tx() as c:
        c.execute("DELETE FROM dataset_inputs WHERE input_id = 'berlin'")
        c.execute("DELETE FROM index_vectors WHERE input_id = 'berlin'")
        c.execute("DELETE FROM inputs WHERE id = 'berlin'")
    after, dead = store.search.deleted_since(cursor)
    assert after > cursor and len(dead) == 1
    assert _found(store, {"metadata": {"k": 5}}) == []
    rows = store.search.vector_rows(1, 0)
    assert rows.ids == ["paris", "london", "nowhere"] and rows.matrix.shape == (3, 4)
    assert store.search.vector_rows(1, rows.cursor).ids == []


def test_an_older_app_is_backfilled_when_it_upgrades(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO inputs(id, data, metadata, status_code, status_description, created_at, "
        """modified_at) VALUES ('a', '{"image": {}, "geo": {"geo_point": {"latitude": 1, """
        """"longitude": 2}}}', '{"room": {"name": "shed"}}', 30000, 'ok', 't', 't')"""
    )
    conn.execute("INSERT INTO datasets VALUES ('d', 't')")
    conn.execute("INSERT INTO dataset_inputs VALUES ('d', 'a')")
    conn.commit()
    conn.close()
    store = SqliteStore(db)
    assert _found(store, {"metadata": {"room": {"name": "shed"}}}) == ["a"]
    assert _found(store, {"input_dataset_ids": ["d"]}) == ["a"]
    assert _found(store, {"input_types": ["image"]}) == ["a"]
    assert _found(store, {"geo_point": {"latitude": 1, "longitude": 2, "geo_limit": 1}}) == ["a"]
