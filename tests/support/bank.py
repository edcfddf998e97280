"""Bank statements in tests: the sample files of tests/data/bank and the company they belong to."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.banking.matching import OpenItem
from domain.banking.references import rf_for_invoice
from domain.billing.documents import LineInput
from domain.billing.models import Document, NumberSequence
from extensions import db
from tests.support.builders import issued, make_client, make_invoice

BANK_DATA = Path(__file__).resolve().parents[1] / "data" / "bank"


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


def read(name: str) -> bytes:
    """The bytes of a sample statement."""
    return (BANK_DATA / name).read_bytes()


def open_item(invoice_id, number, client_id, client_name, remaining, issued, due, *, rf=True):
    """An open invoice as the matcher receives it."""
    return OpenItem(
        invoice_id=invoice_id,
        number=number,
        rf_reference=rf_for_invoice(number) if rf else None,
        client_id=client_id,
        client_name=client_name,
        remaining_cents=remaining,
        issue_date=date.fromisoformat(issued),
        due_date=date.fromisoformat(due),
    )
