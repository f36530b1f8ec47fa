"""SQLite settings: write-ahead logging, a bounded lock wait and a writers' queue.

In WAL mode readers never block the writer and the writer never blocks readers,
and a commit appends to the log instead of rewriting pages. ``synchronous=NORMAL``
syncs the log at checkpoints rather than on every commit: a power cut can lose
the last commits, but an application crash cannot, and the file never corrupts.
Set VERSUS_SQLITE_SYNCHRONOUS=FULL to sync every commit.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine

SYNCHRONOUS_MODES = {"OFF", "NORMAL", "FULL", "EXTRA"}

_settings = {"synchronous": "NORMAL", "busy_timeout_ms": 5000, "installed": False}


def _on_connect(connection, record) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return

    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={_settings['synchronous']}")
    cursor.execute(f"PRAGMA busy_timeout={int(_settings['busy_timeout_ms'])}")
    cursor.close()


def install_sqlite_pragmas(synchronous: str, busy_timeout_ms: int = 5000) -> None:
    """Apply the pragmas to every new SQLite connection in this process.

    ``busy_timeout_ms`` bounds how long a write waits for the lock; a vote still
    waiting then fails with "database is locked" and the reader gets a 503.
    """
    mode = synchronous.upper()
    if mode not in SYNCHRONOUS_MODES:
        raise RuntimeError(
            f"Invalid VERSUS_SQLITE_SYNCHRONOUS {synchronous!r}; "
            f"use one of {', '.join(sorted(SYNCHRONOUS_MODES))}"
        )

    _settings["synchronous"] = mode
    _settings["busy_timeout_ms"] = busy_timeout_ms
    if not _settings["installed"]:
        event.listen(Engine, "connect", _on_connect)
        _settings["installed"] = True


class SqliteWriteQueue:
    """Let one vote transaction at a time write, across threads and processes.

    SQLite allows one writer; the others retry on a timer that sleeps 1 to 100 ms
    between tries, so under concurrent votes most of a request's time would be
    spent asleep. Waiting here instead (a thread lock, then ``flock`` on a file
    beside the database) wakes the next writer as soon as the lock is free.
    """

    def __init__(self, database_path: str) -> None:
        self.path = database_path + ".write-lock"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # A descriptor opened before a fork must not be shared with the child.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._thread_lock:
            descriptor = self._file()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)


def write_queue_for(uri: str):
    """Return the writers' queue for a SQLite file, or a no-op for memory."""
    path = make_url(uri).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext

    return SqliteWriteQueue(path)
