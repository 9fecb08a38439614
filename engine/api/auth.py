"""Tokens as Clarifai has them: ``Authorization: Key <PAT>``, scopes, and apps.

``opgraph serve token create --scopes inputs:write,... [--app USER/APP]`` prints a token
once; only its SHA-256 is kept (the token is 128 random bits, so a fast hash is enough).
A token holds scopes (``<resource>:read|write``, ``<resource>:*``, ``predict`` or ``*``)
and optionally one app; everything else it asks for is denied before the handler runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarifai_grpc.grpc.api.status import status_code_pb2

from engine.api.errors import ApiError

__all__ = ["NOBODY", "RESOURCES", "Principal", "TokenStore", "parse_scopes"]

RESOURCES = (
    "apps",
    "inputs",
    "annotations",
    "datasets",
    "concepts",
    "models",
    "workflows",
    "searches",
)
_ALL = "*"
_KNOWN_TOKENS = 10_000


def parse_scopes(text: str) -> frozenset[str]:
    """``inputs:write,apps:read`` as a set; unknown resources or actions are refused."""
    scopes = {s.strip() for s in text.split(",") if s.strip()}
    for scope in scopes:
        if scope in (_ALL, "predict"):
            continue
        resource, _, action = scope.partition(":")
        if resource not in RESOURCES or action not in ("read", "write", "*"):
            raise ValueError(
                f"unknown scope {scope!r}: use <resource>:read|write|* with resource one of "
                f"{', '.join(RESOURCES)}, or 'predict', or '*'"
            )
    if not scopes:
        raise ValueError("a token needs at least one scope")
    return frozenset(scopes)


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a token's scopes and the one app it may use (or any)."""

    token_id: str
    scopes: frozenset[str]
    app: tuple[str, str] | None = None  # (user_id, app_id)

    def allows(self, scope: str) -> bool:
        resource = scope.partition(":")[0]
        return bool({_ALL, scope, f"{resource}:*"} & self.scopes)

    def require_scope(self, scope: str) -> None:
        if not self.allows(scope):
            raise ApiError(
                status_code_pb2.CONN_INSUFFICIENT_SCOPES,
                f"this token lacks the scope {scope!r}",
            )

    def require_app(self, user_id: str, app_id: str) -> None:
        if self.app is not None and self.app != (user_id, app_id):
            raise ApiError(
                status_code_pb2.CONN_INSUFFICIENT_SCOPES,
                f"this token is for the app {self.app[0]}/{self.app[1]}, not {user_id}/{app_id}",
            )


NOBODY = Principal("", frozenset())  # before authentication
_DEV = Principal("insecure-dev", frozenset({_ALL}))


class TokenStore:
    """Token hashes in ``DIR/server.db`` (or, for a ``postgresql://`` URL, in the database's
    ``opgraph_server.tokens``); ``authenticate`` maps a presented key to a Principal."""

    def __init__(self, path: Path | str, *, insecure_dev: bool = False) -> None:
        self.insecure_dev = insecure_dev
        self._lock = threading.Lock()
        self._known: dict[str, Principal] = {}  # digest -> principal, tokens seen already
        if isinstance(path, str):
            self._conn: Any = _pg_tokens(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL,"
            " scopes TEXT NOT NULL, app TEXT, created REAL NOT NULL)"
        )

    def close(self) -> None:
        self._conn.close()

    def create(self, scopes: frozenset[str], app: tuple[str, str] | None = None) -> str:
        """A new token; only its hash is stored, so this is the one time it is seen."""
        token = secrets.token_hex(16)
        token_id = secrets.token_hex(4)
        with self._lock:
            self._conn.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                (
                    token_id,
                    _digest(token),
                    json.dumps(sorted(scopes)),
                    "/".join(app) if app else None,
                    time.time(),
                ),
            )
        return token

    def authenticate(self, key: str | None) -> Principal:
        if self.insecure_dev:
            return _DEV
        if not key:
            raise ApiError(
                status_code_pb2.CONN_KEY_INVALID,
                "no token: send 'Authorization: Key <token>' (make one with "
                "'opgraph serve token create')",
            )
        digest = _digest(key)
        known = self._known.get(digest)
        if known is not None:
            return known
        with self._lock:
            row = self._conn.execute(
                "SELECT id, hash, scopes, app FROM tokens WHERE hash = ?", (digest,)
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], digest):
            raise ApiError(status_code_pb2.CONN_KEY_INVALID, "the token is not valid")
        app = tuple(row[3].split("/", 1)) if row[3] else None
        principal = Principal(row[0], frozenset(json.loads(row[2])), app)
        if len(self._known) < _KNOWN_TOKENS:
            self._known[digest] = principal
        return principal


def _pg_tokens(url: str) -> Any:
    """The tokens table in PostgreSQL, made once whichever server starts first."""
    from engine.app.pg_directory import REGISTRY_SCHEMA
    from engine.store._pg_conn import connect

    session = connect(url, REGISTRY_SCHEMA)
    with session.transaction():
        session.execute("SELECT pg_advisory_xact_lock(?, ?)", (0x6F70, 0x746F6B00))
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {REGISTRY_SCHEMA}")
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {REGISTRY_SCHEMA}.tokens (id TEXT PRIMARY KEY, "
            "hash TEXT UNIQUE NOT NULL, scopes TEXT NOT NULL, app TEXT, "
            "created DOUBLE PRECISION NOT NULL)"
        )
    return session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
