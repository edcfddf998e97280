"""`flask --app app backup PATH` and `flask --app app check-backup PATH`.

SQLite: an online copy through SQLite's backup API (consistent while the app writes), checked
with PRAGMA integrity_check, then restored into a scratch copy and checked again (foreign keys,
schema version, contents, numbering). PostgreSQL: the command prints the pg_dump to use.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from commands import backup
from domain.billing.models import Document
from domain.core.models import Client, Company
from extensions import db
from tests.support.builders import issued, make_invoice
from tests.support.config import ON_POSTGRES, TEST_PASSWORD, base_config

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite backup API (PostgreSQL: pg_dump)")


@pytest.fixture
def data(app, world):
    """The world plus three more issued invoices and a draft: the numbers of every issued document."""
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        user, client = company.users[0], db.session.get(Client, world.client_id)
        for _ in range(3):
            issued(make_invoice(company, client, user), user)
        make_invoice(company, client, user)
        db.session.commit()
        return sorted(db.session.scalars(select(Document.number).where(Document.number.is_not(None))))


def live_path(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


@sqlite_only
def test_backup_is_a_checked_consistent_copy(app, runner, data, tmp_path):
    target = tmp_path / "backups" / "encaisse-2026-11-23.sqlite3"
    # A writer is in the middle of a transaction: the backup neither waits for it nor sees it.
    writer = sqlite3.connect(live_path(app), timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE companies SET name = 'pas encore validé'")
    try:
        result = runner.invoke(args=["backup", str(target)])
    finally:
        writer.rollback()
        writer.close()
    assert result.exit_code == 0, result.output
    assert "Contrôle d'intégrité de la copie : ok" in result.output
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        assert copy.execute("SELECT name FROM companies").fetchone()[0] == "Plomberie Test"
        assert len(data) == 6  # two quotes, four invoices
        assert sorted(r[0] for r in copy.execute("SELECT number FROM documents WHERE number IS NOT NULL")) == data
    finally:
        copy.close()

    # Again onto the same name: replaced whole.
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0


@sqlite_only
def test_restore_check_then_the_restored_copy_serves_the_data(app, runner, data, tmp_path, app_factory):
    target = tmp_path / "backup.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["check-backup", str(target)])
    assert result.exit_code == 0, result.output
    for line in ("ok     intégrité : ok", "ok     clés étrangères : 0", "ok     schéma : ",
                 "ok     contenu : 1 companies, 2 users, 1 clients, 9 documents, 1 payments",
                 "ok     numérotation : continue",
                 "Sauvegarde utilisable."):
        assert line in result.output, line

    # The restore itself: the application started on the copy logs in and shows the invoices.
    restored = tmp_path / "restored" / "encaisse.sqlite3"
    restored.parent.mkdir()
    restored.write_bytes(target.read_bytes())
    again = app_factory(base_config(restored.parent, f"sqlite:///{restored}"))
    browser = again.test_client()
    assert browser.post("/login", data={"email": "artisan@test.example.fr",
                                        "password": TEST_PASSWORD}).status_code == 303
    assert all(number in browser.get("/invoices/").text for number in data if number.startswith("F-"))
    assert all(number in browser.get("/quotes/").text for number in data if number.startswith("D-"))


@sqlite_only
def test_restore_check_refuses_damaged_backups(app, runner, data, tmp_path):
    good = tmp_path / "good.sqlite3"
    assert runner.invoke(args=["backup", str(good)]).exit_code == 0
    raw = good.read_bytes()

    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(raw[: len(raw) // 2])
    corrupted = tmp_path / "corrupted.sqlite3"
    page = 4096
    corrupted.write_bytes(raw[: 2 * page] + b"\xde\xad\xbe\xef" * (page // 4) + raw[3 * page:])
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("ceci n'est pas une base")
    for bad in (truncated, corrupted, not_a_db):
        result = runner.invoke(args=["check-backup", str(bad)])
        assert result.exit_code == 1, (bad.name, result.output)
        assert "ÉCHEC" in result.output and "SAUVEGARDE INUTILISABLE." in result.output, bad.name

    # Sound as a file, wrong as invoices: a number missing from the series is reported.
    gap = tmp_path / "gap.sqlite3"
    gap.write_bytes(raw)
    con = sqlite3.connect(gap)
    con.execute("DELETE FROM documents WHERE number = ?", (data[1],))
    con.commit()
    con.close()
    result = runner.invoke(args=["check-backup", str(gap)])
    assert result.exit_code == 1
    assert "ÉCHEC  numérotation : entreprise" in result.output


@sqlite_only
def test_backup_never_overwrites_the_live_database(app, runner, data):
    before = live_path(app).read_bytes()
    result = runner.invoke(args=["backup", str(live_path(app))])
    assert result.exit_code != 0
    assert "ne peut pas remplacer la base" in result.output
    assert live_path(app).read_bytes() == before


def test_postgresql_hint_is_exact_and_keeps_the_password_secret(tmp_path):
    url = make_url("postgresql+psycopg://encaisse:s3cret-pw@db.example.fr:5433/encaisse_prod")
    hint = backup._pg_dump_hint(url, tmp_path / "encaisse.dump")
    assert (f"pg_dump --format=custom --no-owner --file={tmp_path}/encaisse.dump --host=db.example.fr --port=5433 "
            "--username=encaisse encaisse_prod") in hint
    assert f"pg_restore --list {tmp_path}/encaisse.dump" in hint
    assert "s3cret" not in hint


@pytest.mark.postgres_only
def test_backup_on_postgresql_prints_pg_dump_and_fails(app, runner, world, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 2
    assert "pg_dump --format=custom" in result.output
    assert not (tmp_path / "x.dump").exists()
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 5  # the world, untouched
