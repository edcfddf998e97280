"""What a reminder attaches: the client's statement of account (or of what remains due), the
dated formal-notice letter (Code civil 1344), stored once sent, and the list of attachments."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import select

from domain.billing import documents as docs
from domain.billing.models import INVOICE_KINDS, PAYMENT_METHOD_LABELS, Document, Payment, PaymentMethod, StoredFile
from domain.billing.printing import buyer_party, client_slug, document_pdf, seller_party, spaced_iban
from domain.billing.terms import days_late
from domain.collections.penalties import invoice_penalties
from domain.core.models import Client
from extensions import db
from output import formatting
from output.mail import Attachment
from output.pdf import render_letter, render_statement
from output.views import LetterView, OpenInvoice, PaymentReceived, StatementView

LETTER_PURPOSE = "formal_notice_letter"


def open_invoice(invoice: Document, late: int) -> OpenInvoice:
    """An issued invoice still (partly) unpaid, as a statement or a letter lists it."""
    return OpenInvoice(number=invoice.issued_number, issue_date=invoice.issued_on, due_date=invoice.due_on,
                       ttc_cents=invoice.net_cents, paid_cents=invoice.paid_cents + invoice.credited_cents,
                       remaining_cents=invoice.remaining_cents, days_late=late)


def statement_view(client: Client, *, today: date, balance_only: bool = False) -> StatementView:
    """Relevé de compte: open invoices, payments received over the last 12 months, balance.

    `balance_only` (the statement a reminder attaches, "relevé du reste à payer"): the open
    invoices and only the payments received on them, whatever their date. The client sees what
    is still due and how each figure was reached, without a year of settled history: one page
    in most cases instead of two, which halves the render time of a one-tap reminder (WeasyPrint
    lays out every table row in Python: ~5 ms a row).
    """
    company = client.company
    snap = docs.snapshot_parties(company, client)
    open_docs = db.session.scalars(
        select(Document).where(Document.client_id == client.id, Document.company_id == company.id,
                               Document.kind.in_(INVOICE_KINDS), Document.issued_at.is_not(None),
                               Document.net_cents - Document.paid_cents - Document.credited_cents > 0)
        .order_by(Document.due_date, Document.id)
    ).all()
    since = today - timedelta(days=365)
    scope = Payment.document_id.in_([d.id for d in open_docs]) if balance_only else Payment.paid_on >= since
    pays = db.session.execute(
        select(Payment, Document.number).join(Document, Payment.document_id == Document.id)
        .where(Payment.client_id == client.id, Payment.company_id == company.id, Payment.cancelled_at.is_(None), scope)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    ).all()
    rows = tuple(open_invoice(d, days_late(d.due_on, today)) for d in open_docs)
    return StatementView(
        seller=seller_party(snap["seller"], company), buyer=buyer_party(snap["buyer"]), statement_date=today,
        rows=rows,
        payments=tuple(PaymentReceived(date=p.paid_on, method=PAYMENT_METHOD_LABELS[PaymentMethod(p.method)],
                                       reference=p.reference, amount_cents=p.amount_cents, invoice_number=number)
                       for p, number in pays),
        total_ttc_cents=sum(r.ttc_cents for r in rows), total_paid_cents=sum(r.paid_cents for r in rows),
        total_remaining_cents=sum(r.remaining_cents for r in rows),
        total_overdue_cents=sum(r.remaining_cents for r in rows if r.days_late > 0),
        period_text="sur ces factures" if balance_only else f"depuis le {formatting.format_date(since)}",
        title="Reste à payer" if balance_only else "Relevé de compte",
        iban=spaced_iban(company.iban) if company.iban else None, bic=company.bic or None,
        vat_charged=not company.is_vat_franchise,
    )


def statement_pdf(client: Client, *, today: date, balance_only: bool = False) -> tuple[str, bytes]:
    """(file name, bytes) of the client's statement of account today (see statement_view)."""
    slug = client_slug(client.name, client.is_business)
    prefix = "Reste-a-payer" if balance_only else "Releve"
    view = statement_view(client, today=today, balance_only=balance_only)
    return f"{prefix}-{today.isoformat()}-{slug}.pdf", render_statement(view)


def formal_notice_view(invoice: Document, *, today: date, signature_name: str) -> LetterView:
    """Mise en demeure (Code civil 1344): dated, the invoice and amount, a deadline, the consequences."""
    company, client = invoice.company, invoice.client
    snap = docs.snapshot_parties(company, client)
    deadline = today + timedelta(days=company.formal_notice_deadline_days)
    pen = invoice_penalties(invoice, today)
    due = formatting.format_date(invoice.due_on)
    paragraphs = [
        f"Malgré nos relances, la facture n° {invoice.number} du {formatting.format_date(invoice.issued_on)}, "
        f"arrivée à échéance le {due}, demeure impayée à ce jour ({pen.days_late} jours de retard).",
        f"Par la présente, nous vous mettons en demeure de nous régler la somme de "
        f"{formatting.format_money(invoice.remaining_cents)} au plus tard le {formatting.format_date(deadline)}.",
    ]
    if client.is_business:
        paragraphs.append(
            "Conformément à l'article L441-10 du Code de commerce, cette somme est majorée des pénalités de retard "
            f"({formatting.format_money(pen.interest_cents)} à ce jour) et de l'indemnité forfaitaire pour frais de "
            f"recouvrement de {formatting.format_money(pen.indemnity_cents)} (article D441-5)."
        )
    else:
        paragraphs.append("Conformément à l'article 1344-1 du Code civil, la présente mise en demeure fait courir "
                          "les intérêts au taux légal sur la somme due.")
    paragraphs.append("À défaut de règlement dans ce délai, nous engagerons sans autre avis une procédure de "
                      "recouvrement judiciaire (injonction de payer), dont les frais resteront à votre charge.")
    return LetterView(
        seller=seller_party(snap["seller"], company), buyer=buyer_party(snap["buyer"]),
        place=company.city or "", letter_date=today,
        subject=f"Mise en demeure de payer – facture n° {invoice.number}", paragraphs=tuple(paragraphs),
        invoices=(open_invoice(invoice, pen.days_late),),
        amount_due_cents=invoice.remaining_cents, deadline_date=deadline, signature_name=signature_name or company.name,
        vat_charged=not company.is_vat_franchise,
    )


def formal_notice_pdf(invoice: Document, *, today: date, signature_name: str = "") -> tuple[str, bytes]:
    """(file name, bytes) of the dated formal notice letter."""
    view = formal_notice_view(invoice, today=today, signature_name=signature_name)
    return f"Mise-en-demeure-{invoice.number}-{today.isoformat()}.pdf", render_letter(view)


def attachments_for(doc: Document, template_key: str, *, today: date, with_statement: bool = True,
                    signature_name: str = "") -> list[Attachment]:
    """The document's PDF, plus (reminders) the statement of what remains due and, for a formal
    notice, the letter."""
    name, data = document_pdf(doc, today=today)
    files = [Attachment(name, "application/pdf", data)]
    if template_key in ("soft", "firm", "formal_notice") and with_statement:
        name, data = statement_pdf(doc.client, today=today, balance_only=True)
        files.append(Attachment(name, "application/pdf", data))
    if template_key == "formal_notice":
        letter = _store_formal_notice(doc, today=today, signature_name=signature_name)
        files.append(Attachment(letter.filename, "application/pdf", letter.data))
    return files


def formal_notice_letter(doc: Document) -> StoredFile | None:
    """The stored formal notice letter of an invoice (to print for registered post)."""
    return db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc.id,
                                                      StoredFile.purpose == LETTER_PURPOSE))


def _store_formal_notice(doc: Document, *, today: date, signature_name: str) -> StoredFile:
    # Once the notice has gone (formal_notice_at set) its letter is frozen like an invoice;
    # until then a retry re-dates it to the day it is actually sent.
    stored = formal_notice_letter(doc)
    if stored is not None and doc.formal_notice_at is not None:
        return stored
    name, data = formal_notice_pdf(doc, today=today, signature_name=signature_name)
    if stored is None:
        stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=LETTER_PURPOSE)
        db.session.add(stored)
    stored.filename, stored.data, stored.size = name, data, len(data)
    stored.sha256 = hashlib.sha256(data).hexdigest()
    db.session.flush()
    return stored
