"""Stores for the store tests, on both backends: SQLite files and PostgreSQL schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.store._sql import SqlStore
from engine.store.sqlite import SqliteStore


@pytest.fixture
def new_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., SqlStore]]:
    """``new_store(**kw)``: a new, empty store on the test's backend (closed after it)."""
    opened: list[SqlStore] = []

    def make(**kw: Any) -> SqlStore:
        store: SqlStore
        if backend == "sqlite":
            store = SqliteStore(tmp_path / f"app{len(opened)}.db", **kw)
        else:
            from engine.store.postgres import PostgresStore

            store = PostgresStore(request.getfixturevalue("postgres").new_url(), **kw)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def execute(store: SqlStore, sql: str) -> None:
    """Run one statement in a write transaction, as any other code could."""
    with store._tx() as c:
        c.execute(sql)
