"""``PgAppDirectory``: ``AppDirectory``'s apps in one PostgreSQL database, one schema each.

``opgraph serve --data postgresql://...`` keeps its apps here, so several servers on
several machines serve the same apps.  A registry table (``opgraph_server.apps``) maps
Clarifai's ``user_id/app_id`` (up to 128 characters each, too long for a schema name) to
the app's schema, ``app_<n>``, a name never reused; creating and deleting take the
registry's advisory lock, so two servers creating one app id get one app and one
duplicate-key error.  A deleted app's schema is dropped in the same transaction as its
registry row.  A cached app is checked against the registry on every ``get`` (one
query), so an app deleted, or deleted and made again, by another server is never served
from a stale handle.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from engine.app.facade import App
from engine.app.open_apps import OpenApps, app_exists, check_id, no_app
from engine.store._pg_conn import connect, parse_url

__all__ = ["REGISTRY_SCHEMA", "PgAppDirectory"]

REGISTRY_SCHEMA = "opgraph_server"
_LOCK = (0x6F70, 0x72656700)  # the registry's advisory lock (apps use their own keys)
_SETUP = [
    f"CREATE SCHEMA IF NOT EXISTS {REGISTRY_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {REGISTRY_SCHEMA}.apps (
        user_id TEXT COLLATE "C" NOT NULL, app_id TEXT COLLATE "C" NOT NULL,
        schema TEXT NOT NULL UNIQUE, created DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (user_id, app_id))""",
    f"CREATE SEQUENCE IF NOT EXISTS {REGISTRY_SCHEMA}.app_numbers",
]


class PgAppDirectory:
    """The apps of a PostgreSQL database; the interface of ``AppDirectory``."""

    def __init__(self, url: str) -> None:
        self._base, _ = parse_url(url)
        self._lock = threading.RLock()
        self._apps: OpenApps[str] = OpenApps()
        self._db = connect(url, REGISTRY_SCHEMA)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(?, ?)", _LOCK)
            for statement in _SETUP:
                self._db.execute(statement)

    def _url(self, schema: str) -> str:
        joiner = "&" if "?" in self._base else "?"
        return f"{self._base}{joiner}schema={schema}"

    def _schema_of(self, user_id: str, app_id: str) -> str | None:
        row = self._db.execute(
            f"SELECT schema FROM {REGISTRY_SCHEMA}.apps WHERE user_id = ? AND app_id = ?",
            (check_id("user id", user_id), check_id("app id", app_id)),
        ).fetchone()
        return None if row is None else str(row[0])

    def path(self, user_id: str, app_id: str) -> str:
        """The app's URL (``InputError`` if there is no such app)."""
        with self._lock:
            schema = self._schema_of(user_id, app_id)
        if schema is None:
            raise no_app(user_id, app_id)
        return self._url(schema)

    def exists(self, user_id: str, app_id: str) -> bool:
        with self._lock:
            return self._schema_of(user_id, app_id) is not None

    def create(
        self,
        user_id: str,
        app_id: str,
        *,
        base_workflow: Any = "text",
        name: str = "",
        description: str = "",
    ) -> App:
        """A new app; an existing id is Clarifai's duplicate-key error, nothing changed."""
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(?, ?)", _LOCK)
            if self._schema_of(user_id, app_id) is not None:
                raise app_exists(user_id, app_id)
            self._apps.forget((user_id, app_id))
            row = self._db.execute(f"SELECT nextval('{REGISTRY_SCHEMA}.app_numbers')")
            schema = f"app_{int(row.fetchone()[0])}"
            try:
                app = App(self._url(schema), base_workflow=base_workflow)
                app.set_info(name=name or app_id, description=description, created_at=time.time())
            except BaseException:
                self._db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                raise
            self._db.execute(
                f"INSERT INTO {REGISTRY_SCHEMA}.apps VALUES (?, ?, ?, ?)",
                (user_id, app_id, schema, time.time()),
            )
            self._apps.put((user_id, app_id), app, schema)
            return app

    def get(self, user_id: str, app_id: str) -> App:
        with self._lock:
            schema = self._schema_of(user_id, app_id)
            return self._apps.get((user_id, app_id), schema, lambda s: App(self._url(s)))

    def list(self, user_id: str) -> list[str]:
        """The ids of ``user_id``'s apps, sorted."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT app_id FROM {REGISTRY_SCHEMA}.apps WHERE user_id = ? ORDER BY app_id",
                (check_id("user id", user_id),),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def delete(self, user_id: str, app_id: str) -> None:
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(?, ?)", _LOCK)
            schema = self._schema_of(user_id, app_id)
            if schema is None:
                raise no_app(user_id, app_id)
            self._apps.forget((user_id, app_id))
            self._db.execute(
                f"DELETE FROM {REGISTRY_SCHEMA}.apps WHERE user_id = ? AND app_id = ?",
                (user_id, app_id),
            )
            self._db.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def close(self) -> None:
        with self._lock:
            self._apps.close()
            self._db.close()
