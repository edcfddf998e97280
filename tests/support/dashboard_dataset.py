"""The dashboard's fixed data set, on which its figures are computed by hand
(tests/domain/test_dashboard.py), and reused wherever realistic collections data is needed.

The data set (amounts left to pay, days late = today − due date):

    n°  client  left   due       level  sent
    1   Alpha   1000   T         R0     yes   not yet due (due today)
    2   Alpha    200   T-1       R1     yes   1 day late
    2b  Charlie  150   T-20      R0     yes   the plan sends the firm reminder today
    2c  Delta     75   T-10      R0     yes   the plan sends the soft reminder today (no e-mail)
    3   Bravo    300   T-30      R1     yes   30 days: last day of "1-30"
    4   Bravo    300   T-31      R2     yes   31 days (400 with 100 paid)
    5   Charlie  500   T-60      R2     yes   60 days
    6   Charlie  600   T-61      R3     yes   61 days
    7   Alpha    700   T-90      R3     yes   90 days
    8   Bravo    800   T-91      R0     no    91 days (late, never sent: "en retard", not "à envoyer")
    9   Alpha    900   T+6       R0     no    to send; week 1
    10  Bravo   1100   T+7       R0     yes   week 2
    11  Charlie 1200   T+27      R0     no    to send; week 4
    12  Charlie   50   T+28      R0     yes   beyond the 4 weeks

Paid in full (payment delay over the 90 days ending today, weighted by amount paid):
    P1 Alpha 250, issued T-40, paid T-10                   → 30 days
    P2 Bravo 1000, issued T-100, 400 on T-80, 600 on T-20    → 80 days
    P3 Charlie 100, issued T-95, paid T-90                 → outside the window (T-89 .. T)
    P4 Charlie 60, issued T-100, paid T-89                 → 11 days (first day of the window)
    P5 Alpha 300, issued T-50, 300 on T-45 cancelled, 300 on T-5 → 45 days
    DSO = (25000×30 + 100000×80 + 6000×11 + 30000×45) / 161000 = 63.14 → 63 days

Noise that must not count: a draft, a quote, an invoice cancelled by a credit note, and
another company's overdue invoice and task.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing.documents import LineInput
from domain.billing.payments import PaymentInput
from domain.collections import reminders
from domain.core.models import Company
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice, make_quote, make_user

T = date(2026, 11, 23)


def invoice(company, client, euros, *, due, level=0, sent=True, issued_on=None, today=T):
    """An issued invoice of `euros` (no VAT) due on `due`, at reminder `level`, sent or not."""
    lines = [LineInput(label="Travaux", unit_price_cents=euros * 100, vat_rate_bp=0)]
    doc = make_invoice(company, client, None, lines=lines)
    issued_on = issued_on or min(due, today) - timedelta(days=30)
    docs.issue(doc, None, today=issued_on)
    doc.due_date, doc.reminder_level = due, level
    if sent:
        doc.sent_at = datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=UTC)
    db.session.flush()
    return doc


def paid_invoice(company, client, euros, *, issued_on, payments_on, cancelled_first=None, today=T):
    """An invoice paid in full by `payments_on` ((day, euros)…), after a bounced cheque if asked."""
    doc = invoice(company, client, euros, due=issued_on + timedelta(days=30), issued_on=issued_on, today=today)
    if cancelled_first:
        p = payments.record_payment(doc, None, PaymentInput(euros * 100, cancelled_first, "cheque"), today=today)
        payments.cancel_payment(p, None, reason="Chèque impayé")
    for day, amount in payments_on:
        payments.record_payment(doc, None, PaymentInput(amount * 100, day, "virement"), today=today)
    assert doc.remaining_cents == 0 and doc.paid_in_full_at is not None
    return doc


def build_dataset(today: date = T, company: Company | None = None) -> dict:
    """The data set of the module docstring, relative to `today`; returns names → objects."""
    company = company or make_company()
    if not company.users:
        make_user(company)
    alpha = make_client(company, name="Alpha", email="alpha@example.fr")
    bravo = make_client(company, name="Bravo", email="bravo@example.fr")
    charlie = make_client(company, name="Charlie", email="charlie@example.fr")
    delta = make_client(company, name="Delta", email="")
    d = lambda n: today + timedelta(days=n)  # noqa: E731

    an_invoice, a_paid_invoice = partial(invoice, today=today), partial(paid_invoice, today=today)
    inv = {
        "1": an_invoice(company, alpha, 1000, due=d(0)),
        "2": an_invoice(company, alpha, 200, due=d(-1), level=1),
        "2b": an_invoice(company, charlie, 150, due=d(-20)),
        "2c": an_invoice(company, delta, 75, due=d(-10)),
        "3": an_invoice(company, bravo, 300, due=d(-30), level=1),
        "4": an_invoice(company, bravo, 400, due=d(-31), level=2),
        "5": an_invoice(company, charlie, 500, due=d(-60), level=2),
        "6": an_invoice(company, charlie, 600, due=d(-61), level=3),
        "7": an_invoice(company, alpha, 700, due=d(-90), level=3),
        "8": an_invoice(company, bravo, 800, due=d(-91), sent=False),
        "9": an_invoice(company, alpha, 900, due=d(6), sent=False),
        "10": an_invoice(company, bravo, 1100, due=d(7)),
        "11": an_invoice(company, charlie, 1200, due=d(27), sent=False),
        "12": an_invoice(company, charlie, 50, due=d(28)),
    }
    payments.record_payment(inv["4"], None, PaymentInput(10000, d(-5), "cheque"), today=today)
    paid = {
        "P1": a_paid_invoice(company, alpha, 250, issued_on=d(-40), payments_on=[(d(-10), 250)]),
        "P2": a_paid_invoice(company, bravo, 1000, issued_on=d(-100), payments_on=[(d(-80), 400), (d(-20), 600)]),
        "P3": a_paid_invoice(company, charlie, 100, issued_on=d(-95), payments_on=[(d(-90), 100)]),
        "P4": a_paid_invoice(company, charlie, 60, issued_on=d(-100), payments_on=[(d(-89), 60)]),
        "P5": a_paid_invoice(company, alpha, 300, issued_on=d(-50), payments_on=[(d(-5), 300)], cancelled_first=d(-45)),
    }
    # noise
    make_invoice(company, alpha, None)  # a draft
    docs.issue(make_quote(company, alpha, None, today=d(-3)), None, today=d(-3))
    cancelled = an_invoice(company, bravo, 444, due=d(-40))
    note = docs.create_credit_note(cancelled, None, today=d(-4), full=True, reason="Erreur")
    docs.issue(note, None, today=d(-4))
    other = make_company("Autre SARL", siret="55210055400013", email="autre@example.fr")
    other_client = make_client(other, name="Client d'une autre entreprise", email="z@example.fr")
    an_invoice(other, other_client, 5000, due=d(-40))
    reminders.add_task(other.id, None, client_id=other_client.id, due_on=d(-1), note="Pas à nous")
    # tasks
    reminders.add_task(company.id, None, client_id=alpha.id, due_on=d(-2), note="Rappeler Alpha", document=inv["2"])
    reminders.add_task(company.id, None, client_id=bravo.id, due_on=d(0), note="Passer voir Bravo")
    reminders.add_task(company.id, None, client_id=charlie.id, due_on=d(1), note="Demain")
    done = reminders.add_task(company.id, None, client_id=charlie.id, due_on=d(-1), note="Déjà fait")
    reminders.complete_task(done, None)
    db.session.flush()
    return {"company": company, "invoices": inv, "paid": paid,
            "clients": {"Alpha": alpha, "Bravo": bravo, "Charlie": charlie, "Delta": delta}}
