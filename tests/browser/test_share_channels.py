"""Defect 1: WhatsApp, SMS and Telegram are links that leave the app (a form redirecting to
https://wa.me/ is blocked by the CSP's form-action), recorded only when tapped; "Copier le
lien client" really copies (Clipboard API), and the history names channels in French."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.collections.models import Send
from domain.core.clock import today_in
from domain.core.models import Company, Contact
from extensions import db
from tests.support.browser import login
from tests.support.builders import count, make_client, make_invoice


def _overdue_invoice_for_client_without_email(app, company_id) -> tuple[int, str]:
    with app.app_context():
        company = db.session.get(Company, company_id)
        client = make_client(company, name="Marc Lefèvre", email="")
        client.contacts.append(Contact(company_id=company.id, name="Marc Lefèvre", phone="06 12 34 56 78",
                                       is_primary=True))
        doc = make_invoice(company, client)
        document_files.issue_with_pdf(doc, None, today=today_in("Europe/Paris") - timedelta(days=40))
        db.session.commit()
        return doc.id, doc.number


def test_whatsapp_and_sms_are_links_recorded_when_tapped(page, context, live_server, app, company):
    doc_id, number = _overdue_invoice_for_client_without_email(app, company)
    context.route("https://wa.me/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                  body="<title>WhatsApp</title>WhatsApp"))
    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")

    whatsapp = page.get_by_role("link", name=re.compile(r"WhatsApp 06 12 34 56 78"))
    expect(whatsapp).to_have_attribute("href", re.compile(r"^https://wa\.me/33612345678\?text=.+"))
    assert number in re.sub(r"%2D", "-", whatsapp.get_attribute("href"))
    sms = page.get_by_role("link", name=re.compile(r"SMS 06 12 34 56 78"))
    expect(sms).to_have_attribute("href", re.compile(r"^sms:0612345678\?&body=.+"))
    expect(page.get_by_role("link", name="Telegram")).to_have_attribute("href", re.compile(r"^https://t\.me/share/url\?"))
    with app.app_context():
        assert count(Send, Send.document_id == doc_id) == 0  # shown is not shared

    with page.expect_popup() as popup:
        whatsapp.click()
    expect(popup.value).to_have_url(re.compile(r"^https://wa\.me/33612345678\?text="))
    expect(page.locator("#doc-history")).to_contain_text("WhatsApp")
    expect(page.locator("#doc-sends")).to_contain_text("WhatsApp")
    with app.app_context():
        sends = db.session.scalars(db.select(Send).where(Send.document_id == doc_id)).all()
        assert [(s.channel, s.status) for s in sends] == [("whatsapp", "shared")]


def test_copy_client_link_really_copies(page, context, live_server, app, company):
    doc_id, _ = _overdue_invoice_for_client_without_email(app, company)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")
    page.locator("#collections-panel").get_by_role("button", name="Copier le lien client").click()
    expect(page.locator("#collections-panel")).to_contain_text("Lien copié")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert re.fullmatch(rf"{re.escape(live_server)}/c/[A-Za-z0-9_-]{{43}}", copied), copied
    # the history and the list of sends say it in French, never the internal tag "link"
    expect(page.locator("#doc-sends")).to_contain_text("Lien copié")
    assert not re.search(r"\blink\b", page.locator("#doc-sends").inner_text())
    assert not re.search(r"\blink\b", page.locator("#doc-history").inner_text())
