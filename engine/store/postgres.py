"""``PostgresStore``: an app in one schema of a PostgreSQL database, shared by any number of
processes and machines (``App("postgresql://HOST/DB?schema=NAME")``).

The connection, migrations, the write lock and transactions are ``_pg_conn.PgConnection``;
the SQL of every resource is ``_sql.SqlStore``, the same as ``SqliteStore``'s.
"""

from __future__ import annotations

from engine.store._pg_conn import PgConnection
from engine.store._sql import SqlStore

__all__ = ["PostgresStore"]


class PostgresStore(PgConnection, SqlStore):
    """The ``Store`` protocol over PostgreSQL; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        initial_meta: dict[str, str] | None = None,
        create: bool = True,
    ) -> None:
        super().__init__(url, timeout_s=timeout_s, initial_meta=initial_meta, create=create)
        self._start_search()
