"""Every invoice gets an ISO 11649 RF reference at issue, frozen with its number: printed next to
the IBAN, carried by the EPC QR code and the Factur-X payment data; invoices issued before keep
their frozen PDF."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.billing import documents as docs
from domain.billing import printing
from domain.billing.models import Document, StoredFile
from domain.billing.payment_reference import format_rf, is_valid_rf, rf_for_invoice
from domain.core.models import Company
from extensions import db
from output.einvoice.cii import cii_xml
from tests.support.builders import accepted_quote, issued, make_client, make_invoice
from tests.support.pages import page_text

T = date(2026, 11, 23)
CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
       "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def invoice_id(app, company):
    with app.app_context():
        co = db.session.get(Company, company)
        doc = make_invoice(co, make_client(co))
        db.session.commit()
        return doc.id


def test_issue_gives_the_invoice_its_reference_printed_next_to_the_iban(app, logged_in, invoice_id):
    assert logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "issue-rf"}).status_code == 303
    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        number, reference = doc.number, doc.payment_reference
    assert reference == rf_for_invoice(number) and is_valid_rf(reference)
    pdf = logged_in.get(f"/invoices/{invoice_id}/pdf?download=1").data
    text = _text(pdf)
    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in text
    assert f"Référence à indiquer {format_rf(reference)}" in text
    # The invoice page says it too, for the artisan who reads it out on the phone.
    assert format_rf(reference) in page_text(logged_in.get(f"/invoices/{invoice_id}"))


def test_factur_x_payment_data_carries_the_reference_as_bt_83(app, invoice_id):
    with app.app_context():
        doc = issued(db.session.get(Document, invoice_id), None, T)
        view = printing.document_view(doc, today=T)
        root = etree.fromstring(cii_xml(view))
        found = root.findtext(".//ram:ApplicableHeaderTradeSettlement/ram:PaymentReference", namespaces=CII)
        assert view.payment_reference == doc.payment_reference
        assert found == rf_for_invoice(doc.number)


def test_only_issued_invoices_have_one_and_never_two_the_same(app, company):
    with app.app_context():
        co = db.session.get(Company, company)
        client = make_client(co)
        draft = make_invoice(co, client)
        quote = accepted_quote(co, client)
        invoice = issued(make_invoice(co, client), None, T)
        note = issued(docs.create_credit_note(invoice, None, today=T, full=True), None, T)
        db.session.flush()
        assert draft.payment_reference is None and printing.document_view(draft, today=T).payment_reference is None
        assert quote.payment_reference is None and note.payment_reference is None
        assert invoice.payment_reference == rf_for_invoice(invoice.number)
        # The database refuses a reference given twice within a company.
        other = issued(make_invoice(co, client), None, T)
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(update(Document).where(Document.id == other.id)
                               .values(payment_reference=invoice.payment_reference))


def test_an_invoice_issued_before_references_keeps_its_frozen_pdf(app, logged_in, invoice_id):
    """What an invoice issued before this change looks like: no reference stored, a PDF without
    one. Its bytes are served unchanged and its client page keeps the number as reference."""
    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        docs.issue(doc, None, today=T)  # issued without the PDF step, like old data
        doc.payment_reference = None
        stored = printing.freeze_pdf(doc)  # rendered as it was then: no reference
        before = hashlib.sha256(stored.data).hexdigest()
        number = doc.number
        db.session.commit()
    pdf = logged_in.get(f"/invoices/{invoice_id}/pdf?download=1")
    assert hashlib.sha256(pdf.data).hexdigest() == before
    assert "Référence à indiquer" not in _text(pdf.data)
    with app.app_context():
        stored = db.session.scalar(select(StoredFile).where(StoredFile.document_id == invoice_id))
        assert stored.sha256 == before
        view = printing.document_view(db.session.get(Document, invoice_id), today=T)
        assert view.payment_reference is None and view.number == number
