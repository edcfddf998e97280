"""Bank reconciliation in the domain: never twice under concurrency, proposals kept up to date,
undo, and the figures of the dashboard (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from domain.banking import imports, reconciliation
from domain.banking.models import MATCHED, UNMATCHED, BankLine, BankStatement
from domain.banking.reconciliation import ReconcileError
from domain.billing import payments
from domain.billing.models import Document, Payment
from domain.billing.payments import PaymentInput
from domain.core.models import Company, User
from extensions import db
from tests.support.bank import bank_sample, plomberie_martin
from tests.support.builders import make_company, make_user
from tests.support.concurrency import run_concurrently

TODAY = date(2026, 11, 27)


@pytest.fixture
def martin(app):
    """(company id, user id, {number: invoice id}) of the sample statements' company."""
    with app.app_context():
        company = make_company("Plomberie Martin")
        user = make_user(company)
        invoices = plomberie_martin(company)
        db.session.commit()
        return company.id, user.id, invoices


def _import(company_id: int, user_id: int, name: str):
    company, user = db.session.get(Company, company_id), db.session.get(User, user_id)
    return imports.import_statement(company, user, bank_sample(name), name)


def test_the_same_statement_imported_five_times_at_once_is_stored_once(app, martin):
    company_id, user_id, _invoices = martin
    results, errors = run_concurrently(app, [0] * 5, lambda _: _import(company_id, user_id, "camt053_batch_rf.xml")
                                       .statement.new_count)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 0, 4]
    with app.app_context():
        assert db.session.scalar(select(func.count(BankLine.id))) == 4
        assert db.session.scalar(select(func.count(BankStatement.id))) == 5
        assert db.session.scalar(select(func.count(BankLine.id)).where(BankLine.match_kind == "exact")) == 3


def test_five_confirms_of_one_line_at_once_record_one_payment(app, martin):
    company_id, user_id, invoices = martin
    with app.app_context():
        _import(company_id, user_id, "credit_agricole_names.csv")
        db.session.commit()
        line_id = db.session.scalar(select(BankLine.id).where(BankLine.amount_cents == 125000))

    def confirm(_):
        line = db.session.get(BankLine, line_id)
        return len(reconciliation.confirm_proposal(line, db.session.get(User, user_id), today=TODAY))

    results, errors = run_concurrently(app, [0] * 5, confirm)
    assert results == [1]
    assert len(errors) == 4 and all(isinstance(e, ReconcileError) for e in errors)
    assert {str(e) for e in errors} == {
        "Cette opération est déjà rapprochée : aucun paiement de plus n'a été enregistré."}
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 1
        assert db.session.get(Document, invoices["F-2026-0042"]).remaining_cents == 0


def test_proposals_follow_the_invoices_as_they_stand(app, martin):
    company_id, user_id, invoices = martin
    with app.app_context():
        user = db.session.get(User, user_id)
        # Paid by cheque before the statement arrives: the transfer quoting its RF proposes nothing.
        dupont = db.session.get(Document, invoices["F-2026-0042"])
        payments.record_payment(dupont, user, PaymentInput(125000, date(2026, 3, 1), "cheque"), today=TODAY)
        result = _import(company_id, user_id, "camt053_batch_rf.xml")
        assert (result.waiting, result.exact) == (3, 2)
        line = db.session.scalar(select(BankLine).where(BankLine.creditor_reference == "RF69F20260042"))
        assert line.state == UNMATCHED and line.proposed == []
        assert line.match_reason == "la référence RF69F20260042 ne correspond à aucune facture ouverte (déjà payée ?)"
        # The cheque bounces: cancelled, the invoice owes again; refreshing the proposals finds it.
        cheque = db.session.scalar(select(Payment).where(Payment.document_id == dupont.id))
        payments.cancel_payment(cheque, user, reason="Chèque impayé")
        assert reconciliation.match_waiting(company_id) == 3
        assert reconciliation.confirm_exact(company_id, user, today=TODAY) == (3, 0)
        db.session.refresh(line)
        assert line.state == MATCHED and line.matched_how == "confirmed"
        assert db.session.get(Document, invoices["F-2026-0042"]).remaining_cents == 0
        db.session.commit()


def test_confirming_the_exact_ones_leaves_those_a_rule_refuses_now(app, martin):
    """record_payment refuses a future date, and an invoice paid since the proposal was made."""
    company_id, user_id, invoices = martin
    with app.app_context():
        user = db.session.get(User, user_id)
        _import(company_id, user_id, "camt053_batch_rf.xml")
        assert reconciliation.confirm_exact(company_id, user, today=date(2026, 3, 15)) == (0, 3)
        terrasses = db.session.get(Document, invoices["F-2026-0041"])
        payments.record_payment(terrasses, user, PaymentInput(120000, date(2026, 3, 15), "cheque"), today=TODAY)
        assert reconciliation.confirm_exact(company_id, user, today=TODAY) == (2, 1)
        waiting = db.session.scalars(select(BankLine).where(BankLine.state == UNMATCHED)).all()
        assert [line.amount_cents for line in waiting] == [120000]
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.method == "virement")) == 2


def test_summary_counts_the_credits_waiting_and_the_last_import(app, martin):
    company_id, user_id, _invoices = martin
    with app.app_context():
        empty = reconciliation.summary(company_id)
        assert (empty.waiting_count, empty.waiting_cents, empty.imported) == (0, 0, False)
        _import(company_id, user_id, "credit_agricole_names.csv")
        _import(company_id, user_id, "camt053_batch_rf.xml")
        db.session.commit()
        summary = reconciliation.summary(company_id)
        # Four transfers of the CSV, three of the CAMT (nothing is recorded before it is confirmed).
        assert (summary.waiting_count, summary.waiting_cents) == (7, 60000 + 125000 + 204000 + 30000
                                                                   + 125000 + 120000 + 84000)
        assert summary.last_operation_on == date(2026, 3, 28)
        assert summary.last_import_at.tzinfo is not None
        # Another company's lines never count.
        other = make_company("Autre", siret="55210055400013")
        assert reconciliation.summary(other.id).waiting_count == 0
