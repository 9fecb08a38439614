"""``StoreConnection``: what every resource's SQL needs of its database, whichever it is.

A resource's SQL (``sqlite_inputs``, ``sqlite_annotations``, ``datasets``, ``search``, ...)
is written once against this class: ``_tx()`` for a write (one transaction, holding the
app's write lock from its first statement, so writers are serialised and a killed process
leaves nothing half-written), ``_query()`` for a read, and ``dialect`` for the little SQL
that differs.  ``_conn.SqliteConnection`` (one SQLite file) and
``_pg_conn.PgConnection`` (one schema of a PostgreSQL database) implement it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from engine.store._dialect import SQLITE, Dialect
from engine.store._rows import put_meta

__all__ = ["StoreConnection"]


class StoreConnection:
    """The plumbing of a store: transactions, reads, meta; see the module docstring."""

    location: str = ""
    dialect: Dialect = SQLITE

    def _tx(self) -> AbstractContextManager[Any]:
        """One write transaction; the context gives an object with ``execute`` and
        ``executemany`` (``?`` placeholders), committed on exit, rolled back on error."""
        raise NotImplementedError

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read, outside any write transaction."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def epoch(self) -> int | None:
        """Equal to an earlier epoch only if nothing was committed to the store between
        (by anyone); None when unknown, and then nothing read may be kept."""
        return None

    # ---- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, items: dict[str, str]) -> None:
        with self._tx() as c:
            put_meta(c, items)
