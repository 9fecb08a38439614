"""``PgConnection``: a store in one schema of a PostgreSQL database (``psycopg`` 3).

An app is addressed by a URL, ``postgresql://USER@HOST:PORT/DATABASE?schema=NAME`` (any
libpq connection URL; ``schema`` defaults to ``public``), so one database holds many apps.
Every write transaction first takes the app's advisory lock (``pg_advisory_xact_lock``),
as SQLite's ``BEGIN IMMEDIATE`` takes its write lock: writers from any number of
processes and machines are serialised per app, each commits whole or not at all (a
killed client's transaction is rolled back by the server), and the ids PostgreSQL hands
out grow in commit order.  That last point is what lets every process keep its in-memory
vector index up to date incrementally, exactly as with SQLite: it reads the rows after
the last id it saw (``index_vectors.id``, ``search_deleted.id``), and no transaction can
commit a smaller id later.  Reads run outside transactions (autocommit) and never wait
for writers.  The shared SQL's ``?`` placeholders become psycopg's ``%s`` here.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from engine.errors import AppError, OpgraphError, StoreError
from engine.store._base import StoreConnection
from engine.store._dialect import POSTGRES
from engine.store._pg_schema import PG_MIGRATIONS, PG_SCHEMA_VERSION
from engine.store._rows import put_meta

__all__ = ["PgConnection", "Session", "connect", "is_postgres_url", "parse_url", "redact"]

_SCHEMES = ("postgresql://", "postgres://")
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_INPUT_DUPLICATE = 30100  # Clarifai's INPUT_DUPLICATE
_LOCK_CLASS = 0x6F70  # advisory locks: (this class, crc32 of the schema)


def is_postgres_url(location: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(location, str) and location.startswith(_SCHEMES)


def parse_url(url: str) -> tuple[str, str]:
    """(libpq connection URL, schema) from an app URL; ``StoreError`` if it is not valid."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = schemas[-1] if schemas else "public"
    if not _SCHEMA.fullmatch(schema):
        raise StoreError(
            f"{redact(url)}: schema {schema[:80]!r} is not a valid name (letters, digits, "
            "'_', at most 63, not starting with a digit)"
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


@lru_cache(maxsize=512)
def _psycopg_sql(sql: str) -> str:
    """Shared SQL (``?`` placeholders) as psycopg's (``%s``; a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Tx:
    """A write transaction's connection, with sqlite3's ``execute``/``executemany``."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        if not args:
            return self._conn.execute(sql)
        return self._conn.execute(_psycopg_sql(sql), args)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(_psycopg_sql(sql), rows)


class Session(_Tx):
    """One autocommit connection with ``?`` placeholders, for small tables beside the apps
    (the server's app registry and tokens); ``transaction()`` groups statements."""

    def transaction(self) -> Any:
        return self._conn.transaction()

    def close(self) -> None:
        self._conn.close()


def connect(url: str, schema: str, timeout_s: float = 30.0) -> Session:
    """A ``Session`` on the database of ``url`` (its own ``schema`` parameter ignored);
    ``StoreError`` when psycopg is missing or the server cannot be reached."""
    base, _ = parse_url(url)
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            f"{redact(url)}: PostgreSQL needs psycopg: pip install 'opgraph[postgres]'"
        ) from None
    try:
        conn = psycopg.connect(base, autocommit=True, connect_timeout=max(1, int(timeout_s)))
    except psycopg.Error as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{redact(url)}: cannot reach the database ({msg})") from None
    conn.execute("SELECT set_config('search_path', %s, false)", (f'"{schema}"',))
    return Session(conn)


class PgConnection(StoreConnection):
    """One app's schema in a PostgreSQL database, migrated on open."""

    dialect = POSTGRES

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        initial_meta: dict[str, str] | None = None,
        create: bool = True,
    ) -> None:
        """Connect and bring the schema up to date; with ``create`` False, ``StoreError``
        when the schema holds no app (a new one gets ``initial_meta`` with its tables)."""
        self._url, self.schema = parse_url(url)
        self.location = redact(url)
        self._timeout_s = timeout_s
        self._initial_meta = dict(initial_meta or {})
        self._lock = threading.RLock()
        self._lock_key = zlib.crc32(self.schema.encode()) - (1 << 31)
        self._conn: Any = None
        self._connect()
        try:
            self._setup(create)
        except BaseException:
            self.close()
            raise

    # ---- plumbing --------------------------------------------------------------------

    def _connect(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"{self.location}: an app in PostgreSQL needs psycopg: "
                "pip install 'opgraph[postgres]'"
            ) from None

        try:
            self._conn = psycopg.connect(
                self._url, autocommit=True, connect_timeout=max(1, int(self._timeout_s))
            )
            self._conn.execute(
                "SELECT set_config('search_path', %s, false), "
                "set_config('lock_timeout', %s, false)",
                (f'"{self.schema}"', f"{int(self._timeout_s * 1000)}ms"),
            )
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _setup(self, create: bool) -> None:
        with self._tx() as c:
            exists = c.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? "
                "AND table_name = 'schema_version'",
                (self.schema,),
            ).fetchone()
            if exists is None and not create:
                raise StoreError(f"{self.location}: no app here; create one first")
            if exists is None:
                self._check_empty(c)
                c.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                version = 0
            else:
                row = c.execute("SELECT max(version) FROM schema_version").fetchone()
                version = int(row[0] or 0)
            self._migrate(c, version)

    def _check_empty(self, c: _Tx) -> None:
        """Refuse a schema that holds tables but no app (never write into someone's data)."""
        row = c.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ?",
            (self.schema,),
        ).fetchone()
        if row[0]:
            raise StoreError(
                f"{self.location}: schema {self.schema!r} holds tables but not an opgraph "
                "app; give another schema (?schema=NAME)"
            )

    def _migrate(self, c: _Tx, version: int) -> None:
        if version > PG_SCHEMA_VERSION:
            raise StoreError(
                f"{self.location}: written by a newer opgraph (schema v{version}, this one "
                f"reads up to v{PG_SCHEMA_VERSION}); upgrade opgraph"
            )
        for step in range(version, PG_SCHEMA_VERSION):
            for statement in PG_MIGRATIONS[step]:
                c._conn.execute(statement)
        if version < PG_SCHEMA_VERSION:
            c.execute("DELETE FROM schema_version")
            c.execute("INSERT INTO schema_version(version) VALUES (?)", (PG_SCHEMA_VERSION,))
        if version == 0 and self._initial_meta:
            put_meta(c, self._initial_meta)

    def _error(self, exc: Exception) -> OpgraphError:
        import psycopg.errors as e

        if isinstance(exc, e.UniqueViolation) and getattr(exc.diag, "table_name", "") == "inputs":
            return AppError(
                "input id(s) already in the app (another writer added them meanwhile)",
                code=_INPUT_DUPLICATE,
            )
        if isinstance(exc, e.LockNotAvailable | e.QueryCanceled):
            return StoreError(
                f"{self.location}: another process has been writing to this app for more "
                f"than {self._timeout_s:g} s; try again when it has finished"
            )
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, e.OperationalError):
            return StoreError(f"{self.location}: cannot reach the app's database ({msg})")
        return StoreError(f"{self.location}: {msg}")

    def _live(self) -> Any:
        """The connection, opened again if the server dropped it (a restart, a timeout)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._connect()
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[_Tx]:
        """One write transaction, holding the app's write lock from its first statement."""
        import psycopg

        with self._lock:
            conn = self._live()
            try:
                with conn.transaction():
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, self._lock_key)
                    )
                    yield _Tx(conn)
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        import psycopg

        with self._lock:
            try:
                conn = self._live()
                cur = conn.execute(_psycopg_sql(sql), args) if args else conn.execute(sql)
                rows: list[Any] = cur.fetchall()
            except psycopg.Error as exc:
                raise self._error(exc) from None
            return rows

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    def __del__(self) -> None:
        # an App dropped without close(): end the session quietly, as sqlite3 does
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.closed:
            conn.close()
