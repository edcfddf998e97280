"""Which database the tests use, and the app's test settings.

The database is SQLite (a fresh file per test) unless TEST_DATABASE_URL points to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from extensions import db

TEST_PASSWORD = "motdepasse-de-test"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgres")


def base_config(tmp_path: Path, db_url: str) -> dict:
    """Test configuration: real database, CSRF off (tests of CSRF turn it back on)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "DATABASE_URL": None,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
        "SERVER_NAME": None,
        "INSTANCE_FOR_TESTS": str(tmp_path),
    }


def truncate_all() -> None:
    """Empty every table of the app's PostgreSQL database (identities restarted)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    db.session.commit()
