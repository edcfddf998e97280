"""The pace of manual reminders: no level skipped, none repeated or followed within the plan's
gap without an explicit "envoyer quand même"; the plan never announces a step already passed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.collections import reminders
from domain.collections.models import ReminderPlan
from domain.collections.reminders import HOLD_SKIP, HOLD_TOO_SOON, gap_after, manual_hold, upcoming_step
from extensions import db
from tests.support.builders import issued, make_client, make_company, make_invoice

ISSUED_ON = date(2026, 9, 1)  # 30 days' terms: due 1 October 2026
STANDARD = ReminderPlan(name="standard", steps=[dict(s) for s in reminders.DEFAULT_STEPS])


@pytest.fixture
def invoice(app):
    with app.app_context():
        company = make_company()
        doc = issued(make_invoice(company, make_client(company), payment_terms_days=30), today=ISSUED_ON)
        db.session.commit()
        yield doc


def sent(doc, level: int, on: datetime) -> None:
    doc.reminder_level, doc.last_reminder_at = level, on


def test_the_gap_is_the_plans_own_between_two_steps():
    assert gap_after(0, STANDARD) == 10  # J-3 pre-due → J+7 soft
    assert gap_after(1, STANDARD) == 8  # J+7 soft → J+15 firm
    assert gap_after(2, STANDARD) == 15  # J+15 firm → J+30 formal notice
    gentle = ReminderPlan(name="doux", steps=[{"offset_days": 10, "template": "soft"},
                                              {"offset_days": 40, "template": "formal_notice"}])
    assert gap_after(1, gentle) == 30  # no firm step: the next level the plan sends
    assert gap_after(2, gentle) == reminders.DEFAULT_MIN_GAP_DAYS  # R2 sent by hand, not in the plan


def test_first_reminder_goes_in_one_tap(invoice):
    assert manual_hold(invoice, "soft", STANDARD, date(2026, 10, 2)) is None


def test_next_level_right_after_the_previous_waits_for_the_plans_gap(invoice):
    sent(invoice, 1, datetime(2026, 10, 8, 9, 0, tzinfo=UTC))
    hold = manual_hold(invoice, "firm", STANDARD, date(2026, 10, 8))  # the second tap, 0.3 s later
    assert hold.kind == HOLD_TOO_SOON and hold.level == 2 and hold.earliest == date(2026, 10, 16)
    assert "R1 · relance douce est partie le 08/10/2026" in hold.message and "16/10/2026" in hold.message
    assert manual_hold(invoice, "firm", STANDARD, date(2026, 10, 15)) is not None
    assert manual_hold(invoice, "firm", STANDARD, date(2026, 10, 16)) is None


def test_repeating_a_level_within_the_gap_waits_too(invoice):
    sent(invoice, 1, datetime(2026, 10, 8, 9, 0, tzinfo=UTC))
    assert manual_hold(invoice, "soft", STANDARD, date(2026, 10, 9)).kind == HOLD_TOO_SOON


def test_the_days_are_counted_in_the_companys_time_zone(invoice):
    # 23:30 UTC on 7 October is 01:30 on 8 October in Paris: the reminder went on the 8th.
    sent(invoice, 1, datetime(2026, 10, 7, 23, 30, tzinfo=UTC))
    assert manual_hold(invoice, "firm", STANDARD, date(2026, 10, 15)).earliest == date(2026, 10, 16)


def test_skipping_a_level_always_waits_for_confirmation(invoice):
    hold = manual_hold(invoice, "formal_notice", STANDARD, date(2026, 12, 1))
    assert hold.kind == HOLD_SKIP and "R1 · relance douce n'est pas encore partie" in hold.message
    sent(invoice, 1, datetime(2026, 10, 8, 9, 0, tzinfo=UTC))
    assert manual_hold(invoice, "formal_notice", STANDARD, date(2026, 12, 1)).kind == HOLD_SKIP


def test_a_document_send_or_a_pre_due_courtesy_has_no_pace(invoice):
    sent(invoice, 1, datetime(2026, 10, 8, 9, 0, tzinfo=UTC))
    assert manual_hold(invoice, "invoice_send", STANDARD, date(2026, 10, 8)) is None
    assert manual_hold(invoice, "pre_due", STANDARD, date(2026, 10, 8)) is None


def test_after_a_manual_formal_notice_the_plan_announces_no_earlier_level(invoice):
    assert upcoming_step(invoice, STANDARD, date(2026, 10, 2)) == (date(2026, 10, 8), "soft")
    sent(invoice, 3, datetime(2026, 10, 2, 9, 0, tzinfo=UTC))  # R3 by hand, before any step
    assert upcoming_step(invoice, STANDARD, date(2026, 10, 2)) is None
    invoice.reminder_level = 1
    assert upcoming_step(invoice, STANDARD, date(2026, 10, 2)) == (date(2026, 10, 16), "firm")
    assert upcoming_step(invoice, None, date(2026, 10, 2)) is None  # automatic reminders off
