"""Statuses derived from stored facts and today's date, in SQL (for lists and filters) and
in Python (for one loaded document). Nothing stores a status, so nothing goes stale."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, literal_column

from domain.billing.models import INVOICE_KINDS, Document, Kind

# Invoice statuses
DRAFT = "brouillon"
TO_SEND = "a_envoyer"
SENT = "envoyee"
PARTIAL = "partiellement_payee"
PAID = "payee"
LATE = "en_retard"
CANCELLED = "annulee"
# Quote statuses
PENDING = "en_attente"
ACCEPTED = "accepte"
REFUSED = "refuse"
INVOICED = "facture"
EXPIRED = "expire"
# Credit notes
ISSUED = "emis"

LABELS = {
    DRAFT: "Brouillon", TO_SEND: "À envoyer", SENT: "Envoyée", PARTIAL: "Partiellement payée", PAID: "Payée",
    LATE: "En retard", CANCELLED: "Annulée", PENDING: "En attente", ACCEPTED: "Accepté", REFUSED: "Refusé",
    INVOICED: "Facturé", EXPIRED: "Expiré", ISSUED: "Émis",
}
BADGES = {
    DRAFT: "muted", TO_SEND: "warn", SENT: "info", PARTIAL: "info", PAID: "ok", LATE: "bad", CANCELLED: "muted",
    PENDING: "info", ACCEPTED: "ok", REFUSED: "muted", INVOICED: "ok", EXPIRED: "warn", ISSUED: "info",
}
INVOICE_STATUSES = (DRAFT, TO_SEND, SENT, PARTIAL, LATE, PAID, CANCELLED)
QUOTE_STATUSES = (DRAFT, PENDING, ACCEPTED, REFUSED, INVOICED, EXPIRED)
OPEN_INVOICE_STATUSES = (TO_SEND, SENT, PARTIAL, LATE)


def open_terms() -> list:
    """Issued with something left to pay (net − paid − credited > 0), as SQL terms spelled
    exactly like the partial index ix_documents_open (models.OPEN_SQL) so that SQLite uses it:
    a literal 0, never a bound parameter, which SQLite cannot match against the index."""
    d = Document
    return [d.issued_at.is_not(None), d.net_cents - d.paid_cents - d.credited_cents > literal_column("0")]


def invoice_status_expr(today: date):
    """SQL CASE giving an invoice's status (order of the branches is the rule)."""
    d = Document
    return case(
        (d.issued_at.is_(None), DRAFT),
        (and_(d.net_cents > 0, d.credited_cents >= d.net_cents), CANCELLED),
        (d.paid_cents + d.credited_cents >= d.net_cents, PAID),
        (d.due_date < today, LATE),
        (d.paid_cents > 0, PARTIAL),
        (d.sent_at.is_not(None), SENT),
        else_=TO_SEND,
    )


def quote_status_expr(today: date):
    """SQL CASE giving a quote's status."""
    d = Document
    return case(
        (d.issued_at.is_(None), DRAFT),
        (d.invoiced_at.is_not(None), INVOICED),
        (d.refused_at.is_not(None), REFUSED),
        (d.accepted_at.is_not(None), ACCEPTED),
        (d.validity_date < today, EXPIRED),
        else_=PENDING,
    )


def status_expr(today: date):
    """Status of any document kind."""
    d = Document
    return case(
        (d.kind == Kind.QUOTE, quote_status_expr(today)),
        (d.kind == Kind.CREDIT_NOTE, case((d.issued_at.is_(None), DRAFT), else_=ISSUED)),
        else_=invoice_status_expr(today),
    )


def status_of(doc: Document, today: date) -> str:
    """The same rules in Python, for one loaded document (tests check both agree)."""
    if doc.issued_at is None:
        return DRAFT
    if doc.kind == Kind.CREDIT_NOTE:
        return ISSUED
    if doc.kind == Kind.QUOTE:
        return _quote_status(doc, today)
    return _invoice_status(doc, today)


def _quote_status(doc: Document, today: date) -> str:
    """An issued quote: invoiced, else refused, else accepted, else expired past its validity
    date, else still pending (the first that applies, as in quote_status_expr)."""
    if doc.invoiced_at is not None:
        return INVOICED
    if doc.refused_at is not None:
        return REFUSED
    if doc.accepted_at is not None:
        return ACCEPTED
    if doc.validity_date is not None and doc.validity_date < today:
        return EXPIRED
    return PENDING


def _invoice_status(doc: Document, today: date) -> str:
    """An issued invoice: cancelled by credit notes, else paid, else late, else partly paid,
    else sent, else still to send (the first that applies, as in invoice_status_expr)."""
    assert doc.kind in INVOICE_KINDS
    if doc.net_cents > 0 and doc.credited_cents >= doc.net_cents:
        return CANCELLED
    if doc.paid_cents + doc.credited_cents >= doc.net_cents:
        return PAID
    if doc.due_date is not None and doc.due_date < today:
        return LATE
    if doc.paid_cents > 0:
        return PARTIAL
    if doc.sent_at is not None:
        return SENT
    return TO_SEND


def label(status: str) -> str:
    return LABELS.get(status, status)


def badge(status: str) -> str:
    return BADGES.get(status, "muted")
