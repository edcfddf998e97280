"""Defect 5, the smaller ones, as the artisan meets them on the tablet: a company name that
already holds its legal form printed twice; VAT words under the franchise en base (screens and
the statement PDF); the invoice list's "Plus récents" not in number order and its total
counting cancelled invoices; duplicate ids in Réglages (a tapped label jumped 1,250 px)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from playwright.sync_api import expect
from pypdf import PdfReader

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing import printing as document_files
from domain.billing.documents import LineInput
from domain.billing.models import PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core.clock import today_in
from domain.core.models import Company, User
from extensions import db
from tests.support.browser import login
from tests.support.builders import make_client, make_invoice

NNBSP = "\u202f"


def _pdf_text(page, url: str) -> str:
    response = page.request.get(url)
    assert response.ok, url
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def test_a_name_holding_its_legal_form_is_not_followed_by_it_again(page, live_server, app, company):
    with app.app_context():
        co = db.session.get(Company, company)
        co.name, co.legal_form, co.share_capital_cents = "Plomberie Martin SARL", "SARL", 750000
        doc = make_invoice(co, make_client(co))
        document_files.issue_with_pdf(doc, None, today=today_in("Europe/Paris"))
        db.session.commit()
        doc_id = doc.id
    login(page, live_server)
    text = _pdf_text(page, f"{live_server}/invoices/{doc_id}/pdf")
    assert "SARL SARL" not in text
    assert re.search(r"Plomberie Martin SARL\s+au capital de 7\s?500\s?€", text.replace(NNBSP, " ")), text[:600]


def test_franchise_en_base_shows_no_vat_words(page, live_server, app, company):
    today = today_in("Europe/Paris")
    with app.app_context():
        co = db.session.get(Company, company)
        co.vat_regime, co.vat_number = "franchise", ""
        client = make_client(co)
        doc = make_invoice(co, client, vat_regime="franchise",
                           lines=[LineInput(label="Pose de robinet", unit_price_cents=9000, vat_rate_bp=0)])
        document_files.issue_with_pdf(doc, None, today=today - timedelta(days=10))
        db.session.commit()
        doc_id, client_id = doc.id, client.id
    login(page, live_server)
    page.goto(f"{live_server}/invoices/{doc_id}")
    for where in ("#doc-lines", "#doc-totals", "#invoice-balance", "#next-action"):
        text = page.locator(where).inner_text()
        assert not re.search(r"\bTTC\b|\bTVA 0|\bHT\b", text), (where, text)
    expect(page.locator("#doc-lines th")).not_to_contain_text(["TVA"])
    expect(page.locator("#doc-totals")).to_contain_text("TVA non applicable")
    page.goto(f"{live_server}/invoices/")
    assert "TTC" not in page.locator("#list-summary").inner_text()
    statement = _pdf_text(page, f"{live_server}/clients/{client_id}/statement.pdf")
    assert "TTC" not in statement.upper()
    assert "0,00" not in statement.replace(NNBSP, " ").split("Déjà réglé")[-1][:20] or "Déjà réglé" not in statement
    assert "−0,00" not in statement and "-0,00" not in statement


def test_invoice_list_most_recent_is_in_number_order_and_totals_leave_out_cancelled(page, live_server, app, company):
    today = today_in("Europe/Paris")
    with app.app_context():
        co = db.session.get(Company, company)
        user = db.session.scalar(db.select(User).where(User.company_id == company))
        client = make_client(co)
        first_draft = make_invoice(co, client, user, today=today)  # created first...
        second_draft = make_invoice(co, client, user, today=today)
        docs.issue(second_draft, user, today=today)  # ...but issued second, the same day
        docs.issue(first_draft, user, today=today)
        cancelled = make_invoice(co, client, user, today=today)
        docs.issue(cancelled, user, today=today)
        note = docs.create_credit_note(cancelled, user, today=today, full=True, reason="Erreur de client")
        docs.issue(note, user, today=today)
        payments.record_payment(first_draft, user, PaymentInput(5000, today, PaymentMethod.CASH), today=today)
        db.session.commit()
        numbers = sorted([first_draft.number, second_draft.number, cancelled.number], reverse=True)
    login(page, live_server)
    page.goto(f"{live_server}/invoices/")
    shown = page.locator(".doc-row .row-main strong").all_inner_texts()
    assert shown == numbers, shown
    summary = page.locator("#list-summary")
    expect(summary).to_contain_text("3 documents")
    expect(summary).to_contain_text(f"total 330,00{chr(0xa0)}€")  # 2 × 165 €, the cancelled one left out


def test_settings_ids_are_unique_and_a_label_focuses_its_own_field(page, live_server, company):
    login(page, live_server)
    page.goto(f"{live_server}/settings/")
    duplicates = page.evaluate("""() => {
        const seen = {}, dup = [];
        document.querySelectorAll('[id]').forEach(el => { if (seen[el.id]) dup.push(el.id); seen[el.id] = true; });
        return dup;
    }""")
    assert duplicates == []
    page.locator("#company-form label[for=email]").click()
    expect(page.locator("#company-form #email")).to_be_focused()
    expect(page.locator("#company-form #email").first).to_be_in_viewport()
