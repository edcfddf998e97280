"""Engine set-up for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import contextvars
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

# Set for requests and commands that will write. On SQLite their transaction starts
# with BEGIN IMMEDIATE: it takes the write lock up front (waiting up to busy_timeout)
# instead of upgrading a read snapshot later, which SQLite refuses at once with
# "database is locked" (SQLITE_BUSY_SNAPSHOT) whenever another writer got in between.
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("encaisse_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 15000


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def prepare_sqlite_file(url: str) -> None:
    """Make the SQLite database readable by its owner only (mode 600).

    SQLite creates the file with the process umask (usually 644: every local account could read
    every company's invoices, clients and password hashes). The file is created here first,
    owner-only; SQLite gives its -wal and -shm files the database file's permissions. Files left
    group- or world-readable by an older version are tightened."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for candidate in (path, Path(f"{name}-wal"), Path(f"{name}-shm")):
        try:
            if stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                candidate.chmod(0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # another account's file: SQLite will say what it can do with it
            continue


def set_write_intent(value: bool) -> contextvars.Token:
    """Mark the current context as writing (see _write_intent); returns a reset token."""
    return _write_intent.set(value)


def reset_write_intent(token: contextvars.Token) -> None:
    _write_intent.reset(token)


@contextmanager
def write_intent():
    """Run a block (a CLI command, a test) with write intent."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Install per-connection settings; idempotent per engine."""
    if getattr(engine, "_encaisse_configured", False):
        return
    engine._encaisse_configured = True
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own
        # implicit transactions cannot do BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL: durable across application crashes; a power cut may lose the
        # last commits but never corrupts the database.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
