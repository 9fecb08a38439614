"""``SqliteStore``: an app in one SQLite file (WAL), the embedded default ``Store``.

The connection, migrations and transactions are ``_conn.SqliteConnection``; the SQL of every
resource is ``_sql.SqlStore``, shared with ``engine.store.postgres.PostgresStore``.
"""

from __future__ import annotations

from pathlib import Path

from engine.store._conn import SqliteConnection
from engine.store._sql import SqlStore

__all__ = ["SqliteStore"]


class SqliteStore(SqliteConnection, SqlStore):
    """The ``Store`` protocol over one SQLite file; see the module docstring."""

    def __init__(
        self,
        path: str | Path,
        *,
        timeout_s: float = 2.0,
        initial_meta: dict[str, str] | None = None,
    ) -> None:
        super().__init__(path, timeout_s=timeout_s, initial_meta=initial_meta)
        self._start_search()
