"""The connection under ``SqliteStore``: opening, migrating, transactions, errors.

Writes take the database lock up front (``BEGIN IMMEDIATE``), so a second writer fails
fast with one clear error instead of deadlocking half-way through a batch; readers never
block in WAL mode.  The schema is versioned in ``schema_version`` and brought up to date
by ``_schema.MIGRATIONS`` on open, all steps in one transaction.  Each resource's SQL is a
subclass of ``_base.StoreConnection`` (``sqlite_inputs``, ``sqlite_annotations``, ...),
written once for SQLite and PostgreSQL; this class is that interface over one SQLite file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import AppError, OpgraphError, StoreError
from engine.query import GeoArea
from engine.store._base import StoreConnection
from engine.store._rows import put_meta
from engine.store._schema import MIGRATIONS, SCHEMA_VERSION
from engine.store._watch import ChangeWatch

__all__ = ["SqliteConnection"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_INPUT_DUPLICATE = 30100  # Clarifai's INPUT_DUPLICATE


class SqliteConnection(StoreConnection):
    """One SQLite file, migrated on open; the plumbing every resource's SQL shares."""

    def __init__(
        self,
        path: str | Path,
        *,
        timeout_s: float = 2.0,
        initial_meta: dict[str, str] | None = None,
    ) -> None:
        """Open (or create) the database; a new one gets ``initial_meta`` in the same
        transaction as its schema, so it never exists without it."""
        self.path = Path(path)
        self._initial_meta = dict(initial_meta or {})
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
        self._watch = ChangeWatch(self.path)

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
        conn.create_function("search_km", 5, _within_km, deterministic=True)
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
            if version == 0 and self._initial_meta:
                put_meta(c, self._initial_meta)

    @staticmethod
    def _version(c: sqlite3.Connection) -> int:
        known = c.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if known is None:
            return 0
        row = c.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _error(self, exc: sqlite3.Error) -> OpgraphError:
        msg = str(exc)
        if "UNIQUE constraint failed: inputs.id" in msg:  # two writers adding one id at once
            return AppError(
                "input id(s) already in the app (another writer added them meanwhile)",
                code=_INPUT_DUPLICATE,
            )
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

    def epoch(self) -> int | None:
        return self._watch.epoch()

    def close(self) -> None:
        self._watch.close()
        with self._lock:
            self._conn.close()


def _within_km(lat0: float, lon0: float, lat: float, lon: float, km: float) -> int:
    """SQL ``search_km``: 1 when (lat, lon) is within ``km`` of (lat0, lon0)."""
    return int(GeoArea(latitude=lat0, longitude=lon0).distance_km(lat, lon) <= km)
