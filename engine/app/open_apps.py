"""What both app directories (``AppDirectory``, ``PgAppDirectory``) share: Clarifai's app
and user ids checked, their errors, and the cache of open apps.

An app is cached with the identity of what it was opened on (a file's device and inode, a
schema's name).  A directory looks its app up on every ``get`` and the cache serves the
open app only while that identity is unchanged, so an app deleted, or deleted and made
again, by another process or server is never served from a stale handle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from engine.app.facade import App
from engine.errors import InputError

__all__ = ["OpenApps", "app_exists", "check_id", "no_app"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_DUPLICATE = 40010  # Clarifai's DATABASE_DUPLICATE_KEY
_NOT_FOUND = 11101  # CONN_DOES_NOT_EXIST
_INVALID = 11102  # CONN_INVALID_REQUEST

_Key = tuple[str, str]  # (user_id, app_id)
_Identity = TypeVar("_Identity", bound=Hashable)


def check_id(kind: str, value: str) -> str:
    """``value`` if it is a valid Clarifai id (never a path), else ``InputError``."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or ".." in value:
        raise InputError(
            f"{kind} {str(value)[:80]!r} is not a valid id (letters, digits, '-', '_', '.';"
            " at most 128)",
            status_code=_INVALID,
        )
    return value


def no_app(user_id: str, app_id: str) -> InputError:
    """The error for an app that does not exist (Clarifai's ``CONN_DOES_NOT_EXIST``)."""
    return InputError(f"no app {user_id}/{app_id}", status_code=_NOT_FOUND)


def app_exists(user_id: str, app_id: str) -> InputError:
    """The error for creating an app that exists (Clarifai's duplicate-key error)."""
    return InputError(f"the app {user_id}/{app_id} already exists", status_code=_DUPLICATE)


class OpenApps(Generic[_Identity]):
    """Open apps by ``(user_id, app_id)``, each with the identity it was opened on.

    Not locked: its directory calls it under the lock that also guards its creates and
    deletes."""

    def __init__(self) -> None:
        self._open: dict[_Key, tuple[App, _Identity]] = {}

    def get(
        self, key: _Key, identity: _Identity | None, open_app: Callable[[_Identity], App]
    ) -> App:
        """The app cached for ``key`` if it was opened on ``identity``; else the stale one
        is closed and ``open_app(identity)`` is opened and cached (``no_app`` when
        ``identity`` is None: there is no such app now)."""
        cached = self._open.get(key)
        if cached is not None and cached[1] == identity:
            return cached[0]
        self.forget(key)  # deleted, or deleted and made again, elsewhere
        if identity is None:
            raise no_app(*key)
        app = open_app(identity)
        self._open[key] = (app, identity)
        return app

    def put(self, key: _Key, app: App, identity: _Identity) -> None:
        """Cache ``app``, just made on ``identity``."""
        self._open[key] = (app, identity)

    def forget(self, key: _Key) -> None:
        """Close and drop the app cached for ``key``, if any."""
        cached = self._open.pop(key, None)
        if cached is not None:
            cached[0].close()

    def close(self) -> None:
        """Close every cached app."""
        for app, _ in self._open.values():
            app.close()
        self._open.clear()
