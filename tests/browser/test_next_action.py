"""Point 6: one obvious next action. Each document opens on what it is worth (or what is left to
pay), the action that fits its state and the PDF, in the first screen at both orientations;
the dashboard opens on "Aujourd'hui" and offers to create a quote, an invoice, or collect."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from domain.billing import documents as docs
from domain.billing import printing as document_files
from domain.collections import reminders
from domain.core.clock import today_in
from domain.core.models import Company, User
from extensions import db
from tests.support.browser import LANDSCAPE, PORTRAIT, login
from tests.support.builders import make_client, make_invoice, make_quote

PDF_LINK = re.compile(r"^Télécharger (le PDF|la facture \(PDF Factur-X\))$")


@pytest.fixture
def documents(app, company):
    today = today_in("Europe/Paris")
    with app.app_context():
        co = db.session.get(Company, company)
        user = db.session.scalar(db.select(User).where(User.company_id == company))
        client = make_client(co)
        overdue = make_invoice(co, client, user)
        document_files.issue_with_pdf(overdue, user, today=today - timedelta(days=45))
        sent = make_invoice(co, client, user)
        document_files.issue_with_pdf(sent, user, today=today)
        docs.mark_sent(sent, user, channel="manuel")
        draft = make_invoice(co, client, user, today=today)
        quote = make_quote(co, client, user, today=today)
        document_files.issue_with_pdf(quote, user, today=today)
        docs.mark_sent(quote, user, channel="manuel")
        reminders.add_task(co.id, user, client_id=client.id, due_on=today, note="Passer sur le chantier")
        db.session.commit()
        return {"overdue": overdue.id, "sent": sent.id, "draft": draft.id, "quote": quote.id}


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_each_document_opens_on_its_next_action(page, live_server, documents, viewport):
    page.set_viewport_size(viewport)
    login(page, live_server)
    expected = {
        f"/invoices/{documents['overdue']}": "Relancer · R1 · relance douce",
        f"/invoices/{documents['sent']}": "Enregistrer un paiement",
        f"/invoices/{documents['draft']}": "Émettre la facture",
        f"/quotes/{documents['quote']}": "Le client accepte",
    }
    for url, action in expected.items():
        page.goto(live_server + url)
        bar = page.locator("#next-action")
        primary = bar.locator(".btn-primary")
        expect(primary).to_have_count(1)
        expect(primary).to_have_text(action)
        expect(page.locator("#next-action .btn-primary").first).to_be_in_viewport()
        # (an issued invoice is a Factur-X: its PDF carries the XML and says so)
        expect(bar.get_by_role("link", name=PDF_LINK)).to_be_visible()
        # the bar comes first: before the facts and lines, in the reading and focus order
        assert page.evaluate("""() => {
            const bar = document.getElementById('next-action'), facts = document.getElementById('doc-facts');
            return !!(bar.compareDocumentPosition(facts) & Node.DOCUMENT_POSITION_FOLLOWING);
        }""")
    expect(page.locator(".btn-primary:visible")).to_have_count(1)  # one obvious action per screen

    page.goto(f"{live_server}/invoices/{documents['sent']}")
    page.locator("#next-action").get_by_role("link", name="Enregistrer un paiement").click()
    expect(page.get_by_label("Montant reçu")).to_be_focused()
    expect(page.locator("#amount").first).to_be_in_viewport()


def test_the_dashboard_starts_with_today_and_offers_to_create_or_collect(page, live_server, documents):
    login(page, live_server)
    expect(page.get_by_role("link", name="+ Nouveau devis")).to_be_visible()
    expect(page.get_by_role("link", name="+ Nouvelle facture")).to_be_visible()
    expect(page.get_by_role("link", name="Encaisser un paiement")).to_be_visible()
    first_card = page.locator("#dashboard-board > section").first
    expect(first_card).to_have_id("card-today")
    expect(first_card).to_contain_text("Passer sur le chantier")
    expect(first_card.locator("#to-send-count")).to_have_text("0")
    expect(page.locator("#card-today h2").first).to_be_in_viewport()
    page.get_by_role("link", name="Encaisser un paiement").click()
    expect(page.locator("#list-summary")).to_contain_text("2 documents")
