"""20 concurrent issues → 20 consecutive numbers, no gap, no duplicate (SQLite and PostgreSQL).

Each thread has its own app context, session and database connection, like gunicorn
workers; a barrier releases them together.
"""

from datetime import date

from sqlalchemy import select

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing.models import Document, Payment
from domain.billing.payments import PaymentError, PaymentInput
from extensions import db
from tests.support.builders import issued, make_client, make_company, make_invoice, make_user
from tests.support.concurrency import run_concurrently

TODAY = date(2026, 11, 23)
N = 20


def test_concurrent_issues_get_consecutive_numbers(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        client = make_client(company)
        ids = [make_invoice(company, client, user).id for _ in range(N)]
        db.session.commit()

    def issue(doc_id):
        doc = db.session.get(Document, doc_id)
        return docs.issue(doc, None, today=TODAY).number

    numbers, errors = run_concurrently(app, ids, issue)
    assert errors == []
    assert sorted(numbers) == [f"F-2026-{i:04d}" for i in range(1, N + 1)]
    with app.app_context():
        stored = db.session.scalars(select(Document.number).order_by(Document.number)).all()
        assert stored == sorted(numbers)


def test_double_tap_issue_assigns_one_number(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        doc_id = make_invoice(company, make_client(company), user).id
        db.session.commit()

    def issue(_):
        return docs.issue(db.session.get(Document, doc_id), None, today=TODAY).number

    numbers, errors = run_concurrently(app, [0] * 5, issue)
    assert errors == [] and set(numbers) == {"F-2026-0001"}


def test_concurrent_payments_never_overpay(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        invoice = issued(make_invoice(company, make_client(company), user), user)  # 165,00 €
        db.session.commit()
        invoice_id = invoice.id

    def pay(_):
        doc = db.session.get(Document, invoice_id)
        try:
            payments.record_payment(doc, None, PaymentInput(5000, TODAY, "virement"), today=TODAY)
            return "ok"
        except PaymentError:
            return "refused"

    results, errors = run_concurrently(app, list(range(8)), pay)
    assert errors == []
    assert results.count("ok") == 3 and results.count("refused") == 5  # 3 × 50 € fit in 165 €
    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        assert doc.paid_cents == 15000 == sum(db.session.scalars(select(Payment.amount_cents)))


def test_concurrent_cancels_subtract_a_payment_once(app):
    """Issue 12, finding 5: 4 parallel cancels of the same payment, 6 rounds. Before the
    conditional update, PostgreSQL subtracted a payment several times (12 € too much, 19
    events for 7 cancels)."""
    from domain.core.models import Event

    with app.app_context():
        company = make_company()
        user = make_user(company)
        invoice = issued(make_invoice(company, make_client(company), user), user)  # 165,00 €
        db.session.commit()
        invoice_id = invoice.id
        payment_ids = []
        for _ in range(6):
            doc = db.session.get(Document, invoice_id)
            payment_ids.append(payments.record_payment(doc, None, PaymentInput(200, TODAY, "cheque"), today=TODAY).id)
        db.session.commit()

    for payment_id in payment_ids:
        def cancel(_, payment_id=payment_id):
            payments.cancel_payment(db.session.get(Payment, payment_id), None, reason="Chèque impayé")
            return "done"

        results, errors = run_concurrently(app, list(range(4)), cancel)
        assert errors == [] and results == ["done"] * 4

    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        assert doc.paid_cents == 0
        assert all(p.cancelled_at is not None for p in db.session.scalars(select(Payment)))
        cancelled_events = db.session.scalars(select(Event).where(Event.kind == "payment_cancelled")).all()
        assert sorted(e.data["payment_id"] for e in cancelled_events) == sorted(payment_ids)
