"""Builders for documents, used by domain, HTTP and browser tests."""

from __future__ import annotations

from datetime import date

from domain.billing import documents as docs
from domain.billing.documents import DraftInput, LineInput
from domain.billing.models import Document, Kind


def example_lines() -> list[LineInput]:
    """The issue's example quote: 10 % renovation work plus a 20 % diagnostic."""
    return [
        LineInput(label="Tableau électrique", quantity_milli=1000, unit="u", unit_price_cents=89000, vat_rate_bp=1000),
        LineInput(label="Prises 16 A", quantity_milli=12000, unit="u", unit_price_cents=3840, vat_rate_bp=1000),
        LineInput(label="Main d'oeuvre", quantity_milli=9500, unit="h", unit_price_cents=5200, vat_rate_bp=1000),
        LineInput(label="Diagnostic", quantity_milli=1000, unit="forfait", unit_price_cents=12000, vat_rate_bp=2000),
    ]


def make_quote(company, client, actor=None, *, lines=None, today=date(2026, 11, 23), **fields) -> Document:
    data = DraftInput(client_id=client.id, lines=lines or example_lines(), **fields)
    return docs.create_draft(company, actor, Kind.QUOTE, data, today=today)


def make_invoice(company, client, actor=None, *, lines=None, today=date(2026, 11, 23), **fields) -> Document:
    data = DraftInput(client_id=client.id, lines=lines or [LineInput(label="Dépannage fuite", quantity_milli=1000,
                                                                      unit_price_cents=15000, vat_rate_bp=1000)], **fields)
    return docs.create_draft(company, actor, Kind.INVOICE, data, today=today)


def issued(doc: Document, actor=None, today=date(2026, 11, 23)) -> Document:
    return docs.issue(doc, actor, today=today)


def accepted_quote(company, client, actor=None, today=date(2026, 11, 23), **kw) -> Document:
    quote = issued(make_quote(company, client, actor, today=today, **kw), actor, today)
    docs.accept_quote(quote, actor)
    return quote
