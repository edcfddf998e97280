"""Point 8: on a site with no network, the artisan opens the invoice, the quote, the client and
the PDF kept on the tablet; each copy says it is one and when it was saved, and nothing can be
written from it. The copies are refreshed when online, belong to the user who made them, and
go at logout. Playwright's offline mode cuts the network (service workers included)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from domain.billing import payments
from domain.billing import printing as document_files
from domain.billing.models import Document, PaymentMethod, StoredFile
from domain.billing.payments import PaymentInput
from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from tests.support.browser import login
from tests.support.builders import make_client, make_invoice, make_quote, make_user


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The app's service worker is what these tests are about: allowed here (blocked elsewhere)."""
    return {**browser_context_args, "service_workers": "allow"}


def _documents(app, company_id):
    today = today_in("Europe/Paris")
    with app.app_context():
        co = db.session.get(Company, company_id)
        client = make_client(co, name="Hélène Dupont")
        invoice = make_invoice(co, client)
        document_files.issue_with_pdf(invoice, None, today=today - timedelta(days=40))
        quote = make_quote(co, client, today=today, subject="Salle de bains")
        document_files.issue_with_pdf(quote, None, today=today)
        draft = make_invoice(co, client, today=today)
        db.session.commit()
        pdf = db.session.scalar(db.select(StoredFile).where(StoredFile.document_id == invoice.id)).data
        return {"invoice": invoice.id, "number": invoice.number, "quote": quote.id, "quote_number": quote.number,
                "client": client.id, "draft": draft.id, "pdf_sha256": hashlib.sha256(pdf).hexdigest()}


def _wait_for_copies(page, at_least: int) -> None:
    page.wait_for_function("(n) => Number(document.documentElement.getAttribute('data-offline-kept')) >= n",
                           arg=at_least, timeout=60_000)


_FETCH_PDF = """async (url) => {
    const start = performance.now();
    const response = await fetch(url);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const elapsed = performance.now() - start;
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const hex = Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
    return {status: response.status, type: response.headers.get('Content-Type'), sha256: hex, ms: elapsed};
}"""


def test_cached_documents_and_their_pdf_open_offline(page, context, live_server, app, company):
    docs = _documents(app, company)
    login(page, live_server)
    _wait_for_copies(page, 3)  # the invoice, the quote and their client (not the draft)

    # refreshed when online: a payment recorded meanwhile is in the copy after the next sync
    with app.app_context():
        invoice = db.session.get(Document, docs["invoice"])
        payments.record_payment(invoice, None, PaymentInput(5000, today_in("Europe/Paris"), PaymentMethod.CASH),
                                today=today_in("Europe/Paris"))
        db.session.commit()
    since = page.evaluate("() => Date.now()")
    context.set_offline(True)
    expect(page.locator("#offline-banner")).to_be_visible()
    context.set_offline(False)  # the network comes back: the tablet refreshes its copies
    expect(page.locator("#offline-banner")).to_be_hidden()
    page.wait_for_function("(t) => Number(document.documentElement.getAttribute('data-offline-synced')) >= t",
                           arg=since, timeout=60_000)

    context.set_offline(True)
    page.goto(f"{live_server}/invoices/{docs['invoice']}")
    expect(page.get_by_role("heading", name=re.compile(docs["number"]))).to_be_visible()
    copy = page.locator("#copy-banner")
    expect(copy).to_be_visible()
    expect(copy).to_contain_text(re.compile(r"Copie enregistrée le \d{2}/\d{2}/\d{4} à \d{2}:\d{2}"))
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#paid")).to_have_text("50,00\xa0€")
    # nothing is written from a copy: every form control is disabled
    expect(page.get_by_role("button", name="Enregistrer le paiement")).to_be_disabled()
    expect(page.locator("#next-action button").first).to_be_disabled()

    # its PDF, as issued, from the tablet
    pdf = page.evaluate(_FETCH_PDF, f"/invoices/{docs['invoice']}/pdf")
    assert pdf["status"] == 200 and pdf["type"] == "application/pdf" and pdf["sha256"] == docs["pdf_sha256"]

    page.goto(f"{live_server}/quotes/{docs['quote']}")
    expect(page.get_by_role("heading", name=re.compile(docs["quote_number"]))).to_be_visible()
    expect(page.locator("#copy-banner")).to_be_visible()
    page.goto(f"{live_server}/clients/{docs['client']}")
    expect(page.get_by_role("heading", name=re.compile("Hélène Dupont"))).to_be_visible()

    # a page that was not kept: said plainly, with the list of what was
    page.goto(f"{live_server}/invoices/{docs['draft']}")
    expect(page.get_by_role("heading", name="Hors connexion")).to_be_visible()
    saved = page.locator("#offline-saved-list")
    expect(saved).to_contain_text(f"Facture {docs['number']} · Hélène Dupont")
    expect(saved).to_contain_text(f"Devis {docs['quote_number']} · Hélène Dupont")

    # back online: the pages are the live ones again, and logging out takes the copies away
    context.set_offline(False)
    page.goto(f"{live_server}/invoices/{docs['invoice']}")
    expect(page.locator("#copy-banner")).to_be_hidden()
    page.get_by_role("button", name="Déconnexion").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.evaluate("() => caches.has('encaisse-docs')") is False


def test_another_user_on_the_same_tablet_never_sees_the_first_users_copies(page, context, live_server, app,
                                                                            company):
    docs = _documents(app, company)
    with app.app_context():
        other = Company(name="Électricité Durand", legal_form="EI", siret="55210055400013")
        db.session.add(other)
        db.session.flush()
        make_user(other, email="lea@durand.example.fr")
        db.session.commit()
    login(page, live_server)
    _wait_for_copies(page, 3)
    # the session ends without the logout button (expired, cookie removed): the next list
    # belongs to someone else, and the worker drops every copy before keeping theirs
    context.clear_cookies()
    login(page, live_server, email="lea@durand.example.fr")
    page.wait_for_function("() => document.documentElement.getAttribute('data-offline-kept') === '0'",
                           timeout=60_000)
    context.set_offline(True)
    page.goto(f"{live_server}/invoices/{docs['invoice']}")
    expect(page.get_by_role("heading", name="Hors connexion")).to_be_visible()
    expect(page.locator("#offline-saved-list li")).to_have_count(0)
