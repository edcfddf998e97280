"""The Alembic migrations build exactly the schema the models describe, and the newest one
keeps the data already there (on both databases).

Every schema change is a new revision on top of the others. The upgrade tests always take
the current head and its parent, so they need no editing when revisions are added: rows the
app made are written with plain SQL into a database at the parent, the database is upgraded
to head, and every row must be unchanged and readable by the app (tests/support/migrations.py).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain.billing import payments
from domain.billing.models import Document, Payment, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core.models import Company
from extensions import db
from tests.support.builders import issued, make_client, make_invoice
from tests.support.config import ON_POSTGRES, PG_URL, base_config
from tests.support.migrations import (
    check_models_match,
    compare,
    head_and_parents,
    migrate_to,
    read_rows,
    write_rows,
)
from tests.support.pages import euros, page_text

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SCHEMA = "upgrade_test"  # PostgreSQL: the upgraded database is a schema of the test database
PAID_ON = date(2026, 11, 30)


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"the models changed: add a migration (flask --app app db migrate -m '...'): {diff}"


def test_alembic_check_finds_nothing_to_migrate(app):
    """`flask db check` through migrations/env.py (batch mode, types compared, our renderers)."""
    with app.app_context():
        check_models_match()


@pytest.fixture
def empty_database(app, tmp_path):
    """A second database, empty (at base): a SQLite file, or a PostgreSQL schema."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'upgraded.sqlite3'}"
        return
    with app.app_context():
        db.session.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
        db.session.commit()
    yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
        hide_password=False)
    with app.app_context():
        db.session.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        db.session.commit()


@pytest.fixture
def invoice_with_payment(app, company) -> tuple[int, str]:
    """A client, an invoice of 165 € issued to them and 50 € paid on it: (invoice id, number)."""
    with app.app_context():
        owner = db.session.get(Company, company)
        user = owner.users[0]
        invoice = issued(make_invoice(owner, make_client(owner), user), user)
        payments.record_payment(invoice, user, PaymentInput(5000, PAID_ON, PaymentMethod.TRANSFER, "VIR 42"),
                                today=PAID_ON)
        db.session.commit()
        return invoice.id, invoice.number


def upgrade_with_rows(app, app_factory, url: str, instance: Path, directory: str | None = None):
    """Copy the app's rows into a database at head's parent, upgrade it to head; returns the
    upgraded app, the rows written and how they differ after the upgrade."""
    with app.app_context():
        rows = read_rows(db.session.connection())
        _, parents = head_and_parents(directory)
    upgraded = app_factory(base_config(instance, url))
    with upgraded.app_context():
        migrate_to(parents, directory)
        with db.engine.begin() as connection:
            written = write_rows(connection, rows)
        migrate_to(["head"], directory)
        with db.engine.connect() as connection:
            differences = compare(written, read_rows(connection))
    return upgraded, written, differences


def assert_app_reads(upgraded, invoice_id: int, number: str) -> None:
    """The ORM loads the invoice with its client and payment, and its page shows them."""
    with upgraded.app_context():
        invoice = db.session.get(Document, invoice_id)
        assert (invoice.number, invoice.client.name, invoice.total_ttc_cents) == (number, "Hélène Dupont", 16500)
        paid = db.session.scalars(db.select(Payment).where(Payment.document_id == invoice_id)).all()
        assert [(p.amount_cents, p.paid_on, p.reference, p.client.name) for p in paid] == [
            (5000, PAID_ON, "VIR 42", "Hélène Dupont")]
        assert invoice.remaining_cents == 11500
    browser = upgraded.test_client()
    assert browser.post("/login", data={"email": "artisan@test.example.fr", "password": "motdepasse-de-test"}
                        ).status_code == 303
    page = browser.get(f"/invoices/{invoice_id}")
    assert page.status_code == 200
    shown = page_text(page)
    assert number in shown and "Hélène Dupont" in shown and euros("50,00 €") in shown and euros("115,00 €") in shown


def test_rows_survive_the_newest_revision(app, app_factory, empty_database, invoice_with_payment, tmp_path):
    with app.app_context():
        head, parents = head_and_parents()
    if not parents:
        pytest.skip(f"{head} is the first revision: no earlier schema holds rows (the test below runs this "
                    "upgrade on a probe revision meanwhile)")
    upgraded, written, differences = upgrade_with_rows(app, app_factory, empty_database, tmp_path / "upgraded")
    assert {"companies", "users", "clients", "contacts", "documents", "document_lines", "payments"} <= set(written)
    assert differences == [], "\n".join(differences)
    assert_app_reads(upgraded, *invoice_with_payment)
    with upgraded.app_context():
        check_models_match()


PROBE_REVISION = '''"""probe: rebuild the tables the upgrade test writes rows into

Revision ID: upgrade_probe
Revises: {parent}
"""
import sqlalchemy as sa
from alembic import op

revision = "upgrade_probe"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade():
    # Dropping a column makes SQLite rebuild the table (copy, drop, rename), the riskiest
    # thing a future revision does to existing rows; PostgreSQL alters it in place.
    for table in ("companies", "users", "clients", "documents", "payments"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("probe", sa.Integer(), nullable=True))
        with op.batch_alter_table(table) as batch:
            batch.drop_column("probe")


def downgrade():
    pass
'''


def test_rows_survive_a_revision_that_rebuilds_their_tables(app, app_factory, empty_database, invoice_with_payment,
                                                           tmp_path):
    """The same upgrade, through a probe revision added on top of the real ones (in a copy of
    migrations/): it runs whatever the real history is, and shows that a revision rebuilding
    the tables that hold companies, clients, invoices and payments keeps their rows."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    with app.app_context():
        head, _ = head_and_parents()
    (directory / "versions" / "upgrade_probe.py").write_text(PROBE_REVISION.format(parent=head))

    upgraded, written, differences = upgrade_with_rows(app, app_factory, empty_database, tmp_path / "upgraded",
                                                       str(directory))
    assert {"companies", "users", "clients", "contacts", "documents", "document_lines", "payments"} <= set(written)
    assert differences == [], "\n".join(differences)
    assert_app_reads(upgraded, *invoice_with_payment)
    with upgraded.app_context():
        check_models_match(str(directory))  # the probe changes nothing in the end, references included


ORPHANING_REVISION = '''"""probe: delete companies, leaving their clients and invoices behind

Revision ID: orphaning_probe
Revises: {parent}
"""
from alembic import op

revision = "orphaning_probe"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM companies")


def downgrade():
    pass
'''


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL enforces foreign keys during migrations")
def test_a_revision_leaving_rows_that_refer_to_nothing_is_rolled_back(app, invoice_with_payment, tmp_path):
    """Foreign keys are not enforced while SQLite migrates (table rebuilds need that), so
    migrations/env.py checks them after each revision, before it commits."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    with app.app_context():
        head, _ = head_and_parents()
        (directory / "versions" / "orphaning_probe.py").write_text(ORPHANING_REVISION.format(parent=head))
        with pytest.raises(RuntimeError, match="orphaning_probe leaves rows referring to nothing"):
            migrate_to(["head"], str(directory))
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalar(text("SELECT count(*) FROM companies")) == 1
        db.session.rollback()
        with db.engine.connect() as connection:  # the migration's connection, back in the pool
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
@pytest.mark.skipif(ON_POSTGRES, reason="migrates a database file of its own (SQLite)")
def test_bank_revision_leaves_issued_invoices_and_their_pdfs_as_they_were(tmp_path, app_factory):
    """Upgrading a database holding an issued invoice: the invoice gets no reference (its stored
    PDF prints none) and the PDF bytes are not touched."""
    from flask_migrate import upgrade

    path = tmp_path / "old.sqlite3"
    app = app_factory(base_config(tmp_path, f"sqlite:///{path}"))
    with app.app_context():
        upgrade(revision="f54830940393")
        now = "2026-03-01 09:00:00.000000"
        for statement in (
            f"INSERT INTO companies (id, created_at, name, trade_name, legal_form, siret, rcs_rm, vat_regime,"
            f" vat_number,"
            f" vat_on_debits, address_line1, address_line2, postal_code, city, country, email, phone, iban, bic,"
            f" logo_mime, payment_terms_days, early_payment_discount, quote_validity_days, insurer_name,"
            f" insurer_address, insurance_policy, insurance_coverage_area, timezone, auto_send_invoices,"
            f" auto_send_hour, copy_company_on_sends, reminders_enabled, formal_notice_deadline_days,"
            f" open_tracking_enabled) VALUES (1, '{now}', 'Ancienne', '', 'EI', '', '', 'normal', '', 0, '', '', '',"
            f" '', 'France', '', '', '', '', '', 30, '', 30, '', '', '', '', 'Europe/Paris', 0, 9, 0, 1, 8, 1)",
            f"INSERT INTO clients (id, company_id, kind, name, siren, vat_number, address_line1, address_line2,"
            f" postal_code, city, country, site_address_line1, site_postal_code, site_city, search_key, notes,"
            f" reminders_disabled, created_at) VALUES (1, 1, 'particulier', 'Client', '', '', '', '', '', '',"
            f" 'France', '', '', '', 'client', '', 0, '{now}')",
            f"INSERT INTO documents (id, company_id, client_id, kind, version, number, issued_at, issue_date,"
            f" refusal_reason, vat_regime, reduced_rate_attestation, subject, site_name, site_address, notes,"
            f" vat_breakdown, breakdown_from_lines, total_ht_cents, total_vat_cents, total_ttc_cents, net_cents,"
            f" deductions, paid_cents, credited_cents, reminder_level, reminder_step_reached, reminders_disabled,"
            f" snapshot, created_at, updated_at) VALUES (1, 1, 1, 'invoice', 2, 'F-2026-0001', '{now}', '2026-03-01',"
            f" '', 'normal', 0, '', '', '', '', '[]', 1, 10000, 2000, 12000, 12000, '[]', 0, 0, 0, -1, 0, '{{}}',"
            f" '{now}', '{now}')",
            f"INSERT INTO stored_files (id, company_id, document_id, purpose, filename, mimetype, sha256, size, data,"
            f" created_at) VALUES (1, 1, 1, 'document_pdf', 'Facture-F-2026-0001-Client.pdf', 'application/pdf',"
            f" 'abc', 8, X'255044462D312E37', '{now}')",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        row = db.session.execute(text("SELECT number, payment_reference FROM documents")).one()
        assert tuple(row) == ("F-2026-0001", None)
        assert db.session.execute(text("SELECT data FROM stored_files")).scalar_one() == b"%PDF-1.7"
        assert db.session.execute(text("SELECT count(*) FROM bank_lines")).scalar_one() == 0
        db.session.remove()
