"""Builders for documents, used by domain, HTTP and browser tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
    lines = lines or [LineInput(label="Dépannage fuite", quantity_milli=1000, unit_price_cents=15000, vat_rate_bp=1000)]
    data = DraftInput(client_id=client.id, lines=lines, **fields)
    return docs.create_draft(company, actor, Kind.INVOICE, data, today=today)


def issued(doc: Document, actor=None, today=date(2026, 11, 23)) -> Document:
    return docs.issue(doc, actor, today=today)


def accepted_quote(company, client, actor=None, today=date(2026, 11, 23), **kw) -> Document:
    quote = issued(make_quote(company, client, actor, today=today, **kw), actor, today)
    docs.accept_quote(quote, actor)
    return quote


# --- bank statements ---------------------------------------------------------------------------

BANK_DATA = Path(__file__).resolve().parent / "data" / "bank"


def bank_sample(name: str) -> bytes:
    """The bytes of a sample statement of tests/data/bank (its README says what each exercises)."""
    return (BANK_DATA / name).read_bytes()


# The company of the sample statements in tests/data/bank (see its README): Plomberie Martin.
MARTIN_IBAN = "FR7630004000031234567890143"
# A La Banque Postale account (CCP 0123456X020), the account of the La Banque Postale samples.
POSTALE_IBAN = "FR6320041010050123456X02029"

# Its open invoices in March 2026: (number in the F-2026 series, client, amount, issue date).
MARTIN_INVOICES = (
    (41, "SCI Les Terrasses", "professionnel", 120000, date(2026, 2, 10)),
    (42, "Jean Dupont", "particulier", 125000, date(2026, 2, 20)),
    (44, "Élodie Garcia", "particulier", 90000, date(2026, 2, 15)),
    (45, "SCI Les Terrasses", "professionnel", 84000, date(2026, 2, 25)),
    (47, "Paul Lefèvre", "particulier", 48000, date(2026, 2, 15)),
    (50, "SARL Bâti Rénov", "professionnel", 84000, date(2026, 3, 1)),
)


def issued_with_number(company, client, value: int, amount_cents: int, issue_date: date, actor=None) -> Document:
    """A franchise-en-base invoice of `amount_cents` issued as F-{year}-{value:04d} (the series is
    moved to value − 1 first: the samples quote these numbers)."""
    from domain.billing.models import NumberSequence
    from extensions import db

    sequence = db.session.get(NumberSequence, (company.id, "F", issue_date.year))
    if sequence is None:
        sequence = NumberSequence(company_id=company.id, series="F", year=issue_date.year)
        db.session.add(sequence)
    sequence.last_value = value - 1
    db.session.flush()
    doc = make_invoice(company, client, actor, today=issue_date, vat_regime="franchise", lines=[
        LineInput(label="Travaux de plomberie", quantity_milli=1000, unit_price_cents=amount_cents, vat_rate_bp=0)])
    return issued(doc, actor, issue_date)


def plomberie_martin(company, *, iban: str = MARTIN_IBAN, invoices=MARTIN_INVOICES, actor=None) -> dict[str, int]:
    """Turn `company` into the sample statements' company (IBAN, franchise en base) with its open
    invoices; returns {number: invoice id}."""
    from tests.conftest import make_client

    company.iban, company.vat_regime, company.vat_number = iban, "franchise", ""
    clients: dict[str, object] = {}
    made = {}
    for value, name, kind, amount, issue_date in invoices:
        if name not in clients:
            clients[name] = make_client(company, name=name, kind=kind, email="",
                                        **({"siren": "732829320"} if kind == "professionnel" else {}))
        doc = issued_with_number(company, clients[name], value, amount, issue_date, actor)
        made[doc.number] = doc.id
    return made
