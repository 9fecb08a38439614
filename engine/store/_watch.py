"""``ChangeWatch``: has anything been committed to one SQLite file since we last looked?

Readers that keep what they read (a workflow's newest version, the base workflow) ask
``epoch()`` before each use: it stays the same while nothing was committed to the file, by
any connection of any process, and moves on as soon as something was.  It is SQLite's
``PRAGMA data_version`` (which changes for a connection when *another* connection
commits), read on small connections of the watch's own that never write; no lock is
shared with the store's connection, so a check never waits behind a write or a read.

Why the epoch is safe to cache by: a connection's ``data_version`` changes at its first
read after a commit, and whichever connection sees the change first moves the epoch
before it answers.  So a value read after taking the epoch ``e`` (an answer tagged ``e``)
is from after every commit that happened before ``e`` was taken; if a later ``epoch()`` is
still ``e``, no check since has seen a commit, and every check now sees the commits made
before it began.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from pathlib import Path

__all__ = ["ChangeWatch"]

_POOL = 4  # watch connections kept per file: checks take microseconds, few overlap


class ChangeWatch:
    """The change epoch of the SQLite file at ``path``; ``None`` when it cannot be read."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._idle: queue.SimpleQueue[tuple[sqlite3.Connection, list[int]]] = queue.SimpleQueue()
        self._made = 0
        self._epoch = 0
        self._lock = threading.Lock()
        self._closed = False

    def epoch(self) -> int | None:
        """The epoch now: equal to an earlier one only if nothing was committed between."""
        watcher = self._take()
        if watcher is None:
            return None
        conn, seen = watcher
        try:
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            conn.close()
            with self._lock:
                self._made -= 1
                self._epoch += 1
            return None
        with self._lock:
            if version != seen[0]:
                seen[0] = version
                self._epoch += 1
            epoch, closed = self._epoch, self._closed
        if closed:
            conn.close()
        else:
            self._idle.put(watcher)
        return epoch

    def _take(self) -> tuple[sqlite3.Connection, list[int]] | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._closed:
                return None
            grow = self._made < _POOL
            if grow:
                self._made += 1
        if not grow:
            try:
                return self._idle.get(timeout=2.0)  # all busy: the first one back
            except queue.Empty:
                return None
        try:
            conn = sqlite3.connect(  # never creates the file (a deleted app stays deleted)
                Path(self._path).absolute().as_uri() + "?mode=rw",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=2.0,
            )
        except sqlite3.Error:
            with self._lock:
                self._made -= 1
            return None
        return conn, [-1]  # -1: never seen, so its first check moves the epoch

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                conn, _ = self._idle.get_nowait()
            except queue.Empty:
                return
            conn.close()
