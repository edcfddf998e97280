"""The demo company issues only valid e-invoices: every invoice and credit note of the demo
is frozen at issue as a Factur-X whose XML passes the XSD, EN 16931 and BR-FR rules."""

from sqlalchemy import select

from domain import demo
from domain.billing import einvoicing, printing
from domain.billing.models import Document, Kind
from extensions import db
from tests.support.einvoice import assert_pdf_a3_facturx, assert_valid, attachment


def test_every_demo_invoice_is_a_valid_facturx(app, einvoice_checker):
    with app.app_context():
        company = demo.load_demo()
        db.session.commit()
        issued = db.session.scalars(select(Document).where(
            Document.company_id == company.id, Document.issued_at.is_not(None)).order_by(Document.id)).all()
        invoices = [doc for doc in issued if doc.kind != Kind.QUOTE]
        assert {doc.kind for doc in invoices} == {Kind.DEPOSIT, Kind.FINAL, Kind.INVOICE, Kind.CREDIT_NOTE}
        for doc in invoices:
            assert doc.einvoice_format == einvoicing.FORMAT_FACTURX, doc.number
            pdf = printing.stored_pdf(doc).data
            assert_pdf_a3_facturx(pdf)
            xml = attachment(pdf)
            assert xml == einvoicing.stored_xml(doc).data
            assert_valid(einvoice_checker, pdf, doc.number)
        quote = next(doc for doc in issued if doc.kind == Kind.QUOTE)
        _, pdf = printing.document_pdf(quote, today=quote.issue_date)
        assert b"factur-x.xml" not in pdf and quote.einvoice_format is None  # quotes stay plain PDFs
