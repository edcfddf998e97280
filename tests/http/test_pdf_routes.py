"""PDF downloads: frozen bytes for issued documents, drafts watermarked, clear file names."""

import io

from pypdf import PdfReader
from sqlalchemy import select

from domain.billing import payments
from domain.billing.models import Document, StoredFile
from domain.billing.payments import PaymentInput
from domain.core.models import Company
from extensions import db
from tests.support.builders import make_client, make_invoice, make_quote


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _seed(app, company_id):
    with app.app_context():
        company = db.session.get(Company, company_id)
        client = make_client(company, name="Hélène Dupont")
        invoice = make_invoice(company, client, None)
        quote = make_quote(company, client, None)
        db.session.commit()
        return invoice.id, quote.id


def test_draft_pdf_is_watermarked_and_not_stored(app, logged_in, company):
    invoice_id, quote_id = _seed(app, company)
    r = logged_in.get(f"/invoices/{invoice_id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f'inline; filename="Facture-brouillon-{invoice_id}-Dupont.pdf"'
    assert r.headers["Cache-Control"] == "no-store"
    assert "BROUILLON" in pdf_text(r.data)
    with app.app_context():
        assert db.session.scalar(select(StoredFile.id)) is None
    q = logged_in.get(f"/quotes/{quote_id}/pdf?download=1")
    assert q.headers["Content-Disposition"].startswith("attachment; filename=\"Devis-brouillon-")
    assert "bon pour accord" in pdf_text(q.data).lower()


def test_issue_freezes_the_pdf_and_payments_never_change_it(app, logged_in, company):
    invoice_id, _ = _seed(app, company)
    assert logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "t1"}).status_code in (302, 303)
    first = logged_in.get(f"/invoices/{invoice_id}/pdf?download=1")
    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        assert first.headers["Content-Disposition"] == f'attachment; filename="Facture-{doc.number}-Dupont.pdf"'
        stored = db.session.scalar(select(StoredFile).where(StoredFile.document_id == invoice_id))
        assert stored.data == first.data and first.headers["ETag"] == f'"{stored.sha256}"'
        assert "BROUILLON" not in pdf_text(first.data) and doc.number in pdf_text(first.data)
        payments.record_payment(doc, None, PaymentInput(5000, doc.issue_date, "virement"), today=doc.issue_date)
        db.session.commit()
    again = logged_in.get(f"/invoices/{invoice_id}/pdf")
    assert again.data == first.data  # byte for byte, after a payment
    assert logged_in.get(f"/invoices/{invoice_id}/pdf",
                         headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_render_failure_leaves_document_unissued(app, logged_in, company, monkeypatch):
    from domain.billing import printing as document_files
    from output.pdf import PdfRenderError

    invoice_id, _ = _seed(app, company)

    def broken(view, **options):
        raise PdfRenderError("Le moteur PDF a échoué.")

    monkeypatch.setattr(document_files, "render_document", broken)
    r = logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "t1"})
    assert "Le PDF n'a pas pu être produit" in r.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        doc = db.session.get(Document, invoice_id)
        assert doc.number is None and doc.issued_at is None
        assert db.session.scalar(select(StoredFile.id)) is None
    monkeypatch.undo()
    logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "t2"})
    with app.app_context():
        assert db.session.get(Document, invoice_id).number.endswith("-0001")  # no gap


def test_statement_pdf(app, logged_in, company):
    invoice_id, _ = _seed(app, company)
    logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "t1"})
    with app.app_context():
        client_id = db.session.get(Document, invoice_id).client_id
    r = logged_in.get(f"/clients/{client_id}/statement.pdf")
    assert r.status_code == 200 and "Relevé de compte" in pdf_text(r.data)
