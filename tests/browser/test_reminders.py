"""At tablet size: tap "Relancer" on an overdue invoice; the bar, the panel and the history update
without a page reload, and the e-mail reaches a real SMTP server.

Defect 2: a second tap right after R1 sent the firm reminder, and after a manual formal notice
the panel still announced the plan's R2. The next level now waits for the plan's gap unless
the artisan says "envoyer quand même", and R3 always goes through its letter."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.billing.documents import LineInput
from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from output.formatting import format_date
from tests.support.browser import login
from tests.support.builders import make_client, make_invoice


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


def test_tap_relancer_updates_history_without_reload_and_keeps_the_pace(page, live_server, app, company, smtp_server):
    today = today_in("Europe/Paris")
    with app.app_context():
        company_obj = db.session.get(Company, company)
        client = make_client(company_obj, name="Hélène Dupont", email="helene@example.fr")
        lines = [LineInput(label="Réparation chaudière", unit_price_cents=45000, vat_rate_bp=1000)]
        doc = make_invoice(company_obj, client, None, lines=lines)
        document_files.issue_with_pdf(doc, None, today=today - timedelta(days=50))
        db.session.commit()
        doc_id, number = doc.id, doc.number

    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")
    expect(page.locator("#reminder-level")).to_have_text("R0 · aucune relance")
    page.evaluate("() => { window.__noReload = true; }")
    bar = page.locator("#next-action")

    bar.get_by_role("button", name=re.compile("Relancer · R1")).click()
    expect(bar.locator("#next-action-message")).to_contain_text("E-mail envoyé à helene@example.fr")
    expect(page.locator("#reminder-level")).to_have_text("R1 · relance douce")
    expect(page.locator("#doc-history")).to_contain_text("Relance envoyée")
    assert page.evaluate("() => window.__noReload") is True  # same document: no reload

    # a second tap a moment later does not send the firm reminder: the plan's gap (8 days) first
    expect(bar.locator("#remind-button")).to_have_count(0)
    expect(bar.locator("#remind-wait")).to_contain_text(
        f"R2 · relance ferme possible à partir du {format_date(today + timedelta(days=8))}")
    bar.get_by_role("button", name="Relancer · R2 maintenant…").click()
    expect(bar.locator("#next-action-message")).to_contain_text("le plan laisse 8 jours")
    expect(bar.locator("#next-action-message")).to_contain_text("Rien n'est parti")
    assert len(smtp_server.sink.messages) == 1
    bar.get_by_role("button", name="Envoyer R2 quand même").click()
    expect(page.locator("#reminder-level")).to_have_text("R2 · relance ferme")
    assert [m["Subject"].split(" :")[0] for m in smtp_server.sink.messages] == ["Relance", "Deuxième relance"]
    assert number in smtp_server.sink.messages[0]["Subject"]

    # the formal notice always goes through its letter, read before confirming (here also early)
    bar.get_by_role("button", name="Relancer · R3 maintenant…").click()
    expect(page.locator("#collections-message")).to_contain_text("le plan laisse 15 jours")
    letter = page.locator("#letter-preview")
    expect(letter).to_contain_text(f"Mise en demeure de payer – facture n° {number}")
    expect(letter).to_be_in_viewport()
    assert len(smtp_server.sink.messages) == 2
    confirm = page.get_by_role("button", name="Confirmer et envoyer la mise en demeure")
    box = confirm.bounding_box()
    assert box["height"] >= 44
    confirm.click()
    expect(page.locator("#reminder-level")).to_have_text("R3 · mise en demeure")
    assert len(smtp_server.sink.messages) == 3
    # after a manual R3 the plan no longer announces R2
    expect(page.locator("#reminder-state")).to_contain_text("Terminé : la mise en demeure est partie")
    expect(page.locator("#reminder-state")).not_to_contain_text("Relance ferme")
    assert page.evaluate("() => window.__noReload") is True
