"""``AppDirectory``: many apps under one folder, named ``user_id/app_id`` as Clarifai names them.

``DIR/users/<user_id>/apps/<app_id>/`` holds one app (``app.db``).  Ids are Clarifai's
(letters, digits, ``-``, ``_``, ``.``; never a path), so a request can never name a folder
outside ``DIR``.  Open apps are cached; creating and deleting are serialised per
directory, also across processes (a lock file, so several server processes may share one
folder), and a deleted app is renamed away before it is removed, so a reader never opens
half of one.  A cached app is checked against its file on every ``get`` (one ``stat``), so
an app deleted or re-created by another process is never served from a stale handle.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.app.facade import App
from engine.app.open_apps import OpenApps, app_exists, check_id, no_app

__all__ = ["AppDirectory", "AppInfo"]

_KNOWN_FILES = 4096  # app names whose file path is kept


try:  # POSIX: creating and deleting apps are serialised across processes too
    import fcntl as _fcntl
except ImportError:  # pragma: no cover  (Windows: one server process per folder)
    _fcntl = None  # type: ignore[assignment]


class AppInfo(dict[str, Any]):
    """An app's attributes as Clarifai's ``App`` JSON (id, user_id, name, description, ...)."""


class AppDirectory:
    """The apps under ``root``; ``get`` opens (and caches) one by its user and app ids."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._apps: OpenApps[tuple[int, int]] = OpenApps()
        self._files: dict[tuple[str, str], str] = {}  # checked ids -> the app's file

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This directory to ourselves: other threads (the lock) and processes (flock)."""
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / ".apps.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if _fcntl is not None:
                    _fcntl.flock(fd, _fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    def path(self, user_id: str, app_id: str) -> Path:
        user_id, app_id = check_id("user id", user_id), check_id("app id", app_id)
        return self.root / "users" / user_id / "apps" / app_id

    def exists(self, user_id: str, app_id: str) -> bool:
        return (self.path(user_id, app_id) / "app.db").is_file()

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
        with self._exclusive():
            if self.exists(user_id, app_id):
                raise app_exists(user_id, app_id)
            self._apps.forget((user_id, app_id))  # a handle on an app deleted elsewhere
            app = App(self.path(user_id, app_id), base_workflow=base_workflow)
            app.set_info(name=name or app_id, description=description, created_at=time.time())
            self._apps.put((user_id, app_id), app, self._identity(user_id, app_id) or (0, 0))
            return app

    def get(self, user_id: str, app_id: str) -> App:
        found = self._identity(user_id, app_id)
        with self._lock:
            return self._apps.get(
                (user_id, app_id), found, lambda _: App(self.path(user_id, app_id))
            )

    def _identity(self, user_id: str, app_id: str) -> tuple[int, int] | None:
        """The app's file as (device, inode), or None when there is no such app."""
        db = self._files.get((user_id, app_id))
        if db is None:  # ids checked once per name, not on every request
            db = str(self.path(user_id, app_id) / "app.db")
            if len(self._files) >= _KNOWN_FILES:
                self._files.clear()
            self._files[(user_id, app_id)] = db
        try:
            st = os.stat(db)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def list(self, user_id: str) -> list[str]:
        """The ids of ``user_id``'s apps, sorted."""
        folder = self.root / "users" / check_id("user id", user_id) / "apps"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "app.db").is_file())

    def delete(self, user_id: str, app_id: str) -> None:
        with self._exclusive():
            path = self.path(user_id, app_id)
            if not (path / "app.db").is_file():
                raise no_app(user_id, app_id)
            self._apps.forget((user_id, app_id))
            trash = path.with_name(f".deleted-{app_id}-{uuid.uuid4().hex[:8]}")
            path.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._apps.close()
