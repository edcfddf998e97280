"""At tablet size: tap "Relancer" on an overdue invoice; the panel and the history update
without a page reload, and the e-mail reaches a real SMTP server."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.billing.documents import LineInput
from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from tests.support.builders import make_client, make_invoice
from tests.support.config import TEST_PASSWORD


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


def test_tap_relancer_updates_history_without_reload(page, live_server, app, company, smtp_server):
    with app.app_context():
        company_obj = db.session.get(Company, company)
        client = make_client(company_obj, name="Hélène Dupont", email="helene@example.fr")
        doc = make_invoice(company_obj, client, None, lines=[LineInput(label="Réparation chaudière", unit_price_cents=45000, vat_rate_bp=1000)])
        document_files.issue_with_pdf(doc, None, today=today_in("Europe/Paris") - timedelta(days=50))
        db.session.commit()
        doc_id, number = doc.id, doc.number

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/invoices/{doc_id}")
    expect(page.locator("#reminder-level")).to_have_text("R0 · aucune relance")
    page.evaluate("() => { window.__noReload = true; }")

    page.get_by_role("button", name=re.compile("Relancer · R1")).click()
    expect(page.locator("#collections-message")).to_contain_text("E-mail envoyé à helene@example.fr")
    expect(page.locator("#reminder-level")).to_have_text("R1 · relance douce")
    expect(page.locator("#doc-history")).to_contain_text("Relance envoyée")
    assert page.evaluate("() => window.__noReload") is True  # same document: no reload

    # the next tap is the firm reminder
    page.get_by_role("button", name=re.compile("Relancer · R2")).click()
    expect(page.locator("#reminder-level")).to_have_text("R2 · relance ferme")
    assert [m["Subject"].split(" :")[0] for m in smtp_server.sink.messages] == ["Relance", "Deuxième relance"]
    assert number in smtp_server.sink.messages[0]["Subject"]
    box = page.get_by_role("button", name=re.compile("Relancer · R3")).bounding_box()
    assert box["height"] >= 44
