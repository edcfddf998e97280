"""The Alembic migrations build exactly the schema the models describe (on both databases)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from extensions import db
from tests.conftest import ON_POSTGRES, base_config


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run scripts/regen-initial-migration.sh or add a migration: {diff}"


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
