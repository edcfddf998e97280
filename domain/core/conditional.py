"""Conditional updates: how every concurrent change here happens once.

`UPDATE … SET x = x + n WHERE <the state it assumes still holds>`, then the row count says
whether this request won: a double tap, a second worker or a parallel request finds the
condition false and changes nothing (no read-modify-write, no lost update, on SQLite and
PostgreSQL alike)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, Update

from extensions import db


def rows_changed(stmt: Update) -> int:
    """Run a conditional UPDATE in the current transaction; how many rows it changed.

    The session's identity map is not synchronised (the caller refreshes what it shows)."""
    result = cast(CursorResult, db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount
