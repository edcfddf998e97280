"""Dashboard figures against hand-computed totals on fixed data (a fixed "today").

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

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing.documents import LineInput
from domain.billing.models import Document
from domain.billing.payments import PaymentInput
from domain.collections import dashboard, reminders
from domain.core.models import Company
from extensions import db
from tests.builders import make_invoice, make_quote
from tests.conftest import make_client, make_company, make_user

T = date(2026, 11, 23)


def _invoice(company, client, euros, *, due, level=0, sent=True, issued_on=None):
    doc = make_invoice(company, client, None, lines=[LineInput(label="Travaux", unit_price_cents=euros * 100, vat_rate_bp=0)])
    issued_on = issued_on or min(due, T) - timedelta(days=30)
    docs.issue(doc, None, today=issued_on)
    doc.due_date, doc.reminder_level = due, level
    if sent:
        doc.sent_at = datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=timezone.utc)
    db.session.flush()
    return doc


def _paid(company, client, euros, *, issued_on, payments_on, cancelled_first=None):
    doc = _invoice(company, client, euros, due=issued_on + timedelta(days=30), issued_on=issued_on)
    if cancelled_first:
        p = payments.record_payment(doc, None, PaymentInput(euros * 100, cancelled_first, "cheque"), today=T)
        payments.cancel_payment(p, None, reason="Chèque impayé")
    for day, amount in payments_on:
        payments.record_payment(doc, None, PaymentInput(amount * 100, day, "virement"), today=T)
    assert doc.remaining_cents == 0 and doc.paid_in_full_at is not None
    return doc


def build_dataset(today: date = T, company: Company | None = None) -> dict:
    """The data set of the module docstring, relative to `today`; returns names → objects."""
    global T
    saved, T = T, today
    try:
        company = company or make_company()
        if not company.users:
            make_user(company)
        alpha = make_client(company, name="Alpha", email="alpha@example.fr")
        bravo = make_client(company, name="Bravo", email="bravo@example.fr")
        charlie = make_client(company, name="Charlie", email="charlie@example.fr")
        delta = make_client(company, name="Delta", email="")
        d = lambda n: today + timedelta(days=n)  # noqa: E731
        inv = {
            "1": _invoice(company, alpha, 1000, due=d(0)),
            "2": _invoice(company, alpha, 200, due=d(-1), level=1),
            "2b": _invoice(company, charlie, 150, due=d(-20)),
            "2c": _invoice(company, delta, 75, due=d(-10)),
            "3": _invoice(company, bravo, 300, due=d(-30), level=1),
            "4": _invoice(company, bravo, 400, due=d(-31), level=2),
            "5": _invoice(company, charlie, 500, due=d(-60), level=2),
            "6": _invoice(company, charlie, 600, due=d(-61), level=3),
            "7": _invoice(company, alpha, 700, due=d(-90), level=3),
            "8": _invoice(company, bravo, 800, due=d(-91), sent=False),
            "9": _invoice(company, alpha, 900, due=d(6), sent=False),
            "10": _invoice(company, bravo, 1100, due=d(7)),
            "11": _invoice(company, charlie, 1200, due=d(27), sent=False),
            "12": _invoice(company, charlie, 50, due=d(28)),
        }
        payments.record_payment(inv["4"], None, PaymentInput(10000, d(-5), "cheque"), today=today)
        paid = {
            "P1": _paid(company, alpha, 250, issued_on=d(-40), payments_on=[(d(-10), 250)]),
            "P2": _paid(company, bravo, 1000, issued_on=d(-100), payments_on=[(d(-80), 400), (d(-20), 600)]),
            "P3": _paid(company, charlie, 100, issued_on=d(-95), payments_on=[(d(-90), 100)]),
            "P4": _paid(company, charlie, 60, issued_on=d(-100), payments_on=[(d(-89), 60)]),
            "P5": _paid(company, alpha, 300, issued_on=d(-50), payments_on=[(d(-5), 300)], cancelled_first=d(-45)),
        }
        # noise
        make_invoice(company, alpha, None)  # a draft
        docs.issue(make_quote(company, alpha, None, today=d(-3)), None, today=d(-3))
        cancelled = _invoice(company, bravo, 444, due=d(-40))
        note = docs.create_credit_note(cancelled, None, today=d(-4), full=True, reason="Erreur")
        docs.issue(note, None, today=d(-4))
        other = make_company("Autre SARL", siret="55210055400013", email="autre@example.fr")
        other_client = make_client(other, name="Client d'une autre entreprise", email="z@example.fr")
        _invoice(other, other_client, 5000, due=d(-40))
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
    finally:
        T = saved


@pytest.fixture
def data(app):
    with app.app_context():
        yield build_dataset()
        db.session.rollback()


def fig(board_figure):
    return (board_figure.count, board_figure.cents)


def test_money_cards(data):
    b = dashboard.dashboard(data["company"], T)
    assert fig(b.due) == (14, 787500)
    assert fig(b.overdue) == (9, 362500)
    assert fig(b.to_send) == (2, 210000)
    assert [fig(f) for f in b.levels] == [(8, 527500), (2, 50000), (2, 80000), (2, 130000)]


def test_aging_buckets_and_their_exact_boundaries(data):
    b = dashboard.dashboard(data["company"], T)
    assert [(x.key, x.count, x.cents) for x in b.aging] == [
        ("not_due", 5, 425000),  # due today is not late
        ("1_30", 4, 72500),  # 1, 10, 20 and exactly 30 days
        ("31_60", 2, 80000),  # exactly 31 and exactly 60
        ("61_90", 2, 130000),  # exactly 61 and exactly 90
        ("90_plus", 1, 80000),  # exactly 91
    ]
    assert sum(x.cents for x in b.aging) == b.due.cents
    assert [(x.due_from, x.due_to) for x in b.aging] == [
        (T, None), (T - timedelta(days=30), T - timedelta(days=1)), (T - timedelta(days=60), T - timedelta(days=31)),
        (T - timedelta(days=90), T - timedelta(days=61)), (None, T - timedelta(days=91))]


def test_one_day_later_every_boundary_moves(data):
    b = dashboard.dashboard(data["company"], T + timedelta(days=1))
    # 1 becomes 1 day late; 3 (31) leaves 1-30; 5 (61) leaves 31-60; 7 (91) leaves 61-90
    assert [(x.key, x.count, x.cents) for x in b.aging] == [
        ("not_due", 4, 325000), ("1_30", 4, 142500), ("31_60", 2, 60000), ("61_90", 2, 110000), ("90_plus", 2, 150000)]


def test_expected_cash_over_four_weeks(data):
    b = dashboard.dashboard(data["company"], T)
    assert [(w.due_from, w.due_to, w.count, w.cents) for w in b.weeks] == [
        (T, T + timedelta(days=6), 2, 190000),
        (T + timedelta(days=7), T + timedelta(days=13), 1, 110000),
        (T + timedelta(days=14), T + timedelta(days=20), 0, 0),
        (T + timedelta(days=21), T + timedelta(days=27), 1, 120000),
    ]


def test_late_clients_sorted_by_amount_overdue(data):
    b = dashboard.dashboard(data["company"], T)
    assert [(c.name, c.count, c.cents, c.days_late) for c in b.late_clients] == [
        ("Bravo", 3, 140000, 91), ("Charlie", 3, 125000, 61), ("Alpha", 2, 90000, 90), ("Delta", 1, 7500, 10)]
    assert b.late_clients_total == 4
    assert sum(c.cents for c in b.late_clients) == b.overdue.cents


def test_tasks_due_today_include_overdue_ones(data):
    b = dashboard.dashboard(data["company"], T)
    assert [t.note for t in b.tasks] == ["Rappeler Alpha", "Passer voir Bravo"] and b.tasks_total == 2
    assert b.tasks[0].document.number == data["invoices"]["2"].number and b.tasks[0].client.name == "Alpha"


def test_plan_of_the_day_matches_the_reminders_dry_run(data):
    company, inv = data["company"], data["invoices"]
    sends, sends_total, confirms, confirms_total = dashboard.plan_of_the_day(company, T)
    assert (sends_total, confirms_total) == (len(sends), len(confirms))
    assert [(p.invoice.id, p.step.template, p.has_email) for p in sends] == [
        (inv["2b"].id, "firm", True), (inv["2c"].id, "soft", False)]
    assert [p.invoice.id for p in confirms] == [inv[k].id for k in ("8", "5", "4", "3")]
    ours = {(p.invoice.id, p.step.index, p.step.action) for p in sends + confirms}
    theirs = {(i.id, s.index, s.action) for i, s in reminders.planned_today(company, T) if s.action != "skip"}
    assert ours == theirs


def test_payment_delay_dso(data):
    delay = dashboard.payment_delay(data["company"].id, T)
    assert (delay.days, delay.invoices, delay.cents, delay.since) == (63, 4, 161000, T - timedelta(days=89))
    # next day, P4 (paid T-89) leaves the window: (750000 + 8000000 + 1350000) / 155000 = 65.16
    assert dashboard.payment_delay(data["company"].id, T + timedelta(days=1)).days == 65
    assert dashboard.payment_delay(data["company"].id, T - timedelta(days=200)).days is None


def test_rounding_of_the_delay_is_half_up(app):
    with app.app_context():
        company = make_company()
        client = make_client(company)
        # 1 day and 2 days, equal weights: 1.5 → 2
        _paid(company, client, 100, issued_on=T - timedelta(days=10), payments_on=[(T - timedelta(days=9), 100)])
        _paid(company, client, 100, issued_on=T - timedelta(days=10), payments_on=[(T - timedelta(days=8), 100)])
        assert dashboard.payment_delay(company.id, T).days == 2


def test_constant_number_of_queries(app, data):
    company = data["company"]
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        dashboard.dashboard(company, T)
        small = len(statements)
        # ten times more of everything
        for i in range(10):
            build_dataset(T, company)
        db.session.expire_all()
        company = db.session.get(Company, company.id)
        statements.clear()
        dashboard.dashboard(company, T)
        assert len(statements) == small
        statements.clear()
        activity = dashboard.client_activity(company.id, data["clients"]["Alpha"].id, T)
        for d in activity.open_invoices + [p.document for p in activity.payments] + [t.document for t in activity.tasks if t.document]:
            d.number  # noqa: B018 - touching what the template shows must not query
        assert len(statements) <= 6
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_client_activity_and_payment_habit(data):
    alpha = data["clients"]["Alpha"]
    act = dashboard.client_activity(data["company"].id, alpha.id, T)
    inv = data["invoices"]
    assert [d.id for d in act.open_invoices] == [inv[k].id for k in ("7", "2", "1", "9")]
    assert fig(act.due) == (4, 280000) and fig(act.overdue) == (2, 90000)
    # Alpha paid P1 (due T-10, paid T-10: on time) and P5 (due T-20, paid T-5: 15 days late)
    assert (act.behaviour.paid_invoices, act.behaviour.paid_late, act.behaviour.average_days_late) == (2, 1, 8)
    assert [p.paid_on for p in act.payments] == [T - timedelta(days=5), T - timedelta(days=10), T - timedelta(days=45)]
    assert [t.note for t in act.tasks] == ["Rappeler Alpha"]
    delta = dashboard.client_activity(data["company"].id, data["clients"]["Delta"].id, T)
    assert delta.behaviour.average_days_late is None and fig(delta.overdue) == (1, 7500)


def test_an_empty_company(app):
    with app.app_context():
        company = make_company()
        b = dashboard.dashboard(company, T)
        assert fig(b.due) == (0, 0) and b.late_clients == [] and b.tasks == [] and b.planned == []
        assert b.delay.days is None and [x.cents for x in b.aging] == [0] * 5
        assert db.session.scalar(select(Document.id)) is None
