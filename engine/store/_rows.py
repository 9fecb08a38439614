"""Row-level functions of a store: pure functions over a connection or a row.

The SQL here is the part SQLite and PostgreSQL share (``?`` placeholders, ``ON CONFLICT``);
``c`` is a write transaction's connection (``sqlite3.Connection`` or the PostgreSQL one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from engine.store import AnnotationRecord, IndexRecord, InputRecord, WriteBatch

__all__ = [
    "ANNOTATION_COLS",
    "INPUT_COLS",
    "annotation_record",
    "chunks",
    "get_meta",
    "input_record",
    "insert_index",
    "insert_inputs",
    "leaves",
    "put_meta",
    "upsert_annotations",
]

INPUT_COLS = "id, data, content, metadata, status_code, status_description, created_at, modified_at"
ANNOTATION_COLS = (
    "id, input_id, data, status_code, user_id, task_id, annotation_info, "
    "workflow_id, node_id, created_at, modified_at"
)


def get_meta(c: Any, key: str) -> str | None:
    row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put_meta(c: Any, items: dict[str, str]) -> None:
    c.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(items.items()),
    )


def insert_inputs(c: Any, records: Sequence[InputRecord]) -> None:
    c.executemany(
        f"INSERT INTO inputs({INPUT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.id,
                json.dumps(r.data),
                r.content,
                None if r.metadata is None else json.dumps(r.metadata),
                r.status_code,
                r.status_description,
                r.created_at,
                r.modified_at or r.created_at,
            )
            for r in records
        ],
    )
    pairs = [(d, r.id) for r in records for d in r.dataset_ids]
    if pairs:
        now = records[0].created_at
        c.executemany(
            "INSERT INTO datasets(id, created_at, modified_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(d, now, now) for d in sorted({d for d, _ in pairs})],
        )
        c.executemany(
            "INSERT INTO dataset_inputs(dataset_id, input_id, created_at) "
            "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(d, i, now) for d, i in pairs],
        )


def insert_index(c: Any, batch: WriteBatch) -> None:
    g = batch.generation
    c.executemany(
        "INSERT INTO index_vectors(generation, input_id, node_id, vector, region) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (g, r.input_id, node, np.ascontiguousarray(vector, np.float32).tobytes(), region)
            for r in batch.index
            for node, vector, region in _vectors_of(r)
        ],
    )
    c.executemany(
        "INSERT INTO index_concepts(generation, concept_id, input_id, node_id, value) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (generation, concept_id, input_id, node_id) "
        "DO UPDATE SET value = excluded.value",
        [(g, cid, r.input_id, node, value) for r in batch.index for node, cid, value in r.concepts],
    )
    c.executemany(
        "INSERT INTO index_regions(generation, input_id, node_id, data) VALUES (?, ?, ?, ?)",
        [(g, r.input_id, node, json.dumps(reg)) for r in batch.index for node, reg in r.regions],
    )


def _vectors_of(r: IndexRecord) -> Iterator[tuple[str, np.ndarray, str | None]]:
    """(node, vector, region JSON or None) of one input's index entry."""
    if r.vector is not None:
        yield r.vector_node, r.vector, None
    for node, region, vector in r.region_vectors:
        yield node, vector, json.dumps(region)


def upsert_annotations(c: Any, records: Sequence[AnnotationRecord]) -> None:
    concept_ids = {
        cid for r in records for cid in (x.get("id") for x in r.data.get("concepts", [])) if cid
    }
    c.executemany(
        "INSERT INTO concepts(id) VALUES (?) ON CONFLICT DO NOTHING",
        [(x,) for x in sorted(concept_ids)],
    )
    c.executemany(
        f"INSERT INTO annotations({ANNOTATION_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET data = excluded.data, "
        "status_code = excluded.status_code, user_id = excluded.user_id, "
        "task_id = excluded.task_id, annotation_info = excluded.annotation_info, "
        "modified_at = excluded.modified_at",
        [
            (
                r.id,
                r.input_id,
                json.dumps(r.data),
                r.status_code,
                r.user_id,
                r.task_id,
                None if r.annotation_info is None else json.dumps(r.annotation_info),
                r.workflow_id,
                r.node_id,
                r.created_at,
                r.modified_at,
            )
            for r in records
        ],
    )


def input_record(row: Sequence[Any]) -> InputRecord:
    iid, data, content, metadata, code, desc, created, modified = row
    return InputRecord(
        id=iid,
        data=json.loads(data),
        content=content,
        metadata=None if metadata is None else json.loads(metadata),
        status_code=int(code),
        status_description=desc,
        created_at=created,
        modified_at=modified,
    )


def annotation_record(row: Sequence[Any]) -> AnnotationRecord:
    aid, iid, data, code, user, task, info, wf, node, created, modified = row
    return AnnotationRecord(
        id=aid,
        input_id=iid,
        data=json.loads(data),
        status_code=int(code),
        user_id=user,
        task_id=task,
        annotation_info=None if info is None else json.loads(info),
        workflow_id=wf,
        node_id=node,
        created_at=created,
        modified_at=modified,
    )


def leaves(
    d: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(keys, value) for every leaf of a nested metadata query."""
    for key, value in d.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
