"""Issue 12, finding 9 (the lower ones handled in the domain): a client cannot pause the
reminders forever with successive promises, a payment cannot be dated a century back, and a
final invoice far above its accepted quote needs an explicit confirmation."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing.documents import DocumentError, LineInput
from domain.billing.payments import PaymentError, PaymentInput
from domain.portal import answers
from domain.portal import links as portal
from domain.portal.links import PortalError
from extensions import db
from tests.support.builders import accepted_quote, issued, make_client, make_company, make_invoice, make_user
from web.urls import link_secret

TODAY = date(2026, 11, 23)


@pytest.fixture
def ctx(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        client = make_client(company)
        db.session.commit()
        yield company, user, client


def _promise(link, pay_on, today, hour=10):
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)
    return answers.promise(link, full_name="Hélène Dupont", pay_on=pay_on, ip="203.0.113.7", user_agent="x",
                           today=today, now=now)


def test_promises_are_capped_in_number_and_in_total_delay(ctx):
    company, user, client = ctx
    invoice = issued(make_invoice(company, client, user), user)
    link = portal.ensure_link(invoice, user, secret=link_secret())
    first = _promise(link, TODAY + timedelta(days=30), TODAY)
    assert first.changed
    # After the promised date passed, a second promise: the window ends 60 days after the first.
    later = TODAY + timedelta(days=31)
    assert answers.promise_window(invoice, later) == (later, TODAY + timedelta(days=60))
    with pytest.raises(PortalError, match="Choisissez une date"):
        _promise(link, later + timedelta(days=45), later)
    assert _promise(link, TODAY + timedelta(days=60), later).changed
    # A third one is refused whatever the date: the client talks to the artisan.
    with pytest.raises(PortalError, match="déjà indiqué deux dates"):
        _promise(link, TODAY + timedelta(days=61), TODAY + timedelta(days=61))


def test_a_payment_cannot_be_dated_long_before_its_invoice(ctx):
    company, user, client = ctx
    invoice = issued(make_invoice(company, client, user), user)
    with pytest.raises(PaymentError, match="plus d'un an") as caught:
        payments.record_payment(invoice, user, PaymentInput(1000, date(1900, 1, 1), "cheque"), today=TODAY)
    assert caught.value.field == "paid_on"
    # A deposit paid in cash a few weeks before its invoice is fine.
    payments.record_payment(invoice, user, PaymentInput(1000, TODAY - timedelta(days=40), "especes"), today=TODAY)


def test_a_final_far_above_its_quote_needs_confirmation(ctx):
    company, user, client = ctx
    quote = accepted_quote(company, client, user, lines=[LineInput(label="Robinet", unit_price_cents=10000,
                                                                   vat_rate_bp=2000)])  # 120,00 € TTC
    final = docs.create_final(quote, user, today=TODAY)
    data = docs.DraftInput(client_id=client.id, lines=[LineInput(label="Robinet", unit_price_cents=500000,
                                                                 vat_rate_bp=2000)])
    docs.update_draft(final, company, user, data, expected_version=final.version)
    db.session.commit()
    final_id = final.id
    with pytest.raises(DocumentError, match="dépasse de plus de 10 %") as caught:
        docs.issue(final, user, today=TODAY)
    assert caught.value.field == "confirm_over_quote" and final.number is None
    db.session.rollback()
    final = db.session.get(type(final), final_id)
    assert docs.issue(final, user, today=TODAY, confirm_over_quote=True).number is not None
