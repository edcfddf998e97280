"""Dashboard figures against hand-computed totals on fixed data (a fixed "today"): the data
set and its table are in tests/support/dashboard_dataset.py."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from domain.billing.models import Document
from domain.collections import dashboard, reminders
from domain.core.models import Company
from extensions import db
from tests.support.builders import make_client, make_company
from tests.support.dashboard_dataset import T, build_dataset, paid_invoice


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
        paid_invoice(company, client, 100, issued_on=T - timedelta(days=10), payments_on=[(T - timedelta(days=9), 100)])
        paid_invoice(company, client, 100, issued_on=T - timedelta(days=10), payments_on=[(T - timedelta(days=8), 100)])
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
        for _ in range(10):
            build_dataset(T, company)
        db.session.expire_all()
        company = db.session.get(Company, company.id)
        statements.clear()
        dashboard.dashboard(company, T)
        assert len(statements) == small
        statements.clear()
        activity = dashboard.client_activity(company.id, data["clients"]["Alpha"].id, T)
        for d in (activity.open_invoices + [p.document for p in activity.payments]
                  + [t.document for t in activity.tasks if t.document]):
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
