"""``ChangeWatch``: the epoch stays while nothing is committed and moves on any commit, by
this process's connections or another process's."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from engine.store._base import StoreConnection
from engine.store._watch import ChangeWatch
from engine.store.sqlite import SqliteStore


def _db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t(x)")
    return conn


def test_the_epoch_moves_only_when_something_is_committed(tmp_path: Path) -> None:
    conn = _db(tmp_path / "a.db")
    watch = ChangeWatch(tmp_path / "a.db")
    first = watch.epoch()
    assert first is not None
    conn.execute("SELECT * FROM t").fetchall()  # a read commits nothing
    assert watch.epoch() == watch.epoch() == first
    conn.execute("INSERT INTO t VALUES (1)")
    second = watch.epoch()
    assert second is not None and second != first
    assert watch.epoch() == second
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (2)")
    assert watch.epoch() == second  # not committed yet
    conn.execute("COMMIT")
    assert watch.epoch() != second
    watch.close()
    assert watch.epoch() is None  # closed: unknown, so nothing is kept


def test_a_commit_by_another_process_moves_it(tmp_path: Path) -> None:
    _db(tmp_path / "a.db").close()
    watch = ChangeWatch(tmp_path / "a.db")
    before = watch.epoch()
    write = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('INSERT INTO t VALUES (1)'); c.commit()"
    )
    subprocess.run([sys.executable, "-c", write, str(tmp_path / "a.db")], check=True)
    assert watch.epoch() != before
    watch.close()


def test_every_check_sees_a_commit_made_before_it_on_any_thread(tmp_path: Path) -> None:
    # many threads share the watch's few connections: a commit must reach each check
    # that starts after it, whichever connection that check gets
    conn = _db(tmp_path / "a.db")
    watch = ChangeWatch(tmp_path / "a.db")
    stale: list[int] = []

    def check(before: int | None) -> None:
        for _ in range(50):
            if watch.epoch() == before:
                stale.append(1)

    for round_ in range(5):
        base = watch.epoch()
        conn.execute("INSERT INTO t VALUES (?)", (round_,))
        threads = [threading.Thread(target=check, args=(base,)) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not stale
    watch.close()


def test_a_deleted_file_is_never_made_again(tmp_path: Path) -> None:
    watch = ChangeWatch(tmp_path / "gone" / "a.db")
    assert watch.epoch() is None
    assert not (tmp_path / "gone").exists()
    (tmp_path / "gone").mkdir()
    assert watch.epoch() is None and not (tmp_path / "gone" / "a.db").exists()


def test_the_sqlite_store_has_an_epoch_and_the_store_interface_may_not(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "app.db")
    before = store.epoch()
    assert before is not None and store.epoch() == before
    store.set_meta({"k": "v"})  # the store's own connection is another connection
    assert store.epoch() != before
    store.close()
    assert StoreConnection().epoch() is None  # a store that cannot tell: nothing is kept
