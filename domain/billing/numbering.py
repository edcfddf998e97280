"""Continuous numbering per company, series and year, assigned only at issue.

CGI ann. II art. 242 nonies A requires a unique number "basé sur une séquence
chronologique et continue"; a yearly series with the year in the number is accepted by
the administration (BOI-TVA-DECLA-30-20-20-10). The counter row is incremented with a
single UPDATE … RETURNING inside the issuing transaction: on PostgreSQL the row lock makes
concurrent issuers wait for each other, on SQLite the write lock (BEGIN IMMEDIATE) does;
a rollback (failed PDF render, crash) gives the number back, so there is never a gap.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from domain.billing.models import NumberSequence
from extensions import db


def format_number(series: str, year: int, value: int) -> str:
    """F-2026-0007."""
    return f"{series}-{year}-{value:04d}"


def next_number(company_id: int, series: str, year: int) -> str:
    """Take the next number of a series (inside the caller's transaction)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NumberSequence)
        .values(company_id=company_id, series=series, year=year, last_value=0)
        .on_conflict_do_nothing()
    )
    value = db.session.execute(
        update(NumberSequence)
        .where(NumberSequence.company_id == company_id, NumberSequence.series == series, NumberSequence.year == year)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    ).scalar_one()
    return format_number(series, year, value)
