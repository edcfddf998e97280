"""The newest Alembic revision applied to a database that already holds data.

Every schema change is a new revision, and production databases are upgraded, not rebuilt:
what must hold is that the rows written before a revision are still there, unchanged, after
it, and that the app reads them. This module does it for whatever the newest revision is
(head, upgraded from its parent), so it never needs editing when revisions are added:

- the rows are made by the app on a database at head (so they are realistic: an issued
  invoice took a real number, its totals and snapshot are the domain's);
- they are written with plain SQL (INSERT on the tables as reflected from the database) into
  a database migrated to head's parent, in the columns that revision has: a column the
  parent does not have yet is left out, and a required column head no longer has gets a
  plain value of its type;
- the database is upgraded to head, and every row is read back (reflected again) and compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Connection, Integer, MetaData, Table, select, text

Rows = dict[str, list[dict]]

# Columns a revision rewrites on purpose ("table.column"), left out of the comparison. A
# revision that converts stored values lists them here, next to a test of its conversion.
REWRITTEN_ON_PURPOSE: set[str] = set()

# Tables whose rows the database derives from the others (triggers), neither written nor compared:
# company_data_versions moves with every row written into the tables it tracks.
DERIVED_TABLES = {"company_data_versions"}


def alembic_config(directory: str | None = None):
    """The Alembic configuration Flask-Migrate builds (the app's env.py and options)."""
    return current_app.extensions["migrate"].migrate.get_config(directory)


def head_and_parents(directory: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The single head revision and the revisions it follows (none when it is the first)."""
    script = ScriptDirectory.from_config(alembic_config(directory))
    head = script.get_current_head()  # refuses several heads: branches must be merged first
    parents = script.get_revision(head).down_revision
    if parents is None:
        return head, ()
    return head, (parents,) if isinstance(parents, str) else tuple(parents)


def migrate_to(revisions: Iterable[str], directory: str | None = None) -> None:
    """Upgrade the current app's database to each revision in turn (none: stay at base).

    Alembic's own command, not Flask-Migrate's, which turns any error into a bare exit(1).
    """
    for revision in revisions:
        command.upgrade(alembic_config(directory), revision)


def read_rows(connection: Connection) -> Rows:
    """Every row of every table but Alembic's, as reflected from the database, by primary key."""
    tables = _reflect(connection)
    rows = {}
    for table in tables.sorted_tables:
        if table.name != "alembic_version" and table.name not in DERIVED_TABLES:
            found = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            rows[table.name] = [dict(row) for row in found]
    return {name: found for name, found in rows.items() if found}


def write_rows(connection: Connection, rows: Rows) -> Rows:
    """INSERT the rows into the tables this database has, parents first, in the columns each
    table has; returns what was written. Tables the database does not have are skipped."""
    tables = _reflect(connection)
    written: Rows = {}
    for table in tables.sorted_tables:
        for row in rows.get(table.name, []):
            values = {column.name: row[column.name] for column in table.columns if column.name in row}
            values.update({column.name: _plain_value(column) for column in _required_missing(table, values)})
            connection.execute(table.insert().values(values))
            written.setdefault(table.name, []).append(values)
    if connection.dialect.name == "postgresql":
        _restart_sequences(connection, tables)
    return written


def compare(written: Rows, now: Rows) -> list[str]:
    """How the rows read after the upgrade differ from the rows written before it (both in
    primary key order), column by column, for the columns head still has."""
    differences = []
    for table, rows in written.items():
        after = now.get(table, [])
        if len(after) != len(rows):
            differences.append(f"{table}: {len(rows)} rows written, {len(after)} after the upgrade")
            continue
        for number, (before, row) in enumerate(zip(rows, after, strict=True), start=1):
            for column, value in before.items():
                if column in row and f"{table}.{column}" not in REWRITTEN_ON_PURPOSE and row[column] != value:
                    differences.append(f"{table} row {number}, {column}: {value!r} became {row[column]!r}")
    return differences


def check_models_match(directory: str | None = None) -> None:
    """`alembic check` on the current app's database: raises when autogenerate would write a
    revision, i.e. when the models and the migrated schema differ."""
    command.check(alembic_config(directory))


def _reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return metadata


def _required_missing(table: Table, values: dict):
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and column.autoincrement in (True, "auto"):
            continue
        yield column


_PLAIN = {int: 0, str: "", bool: False, bytes: b"", float: 0.0, dict: {}, list: [],
          dt.date: dt.date(2026, 1, 1), dt.datetime: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}


def _plain_value(column):
    """A value of the column's type for a required column the rows do not know about."""
    try:
        return _PLAIN[column.type.python_type]
    except (NotImplementedError, KeyError):
        return 0


def _restart_sequences(connection: Connection, tables: MetaData) -> None:
    # Rows came with their ids: move each serial's sequence past them, as the app's own
    # inserts would have.
    for table in tables.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            connection.execute(
                text(f'SELECT setval(pg_get_serial_sequence(:table, :column), max("{column.name}")) '
                     f'FROM "{table.name}" HAVING max("{column.name}") IS NOT NULL'),
                {"table": table.name, "column": column.name})
