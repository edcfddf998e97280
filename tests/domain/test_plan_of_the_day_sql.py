"""The dashboard counts the plan of the day in SQL (reminders.step_action_expr): it must take
exactly the decisions of the Python rule (reminders.due_step through planned_today), on any
day, with per-client and per-invoice plans, switched-off clients and several companies."""

from datetime import date, timedelta

import pytest

from domain.collections import dashboard, reminders
from domain.collections.models import ReminderPlan
from domain.core.models import Company
from extensions import db
from tests.support.dashboard_dataset import T, build_dataset


def _python(company, today):
    planned = [(i.id, s.action) for i, s in reminders.planned_today(company, today)]
    return ({i for i, a in planned if a == "send"}, {i for i, a in planned if a == "confirm"})


def _sql(company, today):
    sends, n_sends, confirms, n_confirms = dashboard.plan_of_the_day(company, today, limit=10_000)
    assert (len(sends), len(confirms)) == (n_sends, n_confirms)
    assert all(p.step.action == "send" for p in sends) and all(p.step.action == "confirm" for p in confirms)
    due_dates = [p.invoice.due_date for p in sends]
    assert due_dates == sorted(due_dates)  # the plan's order: soonest due first
    return {p.invoice.id for p in sends}, {p.invoice.id for p in confirms}


@pytest.fixture
def varied(app):
    with app.app_context():
        data = build_dataset()
        company, inv, clients = data["company"], data["invoices"], data["clients"]
        reminders.default_plan(company)
        gentle = reminders.save_plan(company, None, name="Réguliers", confirm_formal_notice=False, steps=[
            {"offset_days": -1, "template": "pre_due"}, {"offset_days": 20, "template": "soft"},
            {"offset_days": 45, "template": "formal_notice"}])
        firm = reminders.save_plan(company, None, name="Express", confirm_formal_notice=True, steps=[
            {"offset_days": 3, "template": "firm"}, {"offset_days": 10, "template": "formal_notice"}])
        reminders.set_client_plan(clients["Bravo"], plan_id=gentle.id, enabled=True)
        reminders.set_client_plan(clients["Delta"], plan_id=None, enabled=False)
        reminders.set_invoice_plan(inv["5"], None, firm.id)
        reminders.set_invoice_plan(inv["10"], None, firm.id)
        inv["2b"].reminder_step_reached = 1
        inv["11"].reminders_paused_until = T + timedelta(days=3)
        # the other company has its own plans and overdue invoices: never counted here
        other = db.session.scalar(db.select(Company).where(Company.id != company.id))
        reminders.save_plan(other, None, name="Autre", confirm_formal_notice=False,
                            steps=[{"offset_days": 1, "template": "soft"}])
        db.session.flush()
        yield company
        db.session.rollback()


def test_sql_plan_matches_the_python_rule_every_day(varied):
    seen = set()
    for delta in range(-40, 70, 3):
        today = T + timedelta(days=delta)
        python, sql = _python(varied, today), _sql(varied, today)
        assert sql == python, today
        seen |= {("send", i) for i in python[0]} | {("confirm", i) for i in python[1]}
    assert len(seen) > 10  # the days above exercise sends and confirmations


def test_a_plan_without_steps_and_the_virtual_default(app):
    with app.app_context():
        data = build_dataset()
        company = data["company"]
        assert db.session.scalar(db.select(ReminderPlan.id).where(ReminderPlan.company_id == company.id)) is None
        assert _sql(company, T) == _python(company, T)  # no plan row yet: the built-in default
        empty = reminders.save_plan(company, None, name="Vide", confirm_formal_notice=True, steps=[])
        reminders.set_client_plan(data["clients"]["Alpha"], plan_id=empty.id, enabled=True)
        assert _sql(company, T) == _python(company, T)
        company.reminders_enabled = False
        assert dashboard.plan_of_the_day(company, T) == ([], 0, [], 0)
        db.session.rollback()


def test_the_dashboard_shows_the_first_rows_and_the_total(app):
    with app.app_context():
        data = build_dataset()
        company = data["company"]
        b = dashboard.dashboard(company, date(2026, 12, 30))
        sends, confirms = _python(company, date(2026, 12, 30))
        assert b.planned_total == len(sends) and b.to_confirm_total == len(confirms)
        assert len(b.planned) == min(len(sends), dashboard.TOP_PLANNED)
        db.session.rollback()
