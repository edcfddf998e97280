"""Client links (entropy, storage, revocation, expiry), the client's answers (idempotent,
with evidence) and the open/view counters (exact under concurrency), on SQLite and PostgreSQL."""

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain.billing import documents as docs
from domain.billing import printing as document_files
from domain.billing.models import Document, StoredFile
from domain.collections.models import Send
from domain.core.models import Event
from domain.portal import answers, tracking
from domain.portal import links as portal
from domain.portal.links import PortalError
from domain.portal.models import ClientResponse, DocumentLink, DocumentTracking
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice, make_quote, make_user
from tests.support.concurrency import run_concurrently
from web.urls import link_secret

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        client = make_client(company)
        quote = make_quote(company, client, user, today=TODAY)
        document_files.issue_with_pdf(quote, user, today=TODAY)
        db.session.commit()
        yield company, user, client, quote


def events_of(doc, kind):
    return db.session.scalar(select(func.count(Event.id)).where(Event.document_id == doc.id, Event.kind == kind))


# --- links ---------------------------------------------------------------------------


def test_token_has_256_bits_and_is_looked_up_by_hash(ctx):
    company, user, client, quote = ctx
    link = portal.ensure_link(quote, user, now=NOW, secret=link_secret())
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", link.token)  # token_urlsafe(32): 32 random bytes
    assert link.token_sha256 == hashlib.sha256(link.token.encode()).hexdigest()
    tokens = set()
    for _ in range(300):  # each regeneration draws a fresh random token
        tokens.add(portal.regenerate_link(quote, user, now=NOW, secret=link_secret()).token)
    assert len(tokens) == 300
    assert db.session.scalar(select(func.count(DocumentLink.id)).where(DocumentLink.revoked_at.is_(None))) == 1


def test_ensure_link_is_stable_and_one_live_link_per_document(ctx):
    company, user, client, quote = ctx
    first = portal.ensure_link(quote, user, now=NOW, secret=link_secret())
    assert portal.ensure_link(quote, user, now=NOW + timedelta(days=3), secret=link_secret()).id == first.id
    assert events_of(quote, "link_created") == 1
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(DocumentLink(company_id=company.id, document_id=quote.id, token_sealed="00" * 32,
                                    token_sha256=portal.hash_token("x" * 43)))


def test_resolve_refuses_revoked_expired_unknown_and_malformed(ctx):
    company, user, client, quote = ctx
    link = portal.ensure_link(quote, user, now=NOW, lifetime=timedelta(days=30), secret=link_secret())
    token = link.token
    assert portal.resolve(token, now=NOW).id == link.id
    assert portal.resolve(token, now=NOW + timedelta(days=29, hours=23)).id == link.id
    assert portal.resolve(token, now=NOW + timedelta(days=30)) is None  # expired
    assert portal.resolve(token[:-1] + ("A" if token[-1] != "A" else "B"), now=NOW) is None
    for bad in ("", "abc", "x" * 200, "../../etc/passwd", token + "'--"):
        assert portal.resolve(bad, now=NOW) is None
    # an expired link is replaced by a new one on next use
    fresh = portal.ensure_link(quote, user, now=NOW + timedelta(days=31), secret=link_secret())
    assert fresh.token != token and portal.resolve(fresh.token, now=NOW + timedelta(days=31)).id == fresh.id
    assert portal.revoke_link(quote, user, now=NOW + timedelta(days=32))
    assert portal.resolve(fresh.token, now=NOW + timedelta(days=32)) is None
    assert portal.revoke_link(quote, user) is False  # nothing live any more


def test_drafts_never_get_a_link(ctx):
    company, user, client, quote = ctx
    draft = make_invoice(company, client, user)
    with pytest.raises(PortalError):
        portal.ensure_link(draft, user, secret=link_secret())
    # even a link row forged for a draft does not open it
    db.session.add(DocumentLink(company_id=company.id, document_id=draft.id, token_sealed="00" * 32,
                                token_sha256=portal.hash_token("d" * 43)))
    db.session.flush()
    assert portal.resolve("d" * 43) is None


# --- answers ----------------------------------------------------------------------------


def test_accept_records_evidence_and_is_idempotent(ctx):
    company, user, client, quote = ctx
    link = portal.ensure_link(quote, user, now=NOW, secret=link_secret())
    out = answers.accept(link, full_name="  Hélène   Dupont ", agreed=True, ip="203.0.113.7",
                         user_agent="Mozilla/5.0 Test", today=TODAY, now=NOW)
    assert out.changed
    stored = db.session.scalar(select(StoredFile).where(StoredFile.document_id == quote.id))
    response = db.session.scalar(select(ClientResponse))
    assert (response.kind, response.full_name, response.ip, response.user_agent) == (
        "accept", "Hélène Dupont", "203.0.113.7", "Mozilla/5.0 Test")
    assert response.pdf_sha256 == hashlib.sha256(stored.data).hexdigest() == stored.sha256
    assert response.at == NOW and quote.accepted_at == NOW
    event = db.session.scalar(select(Event).where(Event.document_id == quote.id, Event.kind == "accepted"))
    assert "Hélène Dupont" in event.actor_label and event.data["pdf_sha256"] == response.pdf_sha256
    again = answers.accept(link, full_name="Quelqu'un d'autre", agreed=True, ip="198.51.100.1", user_agent="x",
                          today=TODAY, now=NOW + timedelta(hours=1))
    assert not again.changed and again.response.id == response.id
    assert db.session.scalar(select(func.count(ClientResponse.id))) == 1
    assert events_of(quote, "accepted") == 1 and quote.accepted_at == NOW
    # the database itself refuses a second decision on the same quote
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(ClientResponse(company_id=company.id, document_id=quote.id, kind="refuse"))


def test_accept_needs_name_and_checkbox_and_an_open_quote(ctx):
    company, user, client, quote = ctx
    link = portal.ensure_link(quote, user, secret=link_secret())
    with pytest.raises(PortalError) as exc:
        answers.accept(link, full_name=" ", agreed=True, ip="1.2.3.4", user_agent="", today=TODAY)
    assert exc.value.field == "full_name"
    with pytest.raises(PortalError) as exc:
        answers.accept(link, full_name="Hélène Dupont", agreed=False, ip="1.2.3.4", user_agent="", today=TODAY)
    assert exc.value.field == "agree"
    with pytest.raises(PortalError, match="plus valable"):
        answers.accept(link, full_name="Hélène Dupont", agreed=True, ip="1.2.3.4", user_agent="",
                      today=quote.validity_date + timedelta(days=1))
    assert quote.accepted_at is None and db.session.scalar(select(func.count(ClientResponse.id))) == 0


def test_refuse_then_accept_is_refused(ctx):
    company, user, client, quote = ctx
    link = portal.ensure_link(quote, user, secret=link_secret())
    assert answers.refuse(link, reason="Trop cher", ip="1.2.3.4", user_agent="ua", today=TODAY).changed
    assert quote.refused_at is not None and quote.refusal_reason == "Trop cher"
    assert not answers.refuse(link, reason="encore", ip="1.2.3.4", user_agent="ua", today=TODAY).changed
    with pytest.raises(PortalError, match="refusé"):
        answers.accept(link, full_name="Hélène Dupont", agreed=True, ip="1.2.3.4", user_agent="", today=TODAY)


def test_promise_pauses_the_plan_until_the_date(ctx):
    company, user, client, _ = ctx
    invoice = make_invoice(company, client, user)
    docs.issue(invoice, user, today=TODAY)
    link = portal.ensure_link(invoice, user, secret=link_secret())
    with pytest.raises(PortalError) as exc:
        answers.promise(link, full_name="Hélène Dupont", pay_on=TODAY + timedelta(days=61), ip="1.2.3.4",
                       user_agent="", today=TODAY)
    assert exc.value.field == "pay_on"
    with pytest.raises(PortalError):
        answers.promise(link, full_name="Hélène Dupont", pay_on=TODAY - timedelta(days=1), ip="1.2.3.4",
                       user_agent="", today=TODAY)
    out = answers.promise(link, full_name="Hélène Dupont", pay_on=date(2026, 12, 10), ip="1.2.3.4", user_agent="ua",
                         today=TODAY)
    assert out.changed and invoice.reminders_paused_until == date(2026, 12, 10)
    assert events_of(invoice, "client_promised") == 1 and events_of(invoice, "reminders_paused") == 1
    # a second promise while the first runs changes nothing
    again = answers.promise(link, full_name="Hélène Dupont", pay_on=date(2026, 12, 20), ip="1.2.3.4", user_agent="",
                           today=TODAY)
    assert not again.changed and invoice.reminders_paused_until == date(2026, 12, 10)
    # once the date has passed (and it is still unpaid), the client may give a new date
    later = date(2026, 12, 11)
    assert answers.promise(link, full_name="Hélène Dupont", pay_on=date(2026, 12, 24), ip="1.2.3.4", user_agent="",
                          today=later).changed
    assert invoice.reminders_paused_until == date(2026, 12, 24)


def test_concurrent_accepts_record_once(app, ctx):
    company, user, client, quote = ctx
    token = portal.ensure_link(quote, user, secret=link_secret()).token
    db.session.commit()
    quote_id = quote.id

    def accept(i):
        link = portal.resolve(token)
        return answers.accept(link, full_name=f"Client {i}", agreed=True, ip="1.2.3.4", user_agent="",
                              today=TODAY).changed

    results, errors = run_concurrently(app, list(range(6)), accept)
    db.session.rollback()  # end the snapshot taken before the threads ran
    # a loser may see the winner's row or fail on the unique index; never two acceptances
    assert results.count(True) == 1
    assert all(e.__class__.__name__ in ("IntegrityError", "StaleDataError") for e in errors)
    assert db.session.scalar(select(func.count(ClientResponse.id)).where(ClientResponse.document_id == quote_id)) == 1
    assert db.session.scalar(select(func.count(Event.id))
                             .where(Event.document_id == quote_id, Event.kind == "accepted")) == 1


# --- counters ---------------------------------------------------------------------------


def test_views_are_counted_exactly_under_concurrency(app, ctx):
    company, user, client, quote = ctx
    token = portal.ensure_link(quote, user, secret=link_secret()).token
    db.session.commit()
    quote_id = quote.id

    def view(_):
        tracking.record_view(portal.resolve(token))

    results, errors = run_concurrently(app, list(range(12)), view)
    assert errors == []
    db.session.rollback()  # end the snapshot taken before the threads ran
    row = db.session.get(DocumentTracking, quote_id)
    assert row.views == 12 and row.first_viewed_at is not None and row.opens == 0
    assert db.session.scalar(select(func.count(Event.id))
                             .where(Event.document_id == quote_id, Event.kind == "viewed")) == 1


def _send(company, doc, token="pixel-token-0123456789abcdef"):
    send = Send(company_id=company.id, document_id=doc.id, purpose="document", template_key="quote_send",
                recipients=["helene@example.fr"], status="sent", tracking_token=token)
    db.session.add(send)
    db.session.flush()
    return send


def test_opens_counted_only_for_real_tokens_of_tracking_companies(ctx):
    company, user, client, quote = ctx
    send = _send(company, quote)
    assert tracking.record_open("unknown-token-0000000000") is False
    assert tracking.record_open("") is False and tracking.record_open("x" * 500) is False
    assert tracking.record_open(send.tracking_token, now=NOW)
    assert tracking.record_open(send.tracking_token, now=NOW + timedelta(hours=2))
    row = db.session.get(DocumentTracking, quote.id)
    assert (row.opens, row.first_opened_at, row.last_opened_at) == (2, NOW, NOW + timedelta(hours=2))
    assert events_of(quote, "email_opened") == 1
    company.open_tracking_enabled = False
    assert tracking.record_open(send.tracking_token) is False
    db.session.refresh(row)
    assert row.opens == 2


def test_lifecycle_steps(ctx):
    company, user, client, quote = ctx
    lc = tracking.lifecycle(quote)
    assert [s.key for s in lc.steps] == ["created", "opened", "viewed", "accepted", "paid"]
    assert lc.step("created").detail == "par Jean Test" and lc.step("accepted").state == "todo"
    link = portal.ensure_link(quote, user, secret=link_secret())
    tracking.record_open(_send(company, quote).tracking_token, now=NOW)
    tracking.record_view(link, now=NOW + timedelta(minutes=5))
    tracking.record_view(link, now=NOW + timedelta(minutes=6))
    answers.accept(link, full_name="Hélène Dupont", agreed=True, ip="1.2.3.4", user_agent="", today=TODAY,
                  now=NOW + timedelta(minutes=7))
    lc = tracking.lifecycle(quote)
    assert (lc.step("opened").state, lc.step("opened").count, lc.step("opened").at) == ("done", 1, NOW)
    assert (lc.step("viewed").count, lc.step("viewed").at) == (2, NOW + timedelta(minutes=5))
    assert lc.step("accepted").state == "done" and "Hélène Dupont" in lc.step("accepted").detail
    assert lc.link.id == link.id and lc.response.kind == "accept"
    company.open_tracking_enabled = False
    assert tracking.lifecycle(quote).step("opened").state == "off"


def test_invoice_lifecycle_paid_step(ctx):
    from domain.billing import payments
    from domain.billing.payments import PaymentInput

    company, user, client, _ = ctx
    invoice = make_invoice(company, client, user)
    docs.issue(invoice, user, today=TODAY)
    assert tracking.lifecycle(invoice).step("paid").state == "todo"
    payments.record_payment(invoice, user, PaymentInput(invoice.net_cents, TODAY, "virement"), today=TODAY, now=NOW)
    step = tracking.lifecycle(invoice).step("paid")
    assert (step.state, step.at) == ("done", NOW)
    assert db.session.get(Document, invoice.id).paid_in_full_at == NOW


def test_the_database_alone_gives_no_working_link(ctx):
    """Issue 12, finding 9: the token is stored sealed with a key derived from SECRET_KEY (not
    in the database): what a backup holds opens nothing; the app unseals the same token."""
    _, user, _, quote = ctx
    link = portal.ensure_link(quote, user, now=NOW, secret=link_secret())
    token = link.token
    db.session.commit()
    stored = db.session.execute(select(DocumentLink.token_sealed, DocumentLink.token_sha256)).one()
    assert token not in stored and token not in "".join(stored)
    assert portal.resolve(stored.token_sealed, now=NOW) is None
    db.session.close()  # a new session: the row as read from the database, nothing kept in memory
    reloaded = db.session.scalar(select(DocumentLink))
    with pytest.raises(LookupError):
        _ = reloaded.token  # a link read from the database has no clear token until unsealed
    assert portal.unseal(reloaded, link_secret()) == token
    with pytest.raises(ValueError, match="SECRET_KEY"):
        portal.unseal(reloaded, b"another secret key")
