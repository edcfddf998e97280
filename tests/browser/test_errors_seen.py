"""Defect 3: errors nobody saw. A refused form brings the user to its first error; a payment
tapped with the network cut says so next to the button, once, however many taps; the tablet
says it is offline before the tap; no exception name, internal tag or command line reaches
the artisan."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.billing.models import Payment
from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from tests.support.browser import PORTRAIT, login
from tests.support.builders import count, make_client, make_invoice


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture
def app_config(app_config):
    # An SMTP server that does not answer (the van's router rebooting).
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": _closed_port(), "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT": 3}


def _overdue_invoice(app, company_id) -> int:
    with app.app_context():
        company = db.session.get(Company, company_id)
        doc = make_invoice(company, make_client(company))
        document_files.issue_with_pdf(doc, None, today=today_in("Europe/Paris") - timedelta(days=45))
        db.session.commit()
        return doc.id


def test_a_refused_form_brings_the_user_to_its_first_error(page, live_server, company):
    page.set_viewport_size(PORTRAIT)
    login(page, live_server)
    page.goto(f"{live_server}/settings/")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 100")  # wrong check digits
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#field-iban .error")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_be_focused()
    expect(page.locator("#field-iban .error").first).to_be_in_viewport()


def test_a_payment_without_network_says_so_next_to_the_button_once(page, context, live_server, app, company):
    doc_id = _overdue_invoice(app, company)
    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    context.set_offline(True)
    expect(banner).to_be_visible()  # said before any tap
    expect(banner).to_contain_text("Hors connexion")
    page.locator(".pay-method", has_text="Espèces").click()
    pay = page.get_by_role("button", name="Enregistrer le paiement")
    for _ in range(3):
        pay.click()
    errors = page.locator("#payment-form .action-error")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Pas de réseau : « Enregistrer le paiement » n'a pas été fait")
    expect(page.locator("#payment-form .action-error").first).to_be_in_viewport()
    assert page.locator("#flashes .flash-error").count() == 0  # no banner 700 px above
    with app.app_context():
        assert count(Payment, Payment.document_id == doc_id) == 0

    context.set_offline(False)
    expect(banner).to_be_hidden()
    pay.click()
    expect(page.get_by_text(re.compile("Paiement .* enregistré"))).to_be_visible()
    with app.app_context():
        assert count(Payment, Payment.document_id == doc_id) == 1


def test_the_artisan_reads_french_not_exception_names_tags_or_commands(page, live_server, app, company):
    doc_id = _overdue_invoice(app, company)
    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")
    page.locator("#next-action").get_by_role("button", name=re.compile("Relancer · R1")).click()
    message = page.locator("#next-action-message")
    expect(message).to_contain_text("Le serveur d'e-mail est injoignable (le serveur refuse la connexion)")
    for where in ("#next-action", "#collections-panel", "#doc-history"):
        text = page.locator(where).inner_text()
        assert not re.search(r"[A-Z][a-z]+Error|\bemail\b|\blink\b|\bwhatsapp\b", text), (where, text)
    page.goto(f"{live_server}/reminders/")
    assert "flask --app" not in page.content() and "cron" not in page.locator("main").inner_text()
