"""``SqliteStore``: an app in one SQLite file (WAL), the embedded default ``Store``.

Writes take the database lock up front (``BEGIN IMMEDIATE``), so a second writer fails
fast with one clear error instead of deadlocking half-way through a batch; readers never
block in WAL mode.  The schema is versioned in ``schema_version`` and brought up to date
by the ``_MIGRATIONS`` list on open, one transaction per step.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import StoreError
from engine.store import AnnotationRecord, InputRecord, Relation, WriteBatch
from engine.store._rows import (
    INPUT_COLS,
    annotation_record,
    chunks,
    get_meta,
    input_record,
    insert_index,
    insert_inputs,
    json_match,
    leaves,
    put_meta,
    upsert_annotations,
)
from engine.store._schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["SqliteStore"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_INVERSE = {"synonym": "synonym", "hypernym": "hyponym", "hyponym": "hypernym"}
_INPUT_OK, _INPUT_FAILED = 30000, 30002  # Clarifai's INPUT_SUCCESS / INPUT_FAILED
_ANNOTATION_SUCCESS = 24150


class SqliteStore:
    """The ``Store`` protocol over one SQLite file; see the module docstring."""

    def __init__(self, path: str | Path, *, timeout_s: float = 2.0) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.RLock()
        self._check_header()
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=timeout_s, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            self._setup()
        except sqlite3.Error as exc:
            self._conn.close()
            raise self._error(exc) from None
        except StoreError:
            self._conn.close()
            raise

    # ---- plumbing --------------------------------------------------------------------

    def _check_header(self) -> None:
        """Refuse a non-empty file that is not SQLite before SQLite can write to it."""
        try:
            with self.path.open("rb") as f:
                head = f.read(16)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StoreError(f"{self.location}: cannot read the app's database ({exc})") from None
        if head and head != _SQLITE_MAGIC:
            raise StoreError(
                f"{self.location}: not an opgraph app database, or it is corrupt (no SQLite "
                "header); the file was left as it is"
            )

    def _setup(self) -> None:
        conn = self._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "schema_version" not in tables:
            raise StoreError(f"{self.location}: a SQLite database, but not an opgraph app")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints
        conn.execute("PRAGMA foreign_keys=ON")
        with self._tx() as c:
            # read the version inside the write lock: two processes may create one app
            version = self._version(c)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: written by a newer opgraph (schema v{version}, this "
                    f"one reads up to v{SCHEMA_VERSION}); upgrade opgraph"
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    c.execute(statement)
            if version < SCHEMA_VERSION:
                c.execute("DELETE FROM schema_version")
                c.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))

    @staticmethod
    def _version(c: sqlite3.Connection) -> int:
        known = c.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if known is None:
            return 0
        row = c.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _error(self, exc: sqlite3.Error) -> StoreError:
        msg = str(exc)
        if "locked" in msg or "busy" in msg:
            return StoreError(
                f"{self.location}: another process is writing to this app (database is "
                "locked); try again when it has finished"
            )
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return StoreError(
                f"{self.location}: not an opgraph app database, or it is corrupt ({msg}); "
                "the file was left as it is"
            )
        if "readonly" in msg or "unable to open" in msg or "disk I/O" in msg:
            return StoreError(
                f"{self.location}: cannot write the app's database ({msg}); check that the "
                "directory exists and is writable"
            )
        return StoreError(f"{self.location}: {msg}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the write lock from its first statement."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from None
                raise

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, items: dict[str, str]) -> None:
        with self._tx() as c:
            put_meta(c, items)

    # ---- writes ----------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> bool:
        with self._tx() as c:
            # checked inside the write transaction: a reindex cannot switch in between
            if not batch.building and int(get_meta(c, "generation") or 1) != batch.generation:
                return False
            insert_inputs(c, batch.inputs)
            c.executemany(
                "UPDATE inputs SET status_code = ?, status_description = ? WHERE id = ?",
                [(code, desc, iid) for iid, code, desc in batch.statuses],
            )
            insert_index(c, batch)
            upsert_annotations(c, batch.annotations)
        return True

    def put_annotations(self, records: Sequence[AnnotationRecord]) -> None:
        with self._tx() as c:
            upsert_annotations(c, records)

    def add_relation(self, relation: Relation) -> None:
        with self._tx() as c:
            c.executemany(
                "INSERT OR IGNORE INTO concepts(id) VALUES (?)",
                [(relation.subject,), (relation.object,)],
            )
            c.execute(
                "INSERT OR IGNORE INTO concept_relations VALUES (?, ?, ?, ?)",
                (
                    relation.subject,
                    relation.object,
                    relation.predicate,
                    relation.knowledge_graph_id,
                ),
            )

    # ---- inputs ----------------------------------------------------------------------

    def get_inputs(self, ids: Sequence[str]) -> list[InputRecord]:
        found: dict[str, InputRecord] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT {INPUT_COLS} FROM inputs WHERE id IN ({marks})", chunk)
            found.update((r[0], input_record(r)) for r in rows)
        self._attach_datasets(list(found.values()))
        return [found[i] for i in ids if i in found]

    def missing_ids(self, ids: Sequence[str]) -> list[str]:
        present: set[str] = set()
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            present.update(
                r[0] for r in self._query(f"SELECT id FROM inputs WHERE id IN ({marks})", chunk)
            )
        return [i for i in ids if i not in present]

    def iter_inputs(
        self, batch_size: int, after: int = 0
    ) -> Iterator[tuple[int, list[InputRecord]]]:
        last = after
        while True:
            rows = self._query(
                f"SELECT seq, {INPUT_COLS} FROM inputs WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            records = [input_record(r[1:]) for r in rows]
            self._attach_datasets(records)
            yield last, records

    def count_inputs(self, status: int | None = None) -> int:
        if status is None:
            return int(self._query("SELECT count(*) FROM inputs")[0][0])
        sql = "SELECT count(*) FROM inputs WHERE status_code = ?"
        return int(self._query(sql, (status,))[0][0])

    def filter_input_ids(
        self, dataset_ids: Sequence[str] | None, metadata: dict[str, Any] | None
    ) -> list[str]:
        where: list[str] = []
        args: list[Any] = []
        if dataset_ids:
            marks = ",".join("?" * len(dataset_ids))
            where.append(
                f"id IN (SELECT input_id FROM dataset_inputs WHERE dataset_id IN ({marks}))"
            )
            args.extend(dataset_ids)
        for path, value in leaves(metadata or {}):
            clause, values = json_match(path, value)
            where.append(clause)
            args.extend(values)
        sql = "SELECT id FROM inputs" + (" WHERE " + " AND ".join(where) if where else "")
        return [r[0] for r in self._query(sql, args)]

    def _attach_datasets(self, records: list[InputRecord]) -> None:
        by_id = {r.id: r for r in records}
        for chunk in chunks(list(by_id)):
            marks = ",".join("?" * len(chunk))
            for iid, did in self._query(
                f"SELECT input_id, dataset_id FROM dataset_inputs WHERE input_id IN ({marks})",
                chunk,
            ):
                by_id[iid].dataset_ids.append(did)

    # ---- index -----------------------------------------------------------------------

    def load_vectors(self, generation: int, after: int) -> tuple[int, list[str], np.ndarray]:
        rows = self._query(
            "SELECT id, input_id, vector FROM index_vectors "
            "WHERE generation = ? AND id > ? ORDER BY id",
            (generation, after),
        )
        if not rows:
            return after, [], np.empty((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32)
        return int(rows[-1][0]), [r[1] for r in rows], matrix.reshape(len(rows), -1)

    def concept_scores(self, generation: int, concept_id: str) -> list[tuple[str, float]]:
        """Best score per input: predicted by the base workflow, or labelled (a successful
        annotation)."""
        rows = self._query(
            "SELECT input_id, max(v) FROM ("
            " SELECT input_id, value AS v FROM index_concepts"
            " WHERE generation = ? AND concept_id = ?"
            " UNION ALL"
            " SELECT a.input_id, json_extract(c.value, '$.value') FROM annotations AS a,"
            " json_each(a.data, '$.concepts') AS c"
            " WHERE a.status_code = ? AND json_extract(c.value, '$.id') = ?"
            ") GROUP BY input_id",
            (generation, concept_id, _ANNOTATION_SUCCESS, concept_id),
        )
        return [(r[0], float(r[1])) for r in rows]

    def new_generation(self) -> int:
        with self._tx() as c:
            active = int(get_meta(c, "generation") or 1)  # a new app indexes into generation 1
            for table in ("index_vectors", "index_concepts", "index_regions"):
                # rows above the active generation are a reindex that never finished
                c.execute(f"DELETE FROM {table} WHERE generation > ?", (active,))
            return active + 1

    def switch_generation(
        self,
        generation: int,
        meta: dict[str, str],
        failed: Sequence[tuple[str, str]],
        indexed_upto: int,
    ) -> bool:
        with self._tx() as c:
            newer = c.execute("SELECT 1 FROM inputs WHERE seq > ? LIMIT 1", (indexed_upto,))
            if newer.fetchone() is not None:
                return False  # another writer added inputs meanwhile: index them first
            for table in ("index_vectors", "index_concepts", "index_regions"):
                c.execute(f"DELETE FROM {table} WHERE generation != ?", (generation,))
            # input statuses follow the index in use: all good, then the new failures
            c.execute(
                "UPDATE inputs SET status_code = ?, status_description = ?",
                (_INPUT_OK, "Input successfully processed"),
            )
            c.executemany(
                "UPDATE inputs SET status_code = ?, status_description = ? WHERE id = ?",
                [(_INPUT_FAILED, reason, iid) for iid, reason in failed],
            )
            put_meta(c, {**meta, "generation": str(generation)})
        return True

    def drop_generation(self, generation: int) -> None:
        with self._tx() as c:
            for table in ("index_vectors", "index_concepts", "index_regions"):
                c.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))

    # ---- annotations and concepts -----------------------------------------------------

    def annotations(self, input_id: str | None, status: int | None) -> list[AnnotationRecord]:
        where: list[str] = []
        args: list[Any] = []
        if input_id is not None:
            where.append("input_id = ?")
            args.append(input_id)
        if status is not None:
            where.append("status_code = ?")
            args.append(status)
        sql = (
            "SELECT id, input_id, data, status_code, user_id, task_id, annotation_info, "
            "workflow_id, node_id, created_at, modified_at FROM annotations"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created_at, id"
        )
        return [annotation_record(r) for r in self._query(sql, args)]

    def relations(self, concept_ids: Sequence[str], knowledge_graph_id: str) -> list[Relation]:
        """Relations touching ``concept_ids``, each also seen from its object's side."""
        if not concept_ids:
            return []
        marks = ",".join("?" * len(concept_ids))
        rows = self._query(
            "SELECT subject, object, predicate FROM concept_relations "
            f"WHERE knowledge_graph_id = ? AND (subject IN ({marks}) OR object IN ({marks})) "
            "ORDER BY subject, object, predicate",
            [knowledge_graph_id, *concept_ids, *concept_ids],
        )
        wanted = set(concept_ids)
        out = []
        for s, o, p in rows:
            if s in wanted:
                out.append(Relation(s, o, p, knowledge_graph_id))
            if o in wanted:
                out.append(Relation(o, s, _INVERSE[p], knowledge_graph_id))
        return out
