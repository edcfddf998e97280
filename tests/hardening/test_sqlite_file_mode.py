"""The SQLite database holds every company's clients, invoices and password hashes: its files
are readable by their owner only (600), never by every local account (the umask's 644)."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from commands.backup import sqlite_backup
from extensions import db
from tests.support.config import base_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_files_are_owner_only(app_factory, tmp_path):
    path = tmp_path / "fresh" / "encaisse.sqlite3"
    path.parent.mkdir()
    app = app_factory(base_config(tmp_path, f"sqlite:///{path}"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()  # WAL mode, connection still open
        assert (_mode(path), _mode(wal), _mode(shm)) == (0o600, 0o600, 0o600)
        backup = tmp_path / "backup.sqlite3"
        sqlite_backup(path, backup)
        assert _mode(backup) == 0o600


def test_an_existing_world_readable_database_is_tightened(app_factory, tmp_path):
    path = tmp_path / "old.sqlite3"
    path.touch()
    path.chmod(0o644)
    app_factory(base_config(tmp_path, f"sqlite:///{path}"))
    assert _mode(path) == 0o600
