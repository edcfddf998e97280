"""Issue 12, findings 7 and 8: Encaisse is no spam relay, and its e-mails say honestly who
sends them.

- recipients come from the client's contacts (plus the company) unless the artisan confirms
  a new address; a company's e-mails are capped per 24 hours;
- each e-mail goes out as "<the company's name>" with the configured sender address, Reply-To
  the company, a Message-ID on the sender's domain, a Date, and a DKIM signature when a key is
  configured (checked here with dkimpy's own verifier against the public key).
"""

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import dkim
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from domain.billing import printing
from domain.billing.documents import LineInput
from domain.billing.models import Document
from domain.collections.models import Send
from domain.core.clock import today_in
from domain.core.models import Company
from domain.core.orm import utcnow
from extensions import db
from tests.support.builders import make_client, make_invoice
from tests.support.pages import page_text
from tests.support.smtp import free_port

HX = {"HX-Request": "true"}


class RawSink:
    """Keeps the bytes as they arrived (a DKIM signature covers them exactly)."""

    def __init__(self):
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def raw_smtp():
    sink, port = RawSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


KEYS = Path(__file__).resolve().parents[1] / "data" / "mail"


@pytest.fixture
def dkim_key():
    """(PEM private key, the TXT record of its public key): a throwaway test pair."""
    return (KEYS / "dkim-test-private.pem").read_bytes(), (KEYS / "dkim-test-public.txt").read_bytes()


@pytest.fixture
def app_config(app_config, raw_smtp, dkim_key):
    _, port = raw_smtp
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Encaisse <factures@envoi.encaisse.test>", "MAIL_TIMEOUT": 5,
            "MAIL_DKIM_SELECTOR": "enc2026", "MAIL_DKIM_PRIVATE_KEY": dkim_key[0].decode(), "MAIL_DAILY_QUOTA": 3}


def _overdue(app, company_id, name="Hélène Dupont", email_address="helene@example.fr"):
    with app.app_context():
        company = db.session.get(Company, company_id)
        client = make_client(company, name=name, email=email_address)
        doc = make_invoice(company, client, None,
                           lines=[LineInput(label="Travaux", unit_price_cents=10000, vat_rate_bp=0)])
        printing.issue_with_pdf(doc, None, today=today_in(company.timezone) - timedelta(days=50))
        db.session.commit()
        return doc.id


def _tap(client, doc_id, token):
    return page_text(client.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": token},
                                 headers=HX))


def test_the_email_is_the_companys_signed_by_the_platform(app, logged_in, company, raw_smtp, dkim_key):
    sink, _ = raw_smtp
    doc_id = _overdue(app, company)
    assert "E-mail envoyé" in _tap(logged_in, doc_id, "t1")
    [raw] = sink.raw
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    with app.app_context():
        company_row = db.session.get(Company, company)
        name, company_email = company_row.name, company_row.email
    assert msg["From"].addresses[0].display_name == name
    assert msg["From"].addresses[0].addr_spec == "factures@envoi.encaisse.test"
    assert msg["Reply-To"].addresses[0].addr_spec == company_email
    assert msg["Message-ID"].endswith("@envoi.encaisse.test>") and msg["Date"]
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: (
        dkim_key[1] if name == b"enc2026._domainkey.envoi.encaisse.test." else None))
    # …and a changed message no longer verifies (the check can fail).
    assert not dkim.verify(raw.replace(b"Subject: ", b"Subject: FAUX "), dnsfunc=lambda name, timeout=5: dkim_key[1])


def test_an_address_outside_the_clients_contacts_needs_confirmation(app, logged_in, company, raw_smtp):
    sink, _ = raw_smtp
    doc_id = _overdue(app, company)
    data = {"token": "c1", "template_key": "soft", "recipients": ["helene@example.fr"],
            "extra_recipient": "inconnu@spam.example", "subject": "Relance", "body": "Bonjour"}
    page = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data=data, headers=HX))
    assert "inconnu@spam.example n'est pas une adresse de Hélène Dupont" in page and sink.raw == []
    with app.app_context():
        assert db.session.scalar(select(Send.id)) is None


def test_a_company_cannot_send_more_than_its_daily_quota(app, logged_in, company, raw_smtp):
    sink, _ = raw_smtp
    ids = [_overdue(app, company, name=f"Client {i}", email_address=f"c{i}@example.fr") for i in range(4)]
    pages = [_tap(logged_in, doc_id, f"q{i}") for i, doc_id in enumerate(ids)]
    assert all("E-mail envoyé" in p for p in pages[:3]) and len(sink.raw) == 3
    assert "Limite de 3 e-mails par 24 heures atteinte" in pages[3]
    with app.app_context():
        assert db.session.get(Document, ids[3]).reminder_level == 0  # nothing moved: it can go tomorrow


def test_nothing_leaves_for_clients_before_the_address_is_confirmed(app, logged_in, company, raw_smtp):
    """Issue 12, finding 7: a new account confirms its e-mail address before anything is sent
    to its clients (the check is domain.core.verification; sending enforces it)."""
    sink, _ = raw_smtp
    doc_id = _overdue(app, company)
    with app.app_context():
        db.session.get(Company, company).email_verified_at = None
        db.session.commit()
    page = _tap(logged_in, doc_id, "v1")
    assert "Confirmez d'abord l'adresse e-mail de votre compte" in page and sink.raw == []
    with app.app_context():
        assert db.session.get(Document, doc_id).reminder_level == 0
        db.session.get(Company, company).email_verified_at = utcnow()
        db.session.commit()
    assert "E-mail envoyé" in _tap(logged_in, doc_id, "v2") and len(sink.raw) == 1
