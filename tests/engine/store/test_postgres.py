"""PostgresStore: what only PostgreSQL has (URLs, schemas, the advisory write lock, a killed
writer, a dropped connection); the shared behaviour runs on both backends elsewhere."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.errors import StoreError
from engine.store import InputRecord, WriteBatch
from engine.store._pg_conn import parse_url, redact
from engine.store._pg_schema import PG_SCHEMA_VERSION
from engine.store.sqlite import SqliteStore

psycopg = pytest.importorskip("psycopg")
PostgresStore = pytest.importorskip("engine.store.postgres").PostgresStore


def _admin(postgres: Any) -> Any:
    return psycopg.connect(postgres.url(), autocommit=True)


def _input(iid: str) -> InputRecord:
    return InputRecord(iid, {"text": {"raw": iid}}, created_at="2026-01-01T00:00:00Z")


def test_the_schema_has_the_same_tables_and_columns_as_sqlite(
    postgres: Any, tmp_path: Path
) -> None:
    url = postgres.new_url()
    PostgresStore(url).close()
    SqliteStore(tmp_path / "app.db").close()
    lite = sqlite3.connect(tmp_path / "app.db")
    tables = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    want = {
        t: {r[1] for r in lite.execute(f"PRAGMA table_info({t})")}
        for t in tables
        if not t.startswith("sqlite_")
    }
    with _admin(postgres) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s",
            (parse_url(url)[1],),
        ).fetchall()
    got: dict[str, set[str]] = {}
    for table, column in rows:
        got.setdefault(table, set()).add(column)
    # rowid is SQLite's implicit column, explicit in PostgreSQL
    assert {t: cols - {"rowid"} for t, cols in got.items()} == want


def test_urls_name_a_schema_and_messages_never_show_the_password() -> None:
    assert parse_url("postgresql://u:pw@h:1/db?schema=app_1&sslmode=disable") == (
        "postgresql://u:pw@h:1/db?sslmode=disable",
        "app_1",
    )
    assert parse_url("postgres://h/db")[1] == "public"
    assert redact("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    for bad in ("1x", "a-b", "x" * 64, "a;drop", ""):
        with pytest.raises(StoreError, match="not a valid name"):
            parse_url(f"postgresql://u:secret@h/db?schema={bad}")


def test_an_unreachable_server_is_one_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot reach") as err:
        PostgresStore("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2")
    assert "secret" not in str(err.value)


def test_a_schema_holding_other_tables_is_refused_and_left_alone(postgres: Any) -> None:
    url = postgres.new_url()
    schema = parse_url(url)[1]
    with _admin(postgres) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".precious (x int)')
    with pytest.raises(StoreError, match="not an opgraph app"):
        PostgresStore(url)
    with _admin(postgres) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    assert tables == [("precious",)]


def test_opening_without_create_refuses_a_missing_app_and_a_newer_schema(postgres: Any) -> None:
    url = postgres.new_url()
    with pytest.raises(StoreError, match="no app here"):
        PostgresStore(url, create=False)
    store = PostgresStore(url, initial_meta={"k": "v"})
    store.close()
    again = PostgresStore(url, create=False, initial_meta={"k": "other"})
    assert again.get_meta("k") == "v"  # initial meta only for a new app
    with again._tx() as c:
        c.execute("UPDATE schema_version SET version = ?", (PG_SCHEMA_VERSION + 1,))
    again.close()
    with pytest.raises(StoreError, match="newer opgraph"):
        PostgresStore(url)


def test_a_writer_waiting_past_its_timeout_gets_one_clear_error(postgres: Any) -> None:
    url = postgres.new_url()
    store = PostgresStore(url, timeout_s=0.2)
    holder = PostgresStore(url)
    with holder._tx():  # holds the app's write lock
        with pytest.raises(StoreError, match="another process has been writing"):
            store.write(WriteBatch(1, inputs=[_input("a")]))
    assert store.write(WriteBatch(1, inputs=[_input("a")]))  # free again
    assert store.count_inputs() == 1
    store.close()
    holder.close()


def _die_mid_write(url: str) -> None:
    store = PostgresStore(url)
    with store._tx() as c:
        c.execute(
            "INSERT INTO inputs(id, data, status_code, status_description, created_at, "
            "modified_at) VALUES ('half', '{}', 30000, '', 't', 't')"
        )
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_writer_killed_mid_transaction_leaves_nothing_and_no_lock(postgres: Any) -> None:
    url = postgres.new_url()
    store = PostgresStore(url, timeout_s=10)
    proc = multiprocessing.get_context("spawn").Process(target=_die_mid_write, args=(url,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    assert store.count_inputs() == 0
    assert store.write(WriteBatch(1, inputs=[_input("after")]))  # the lock went with it
    assert [r.id for r in store.get_inputs(["half", "after"])] == ["after"]
    store.close()


def test_a_dropped_connection_is_opened_again(postgres: Any) -> None:
    store = PostgresStore(postgres.new_url())
    store.write(WriteBatch(1, inputs=[_input("a")]))
    pid = store._conn.info.backend_pid
    with _admin(postgres) as conn:
        conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))  # waits until gone
    with pytest.raises(StoreError):
        store.count_inputs()  # the query that finds the connection gone fails, clearly
    assert store.count_inputs() == 1  # the next one reconnects
    store.close()


def test_app_commands_refuse_a_url_without_an_app_and_create_makes_one(
    postgres: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    url = postgres.new_url().replace("postgres@", "postgres:secret@")
    assert main(["app", "inputs", "count", url]) == 2
    err = capsys.readouterr().err.strip()
    assert "no app here" in err and "secret" not in err and "\n" not in err
    assert main(["app", "create", url]) == 0
    assert main(["app", "add", url, "--text", "hello"]) == 0
    capsys.readouterr()
    assert main(["app", "inputs", "count", url]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["processed"] == 1
