"""Quotes → deposit invoices → final invoice, standalone invoices, credit notes.

Every function here takes explicit arguments (company, actor, today, now), changes the
documents, writes the Event in the same transaction and only flushes: the route commits
once. Rules that cannot be met raise DocumentError with a French message (and `field`
when it belongs next to one form field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from domain.billing import categories, numbering, payment_reference, terms
from domain.billing.models import INVOICE_KINDS, SERIES, Document, DocumentLine, Kind, VatRegime
from domain.billing.money import (
    MAX_AMOUNT_CENTS,
    VAT_RATES_BP,
    MoneyError,
    Totals,
    VatLine,
    deposit_by_amount,
    deposit_by_percent,
    line_total_cents,
    vat_rate_label,
)
from domain.core import events
from domain.core.company import missing_for_documents
from domain.core.conditional import rows_changed
from domain.core.errors import UserError
from domain.core.models import Client, Company
from domain.core.orm import utcnow
from extensions import db
from output.formatting import format_money, format_percent_bp

MAX_LINES = 500  # a quote longer than this is a mistake (and would take seconds to render)
# Totals are stored in INTEGER columns (32-bit on PostgreSQL), like each amount.
MAX_DOCUMENT_CENTS = MAX_AMOUNT_CENTS
REDUCED_RATES_BP = (1000, 550)


class DocumentError(UserError):
    """A rule refused the change; str(e) is a French sentence."""


class FrozenDocumentError(DocumentError):
    """The document is issued: it can never be edited or deleted (CGI art. 242 nonies A)."""


FROZEN_MESSAGE = (
    "Ce document est émis : il ne peut plus être modifié ni supprimé (obligation légale de conservation "
    "à l'identique). Pour corriger une facture, créez un avoir ; pour un devis, dupliquez-le."
)
STALE_MESSAGE = (
    "Ce document a été modifié entre-temps (autre onglet ou autre utilisateur). "
    "Rechargez la page : vos changements n'ont pas été enregistrés."
)


# --- inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line as typed in a form (already parsed: cents, thousandths, basis points)."""

    label: str
    kind: str = "item"
    description: str = ""
    quantity_milli: int = 1000
    unit: str = "u"
    unit_price_cents: int = 0
    discount_bp: int = 0
    vat_rate_bp: int = 2000


@dataclass(frozen=True)
class DraftInput:
    """The editable content of a quote, invoice or credit-note draft."""

    client_id: int
    lines: list[LineInput] = field(default_factory=list)
    subject: str = ""
    site_name: str = ""
    site_address: str = ""
    notes: str = ""
    vat_regime: str = VatRegime.NORMAL
    validity_date: date | None = None
    service_date: date | None = None
    payment_terms_days: int | None = None
    requested_due_date: date | None = None
    # goods / services / mixed (domain.billing.categories); None: derived from the lines.
    operation_category: str | None = None


# --- totals ------------------------------------------------------------------------


def charges_vat(doc: Document) -> bool:
    """False under autoliquidation (the client self-assesses the VAT, CGI art. 283-2 nonies)."""
    return doc.vat_regime != VatRegime.AUTOLIQUIDATION


def breakdown_totals(breakdown: list, *, charge_vat: bool = True) -> Totals:
    """Totals from a stored [[rate, base, vat], ...] list."""
    return Totals.from_per_rate((VatLine(int(r), int(b), int(v)) for r, b, v in breakdown), charge_vat=charge_vat)


def totals_of(doc: Document) -> Totals:
    """The document's gross totals (its stored per-rate breakdown)."""
    return breakdown_totals(doc.vat_breakdown, charge_vat=charges_vat(doc))


def deductions_totals(doc: Document) -> Totals:
    """Sum of the deposits deducted on a final invoice."""
    total = Totals.empty(charge_vat=charges_vat(doc))
    for deduction in doc.deductions or []:
        total = total + breakdown_totals(deduction["breakdown"], charge_vat=charges_vat(doc))
    return total


def net_totals(doc: Document) -> Totals:
    """What the document itself charges, per rate (final: gross minus deposits)."""
    return totals_of(doc) - deductions_totals(doc)


def _store_totals(doc: Document, totals: Totals) -> None:
    if max(abs(totals.ht_cents), abs(totals.ttc_cents)) > MAX_DOCUMENT_CENTS:
        raise DocumentError(f"Le total du document dépasse {format_money(MAX_DOCUMENT_CENTS)} : vérifiez les quantités "
                            "et les prix unitaires.", field="lines")
    doc.vat_breakdown = [[v.rate_bp, v.base_cents, v.vat_cents] for v in totals.per_rate]
    doc.total_ht_cents = totals.ht_cents
    doc.total_vat_cents = totals.vat_cents
    doc.total_ttc_cents = totals.ttc_cents
    doc.net_cents = totals.ttc_cents - deductions_totals(doc).ttc_cents


def _totals_from_lines(doc: Document) -> Totals:
    items = [(line.vat_rate_bp, line.total_ht_cents) for line in doc.lines if not line.is_section]
    return Totals.from_lines(items, charge_vat=charges_vat(doc))


# --- validation --------------------------------------------------------------------


def _check_editable(doc: Document) -> None:
    if doc.is_issued:
        raise FrozenDocumentError(FROZEN_MESSAGE)


def _check_lines(lines: list[LineInput], regime: str) -> None:
    """At least one priced line, no more than MAX_LINES in all, then each line in order."""
    items = [line for line in lines if line.kind != "section"]
    if not items:
        raise DocumentError("Ajoutez au moins une ligne (prestation ou fourniture).", field="lines")
    if len(lines) > MAX_LINES:
        raise DocumentError(f"Un document est limité à {MAX_LINES} lignes.", field="lines")
    for line in lines:
        _check_line(line, regime)


def _check_line(line: LineInput, regime: str) -> None:
    """Every line needs a designation; a priced line (not a section title) also needs a positive
    quantity, a price that is not negative, a discount between 0 and 100 %, a known VAT rate
    (none under franchise) and a total a database integer can hold."""
    if not line.label.strip():
        raise DocumentError("Chaque ligne doit avoir une désignation.", field="lines")
    if line.kind == "section":
        return
    if line.quantity_milli <= 0:
        raise DocumentError("Les quantités doivent être positives.", field="lines")
    if line.unit_price_cents < 0:
        raise DocumentError("Les prix unitaires ne peuvent pas être négatifs : utilisez une remise.", field="lines")
    if not 0 <= line.discount_bp <= 10000:
        raise DocumentError("Une remise est comprise entre 0 et 100 %.", field="lines")
    if line.vat_rate_bp not in VAT_RATES_BP:
        raise DocumentError("Taux de TVA inconnu : 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.", field="lines")
    if regime == VatRegime.FRANCHISE and line.vat_rate_bp != 0:
        raise DocumentError("En franchise en base (art. 293 B du CGI), aucune ligne ne porte de TVA.", field="lines")
    # Quantity and price are each bounded, their product is not: 10^9 units at 10^9 € would
    # overflow a database integer.
    if line_total_cents(line.quantity_milli, line.unit_price_cents, line.discount_bp) > MAX_AMOUNT_CENTS:
        raise DocumentError(f"Le montant de la ligne « {line.label.strip()[:60]} » est trop élevé : "
                            "vérifiez la quantité et le prix unitaire.", field="lines")


def _check_regime(company: Company, client: Client, regime: str) -> None:
    if regime not in tuple(VatRegime):
        raise DocumentError("Régime de TVA inconnu.", field="vat_regime")
    if company.is_vat_franchise and regime != VatRegime.FRANCHISE:
        raise DocumentError("Votre entreprise est en franchise en base : la TVA n'est pas applicable.",
                            field="vat_regime")
    if not company.is_vat_franchise and regime == VatRegime.FRANCHISE:
        raise DocumentError("La franchise en base se règle dans vos réglages d'entreprise.", field="vat_regime")
    if regime == VatRegime.AUTOLIQUIDATION:
        # CGI art. 283-2 nonies and 242 nonies A: both VAT numbers must appear.
        if not client.is_business:
            raise DocumentError("L'autoliquidation ne concerne que la sous-traitance "
                                "pour un professionnel du bâtiment.", field="vat_regime")
        if not client.vat_number:
            raise DocumentError("Autoliquidation : renseignez d'abord le numéro de TVA intracommunautaire du client "
                                "(entrepreneur principal).", field="vat_regime")


def default_regime(company: Company) -> str:
    """The regime a new document starts with."""
    return VatRegime.FRANCHISE if company.is_vat_franchise else VatRegime.NORMAL


def _client_of(company: Company, client_id: int) -> Client:
    client = db.session.scalar(select(Client).where(Client.id == client_id, Client.company_id == company.id))
    if client is None:
        raise DocumentError("Choisissez un client.", field="client_id")
    return client


# --- drafts ------------------------------------------------------------------------


def _apply_lines(doc: Document, lines: list[LineInput]) -> None:
    doc.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines):
        is_section = line.kind == "section"
        doc.lines.append(DocumentLine(
            position=position, kind="section" if is_section else "item", label=line.label.strip()[:300],
            description=line.description.strip(), quantity_milli=0 if is_section else line.quantity_milli,
            unit=(line.unit or "u").strip()[:20], unit_price_cents=0 if is_section else line.unit_price_cents,
            discount_bp=0 if is_section else line.discount_bp, vat_rate_bp=0 if is_section else line.vat_rate_bp,
            total_ht_cents=(0 if is_section
                            else line_total_cents(line.quantity_milli, line.unit_price_cents, line.discount_bp)),
        ))


def _apply_draft(doc: Document, company: Company, data: DraftInput, *, with_lines: bool = True) -> None:
    client = _client_of(company, data.client_id)
    _check_regime(company, client, data.vat_regime)
    if with_lines:
        _check_lines(data.lines, data.vat_regime)
    if data.payment_terms_days is not None and not 0 <= data.payment_terms_days <= 365:
        raise DocumentError("Le délai de paiement est compris entre 0 et 365 jours.", field="payment_terms_days")
    try:
        category = categories.check(data.operation_category)
    except ValueError:
        raise DocumentError("Choisissez la catégorie de l'opération : livraison de biens, prestation de services "
                            "ou les deux.", field="operation_category") from None
    doc.client_id = client.id
    doc.client = client
    doc.subject = data.subject.strip()[:200]
    doc.site_name = data.site_name.strip()[:200]
    doc.site_address = data.site_address.strip()
    doc.notes = data.notes.strip()
    doc.vat_regime = data.vat_regime
    doc.validity_date = data.validity_date
    doc.service_date = data.service_date
    doc.payment_terms_days = data.payment_terms_days
    doc.requested_due_date = data.requested_due_date
    doc.operation_category = category
    if with_lines:
        _apply_lines(doc, data.lines)
        _store_totals(doc, _totals_from_lines(doc))
    doc.reduced_rate_attestation = any(
        v[0] in REDUCED_RATES_BP for v in doc.vat_breakdown
    ) and doc.vat_regime == VatRegime.NORMAL
    _check_final_not_negative(doc)


def _check_final_not_negative(doc: Document) -> None:
    if doc.kind != Kind.FINAL:
        return
    for line in net_totals(doc).per_rate:
        if line.base_cents < 0 or line.vat_cents < 0:
            raise DocumentError(
                f"Au taux de {vat_rate_label(line.rate_bp)}, les acomptes déjà facturés dépassent "
                "les lignes de la facture de solde.",
                field="lines",
            )


def create_draft(company: Company, actor, kind: Kind, data: DraftInput, *, today: date) -> Document:
    """Create a quote or a standalone invoice draft (no number yet)."""
    if kind not in (Kind.QUOTE, Kind.INVOICE):
        raise ValueError(kind)
    doc = Document(company_id=company.id, kind=kind, created_by_id=getattr(actor, "id", None))
    if kind == Kind.QUOTE and data.validity_date is None:
        data = _replace(data, validity_date=today + timedelta(days=company.quote_validity_days))
    _apply_draft(doc, company, data)
    db.session.add(doc)
    db.session.flush()
    events.record(company.id, "created", document=doc, actor=actor, amount_cents=doc.total_ttc_cents)
    return doc


def _replace(data: DraftInput, **changes) -> DraftInput:
    from dataclasses import replace

    return replace(data, **changes)


def update_draft(doc: Document, company: Company, actor, data: DraftInput, *, expected_version: int | None) -> Document:
    """Save a draft's new content. Refused once issued, or if the form is stale."""
    _check_editable(doc)
    if expected_version is not None and expected_version != doc.version:
        raise DocumentError(STALE_MESSAGE)
    before = doc.total_ttc_cents
    # A deposit or a full credit note is a share of another document: to change its amount,
    # delete the draft and create it again; its dates, terms and notes stay editable.
    _apply_draft(doc, company, data, with_lines=doc.breakdown_from_lines)
    if doc.kind == Kind.CREDIT_NOTE:
        _check_credit_amount(doc.credited, doc.total_ttc_cents)
    try:
        db.session.flush()
    except StaleDataError:
        raise DocumentError(STALE_MESSAGE) from None
    events.record(company.id, "edited", document=doc, actor=actor, amount_cents=doc.total_ttc_cents,
                  previous_ttc_cents=before)
    return doc


def delete_draft(doc: Document, actor) -> None:
    """Delete a draft (it has no number, so no gap). Issued documents are never deleted."""
    _check_editable(doc)
    if doc.quote_id:
        events.record(doc.company_id, "draft_deleted", document=doc.quote, actor=actor,
                      amount_cents=doc.total_ttc_cents, deleted_kind=doc.kind)
    db.session.delete(doc)
    db.session.flush()


def duplicate(doc: Document, actor, *, today: date) -> Document:
    """Copy a quote or standalone invoice into a new draft (the way to "edit" an issued quote)."""
    if doc.kind not in (Kind.QUOTE, Kind.INVOICE):
        raise DocumentError("Seuls les devis et les factures simples se dupliquent.")
    company = doc.company
    data = DraftInput(
        client_id=doc.client_id, subject=doc.subject, site_name=doc.site_name, site_address=doc.site_address,
        notes=doc.notes,
        vat_regime=(doc.vat_regime if doc.vat_regime != VatRegime.FRANCHISE or company.is_vat_franchise
                    else default_regime(company)),
        payment_terms_days=doc.payment_terms_days,
        lines=[LineInput(label=line.label, kind=line.kind, description=line.description,
                         quantity_milli=line.quantity_milli or 1000, unit=line.unit,
                         unit_price_cents=line.unit_price_cents, discount_bp=line.discount_bp,
                         vat_rate_bp=line.vat_rate_bp) for line in doc.lines],
    )
    if company.is_vat_franchise != (doc.vat_regime == VatRegime.FRANCHISE):
        # The company changed regime since: rates must follow it.
        data = _replace(data, vat_regime=default_regime(company), lines=[
            _replace_line(line, vat_rate_bp=0 if company.is_vat_franchise else 2000) for line in data.lines])
    copy = create_draft(company, actor, Kind(doc.kind), data, today=today)
    events.record(company.id, "duplicated", document=doc, actor=actor, copy_id=copy.id)
    events.record(company.id, "created", document=copy, actor=actor, duplicated_from=doc.display_number)
    return copy


def _replace_line(line: LineInput, **changes) -> LineInput:
    from dataclasses import replace

    return replace(line, **changes)


# --- issuing -----------------------------------------------------------------------


def customer_terms_days(doc: Document, company: Company) -> int:
    """Payment terms: the draft's, else the client's, else the company's."""
    for value in (doc.payment_terms_days, doc.client.payment_terms_days, company.payment_terms_days):
        if value is not None:
            return value
    return 30


def snapshot_parties(company: Company, client: Client) -> dict:
    """Seller and buyer identity as they are printed at issue."""
    return {
        "seller": {
            "name": company.name, "trade_name": company.trade_name, "legal_form": company.legal_form,
            "share_capital_cents": company.share_capital_cents, "siret": company.siret, "siren": company.siren,
            "rcs_rm": company.rcs_rm, "vat_number": "" if company.is_vat_franchise else company.vat_number,
            "vat_on_debits": company.vat_on_debits, "address_lines": list(company.address_lines),
            "country": company.country,
            "email": company.email, "phone": company.phone, "iban": company.iban, "bic": company.bic,
            "insurer_name": company.insurer_name, "insurer_address": company.insurer_address,
            "insurance_policy": company.insurance_policy, "insurance_coverage_area": company.insurance_coverage_area,
            "late_penalty_rate_bp": company.late_penalty_rate_bp,
            "early_payment_discount": company.early_payment_discount,
        },
        "buyer": {
            "name": client.name, "kind": client.kind, "is_business": client.is_business, "siren": client.siren,
            "siret": client.siret, "vat_number": client.vat_number, "address_lines": list(client.address_lines),
            "site_address_lines": list(client.site_address_lines), "country": client.country,
            # The e-invoice's buyer electronic address when there is no SIREN to route by
            # (a consumer: BT-49 with scheme EM, rule BR-FR-12).
            "email": next(iter(client.emails), ""),
        },
    }


def issue(doc: Document, actor, *, today: date, now: datetime | None = None, after_number=None,
          confirm_over_quote: bool = False) -> Document:
    """Issue a draft: check it, assign the next number of its series, freeze it.

    `after_number(doc)` runs once the number and dates are set, inside the same
    transaction (the PDF is rendered and stored there): if it raises, the caller rolls
    back and the document stays an unnumbered draft, with no gap in the series.
    A second "Émettre" on an issued document (double tap) changes nothing.
    """
    now = now or utcnow()
    company = doc.company
    if doc.is_issued:
        return doc
    client = doc.client
    _check_issuable(doc, company, client, confirm_over_quote=confirm_over_quote)
    if not _claim_draft(doc, now):
        return doc

    doc.issue_date = today
    doc.issued_by_id = getattr(actor, "id", None)
    _set_validity_or_due_date(doc, company, client, today)
    _freeze_parties_and_number(doc, company, client, today)
    _record_issue(doc, actor, company, now)
    if after_number is not None:
        after_number(doc)
    db.session.flush()
    return doc


def _check_issuable(doc: Document, company: Company, client: Client, *, confirm_over_quote: bool) -> None:
    """Everything a draft must satisfy before it gets a number: the seller's settings, the VAT
    regime, the lines, a positive amount, then what is particular to a final invoice (its deposits
    issued, its total against the quote unless confirmed) or a credit note (its amount)."""
    missing = missing_for_documents(company)
    if missing:
        # The seller's identity is a mandatory mention on quotes and invoices alike.
        raise DocumentError("Complétez d'abord vos réglages : il manque " + ", ".join(missing) + ".")
    _check_regime(company, client, doc.vat_regime)
    if doc.kind in (Kind.QUOTE, Kind.INVOICE, Kind.FINAL):
        _check_lines([LineInput(label=line.label, kind=line.kind, quantity_milli=line.quantity_milli or 1000,
                                unit_price_cents=line.unit_price_cents, discount_bp=line.discount_bp,
                                vat_rate_bp=line.vat_rate_bp) for line in doc.lines], doc.vat_regime)
    if doc.kind != Kind.FINAL and doc.total_ttc_cents <= 0 and doc.total_ht_cents <= 0:
        raise DocumentError("Le montant du document doit être positif.")
    if doc.kind == Kind.FINAL:
        _check_final_deposits_issued(doc)
        if not confirm_over_quote:
            _check_final_against_quote(doc)
    if doc.kind == Kind.CREDIT_NOTE:
        _check_credit_amount(doc.credited, doc.total_ttc_cents)


def _claim_draft(doc: Document, now: datetime) -> bool:
    """Mark the draft issued in the database; only one of two concurrent "Émettre" gets True.

    The document is refreshed either way, so the loser sees the winner's issue."""
    claimed = rows_changed(
        update(Document).where(Document.id == doc.id, Document.issued_at.is_(None))
        .values(issued_at=now, version=Document.version + 1)
    )
    db.session.refresh(doc)
    return bool(claimed)


def _set_validity_or_due_date(doc: Document, company: Company, client: Client, today: date) -> None:
    """A quote gets its validity date (the company's default if none was typed), which must not
    be past; an invoice gets its due date, within the legal limits."""
    if doc.kind == Kind.QUOTE:
        if doc.validity_date is None:
            doc.validity_date = today + timedelta(days=company.quote_validity_days)
        if doc.validity_date < today:
            raise DocumentError("La date de validité du devis est déjà passée.", field="validity_date")
    elif doc.kind in INVOICE_KINDS:
        due = doc.requested_due_date or terms.due_date_from_terms(today, customer_terms_days(doc, company))
        try:
            # Code de commerce L441-10: never before issue; between businesses, capped.
            terms.check_due_date(today, due, professional=client.is_business)
        except terms.LegalError as exc:
            raise DocumentError(str(exc), field="requested_due_date") from None
        doc.due_date = due


def _freeze_parties_and_number(doc: Document, company: Company, client: Client, today: date) -> None:
    """Freeze what the document will always say: both parties as they are today, the category,
    the next number of its series and, for an invoice, the payment reference built on it."""
    doc.snapshot = snapshot_parties(company, client)
    # The category printed (and sent in the e-invoice) is frozen with the rest: a later
    # catalogue change must not change what an issued document says.
    doc.operation_category = categories.of_document(doc)
    doc.number = numbering.next_number(company.id, SERIES[Kind(doc.kind)], today.year)
    if doc.is_invoice:
        doc.payment_reference = payment_reference.reference_for_number(doc.number)
    db.session.flush()


def _record_issue(doc: Document, actor, company: Company, now: datetime) -> None:
    """What issuing changes elsewhere (the credited invoice, the invoiced quote, an invoice with
    nothing left to pay), then the "issued" event."""
    if doc.kind == Kind.CREDIT_NOTE:
        _apply_credit(doc, actor, now)
    if doc.kind == Kind.FINAL and doc.quote is not None:
        doc.quote.invoiced_at = now
        events.record(company.id, "invoiced", document=doc.quote, actor=actor, at=now, invoice_number=doc.number)
    if doc.is_invoice and doc.net_cents <= 0:
        doc.paid_in_full_at = now  # e.g. a final invoice fully covered by its deposits
    events.record(company.id, "issued", document=doc, actor=actor, at=now, number=doc.number,
                  amount_cents=doc.net_cents if doc.is_invoice else doc.total_ttc_cents)


# --- quotes: accept, refuse, sent ---------------------------------------------------


def mark_sent(doc: Document, actor, *, now: datetime | None = None, channel: str = "") -> None:
    """Record that the document reached the client (by hand, post, e-mail…)."""
    if not doc.is_issued:
        raise DocumentError("Émettez d'abord le document : un brouillon ne s'envoie pas.")
    now = now or utcnow()
    first = doc.sent_at is None
    if first:
        doc.sent_at = now
    events.record(doc.company_id, "marked_sent", document=doc, actor=actor, at=now, channel=channel, first=first)


def _first_answer(doc: Document, *, accepting: bool) -> bool:
    """A quote gets one answer: the same one again changes nothing (False), the other one is refused."""
    same, other = (doc.accepted_at, doc.refused_at) if accepting else (doc.refused_at, doc.accepted_at)
    if same is not None:
        return False
    if other is not None:
        raise DocumentError("Ce devis a été refusé : dupliquez-le pour en proposer un nouveau." if accepting
                            else "Ce devis est déjà accepté.")
    return True


def accept_quote(doc: Document, actor, *, now: datetime | None = None, actor_label: str = "", **details) -> bool:
    """Mark a quote accepted ("bon pour accord"); accepting twice is harmless. True if it changed."""
    if doc.kind != Kind.QUOTE:
        raise DocumentError("Seul un devis peut être accepté.")
    if not doc.is_issued:
        raise DocumentError("Émettez le devis avant de le marquer accepté.")
    if not _first_answer(doc, accepting=True):
        return False
    now = now or utcnow()
    doc.accepted_at = now
    events.record(doc.company_id, "accepted", document=doc, actor=actor, actor_label=actor_label, at=now,
                  amount_cents=doc.total_ttc_cents, **details)
    return True


def refuse_quote(doc: Document, actor, *, reason: str = "", now: datetime | None = None, actor_label: str = "") -> bool:
    """Mark a quote refused (with an optional reason). True if it changed."""
    if doc.kind != Kind.QUOTE or not doc.is_issued:
        raise DocumentError("Seul un devis émis peut être refusé.")
    if not _first_answer(doc, accepting=False):
        return False
    now = now or utcnow()
    doc.refused_at = now
    doc.refusal_reason = reason.strip()[:2000]
    events.record(doc.company_id, "refused", document=doc, actor=actor, actor_label=actor_label, at=now,
                  reason=doc.refusal_reason)
    return True


# --- deposits and final invoice -----------------------------------------------------


def deposits_of(quote: Document, *, include_drafts: bool = True) -> list[Document]:
    """Deposit invoices on a quote, oldest first (cancelled ones excluded)."""
    stmt = select(Document).where(Document.quote_id == quote.id, Document.kind == Kind.DEPOSIT)
    if not include_drafts:
        stmt = stmt.where(Document.issued_at.is_not(None))
    docs = db.session.scalars(stmt.order_by(Document.id)).all()
    return [d for d in docs if not (d.is_issued and d.net_cents > 0 and d.credited_cents >= d.net_cents)]


def finals_of(quote: Document) -> list[Document]:
    """Final invoices on a quote that still count (not fully credited)."""
    docs = db.session.scalars(select(Document).where(Document.quote_id == quote.id, Document.kind == Kind.FINAL)).all()
    return [d for d in docs if not (d.is_issued and d.net_cents > 0 and d.credited_cents >= d.net_cents)]


def _check_can_bill(quote: Document) -> None:
    if quote.kind != Kind.QUOTE or not quote.is_issued:
        raise DocumentError("Il faut un devis émis.")
    if quote.accepted_at is None:
        raise DocumentError("Le devis doit d'abord être accepté par le client.")
    if finals_of(quote):
        raise DocumentError("Ce devis a déjà sa facture de solde.")


def _credited_share(doc: Document) -> Totals:
    """What the issued credit notes took off an invoice, per rate."""
    notes = db.session.scalars(select(Document).where(
        Document.credited_id == doc.id, Document.kind == Kind.CREDIT_NOTE, Document.issued_at.is_not(None))).all()
    total = Totals.empty(charge_vat=charges_vat(doc))
    for note in notes:
        total = total + totals_of(note)
    return total


def _made_from(source: Document, doc: Document, actor, event: str, amount_cents: int, *, link: str) -> Document:
    """Save a document made from another (a deposit or final invoice from a quote, a credit note
    from an invoice); both histories say so, the source's with the new one's id under `link`."""
    db.session.add(doc)
    db.session.flush()
    events.record(source.company_id, "created", document=doc, actor=actor, amount_cents=amount_cents)
    details: dict[str, Any] = {link: doc.id}
    events.record(source.company_id, event, document=source, actor=actor, amount_cents=amount_cents, **details)
    return doc


def create_deposit(quote: Document, actor, *, today: date, percent_bp: int | None = None,
                   amount_cents: int | None = None) -> Document:
    """A deposit invoice draft on an accepted quote, by percentage or amount TTC.

    CGI art. 289 / 269-2-c: VAT is due on deposits, so the deposit is split over the
    quote's VAT rates (domain.money explains the rounding); together, deposits never
    exceed the quote.
    """
    _check_can_bill(quote)
    if (percent_bp is None) == (amount_cents is None):
        raise DocumentError("Indiquez un pourcentage ou un montant.", field="amount")
    quote_totals = totals_of(quote)
    already = Totals.empty(charge_vat=charges_vat(quote))
    for deposit in deposits_of(quote):
        already = already + net_totals(deposit) - _credited_share(deposit)
    try:
        if percent_bp is not None:
            if not 0 < percent_bp <= 10000:
                raise DocumentError("Le pourcentage est compris entre 0 et 100 %.", field="percent")
            share = deposit_by_percent(quote_totals, percent_bp, already)
        elif amount_cents is not None:
            share = deposit_by_amount(quote_totals, amount_cents, already)
    except MoneyError as exc:
        raise DocumentError(str(exc), field="amount") from None
    doc = Document(
        company_id=quote.company_id, kind=Kind.DEPOSIT, client_id=quote.client_id, client=quote.client,
        quote_id=quote.id, created_by_id=getattr(actor, "id", None), vat_regime=quote.vat_regime,
        subject=quote.subject, site_name=quote.site_name, site_address=quote.site_address,
        payment_terms_days=quote.payment_terms_days, deposit_percent_bp=percent_bp,
        reduced_rate_attestation=quote.reduced_rate_attestation, breakdown_from_lines=False,
    )
    what = f"Acompte de {format_percent_bp(percent_bp)}" if percent_bp is not None else "Acompte"
    for position, vat in enumerate(share.per_rate):
        suffix = f" – TVA {vat_rate_label(vat.rate_bp)}" if len(share.per_rate) > 1 else ""
        doc.lines.append(DocumentLine(
            position=position, label=f"{what} sur le devis {quote.number}{suffix}", quantity_milli=1000,
            unit="forfait", unit_price_cents=vat.base_cents, vat_rate_bp=vat.rate_bp, total_ht_cents=vat.base_cents,
        ))
    _store_totals(doc, share)
    return _made_from(quote, doc, actor, "deposit_created", doc.total_ttc_cents, link="deposit_id")


# A final invoice may bill more than its quote (extra work agreed on site), but a total far
# above what the client accepted is more often a typing slip (a 120 € quote billed 6 000 €):
# issuing it then needs an explicit confirmation.
FINAL_OVER_QUOTE_PERCENT = 10


def _check_final_against_quote(doc: Document) -> None:
    quote = doc.quote
    if quote is None or quote.total_ttc_cents <= 0:
        return
    if doc.total_ttc_cents * 100 > quote.total_ttc_cents * (100 + FINAL_OVER_QUOTE_PERCENT):
        raise DocumentError(
            f"Le total de cette facture de solde ({format_money(doc.total_ttc_cents)} TTC) dépasse de plus de "
            f"{FINAL_OVER_QUOTE_PERCENT} % celui du devis accepté {quote.number} "
            f"({format_money(quote.total_ttc_cents)} TTC). "
            "Vérifiez les lignes, ou confirmez si des travaux supplémentaires ont été convenus.",
            field="confirm_over_quote")


def _check_final_deposits_issued(doc: Document) -> None:
    if doc.quote is None:
        return
    drafts = [d for d in deposits_of(doc.quote) if not d.is_issued]
    if drafts:
        raise DocumentError("Émettez ou supprimez d'abord la facture d'acompte en brouillon de ce devis.")


def create_final(quote: Document, actor, *, today: date) -> Document:
    """The final invoice draft: every quote line, then each issued deposit deducted."""
    _check_can_bill(quote)
    deposits = deposits_of(quote)
    if any(not d.is_issued for d in deposits):
        raise DocumentError("Émettez ou supprimez d'abord la facture d'acompte en brouillon de ce devis.")
    doc = Document(
        company_id=quote.company_id, kind=Kind.FINAL, client_id=quote.client_id, client=quote.client,
        quote_id=quote.id, created_by_id=getattr(actor, "id", None), vat_regime=quote.vat_regime,
        subject=quote.subject, site_name=quote.site_name, site_address=quote.site_address, notes=quote.notes,
        payment_terms_days=quote.payment_terms_days, reduced_rate_attestation=quote.reduced_rate_attestation,
    )
    for line in quote.lines:
        doc.lines.append(DocumentLine(
            position=line.position, kind=line.kind, label=line.label, description=line.description,
            quantity_milli=line.quantity_milli, unit=line.unit, unit_price_cents=line.unit_price_cents,
            discount_bp=line.discount_bp, vat_rate_bp=line.vat_rate_bp, total_ht_cents=line.total_ht_cents,
        ))
    doc.deductions = [
        {"id": d.id, "number": d.number, "issue_date": d.issued_on.isoformat(),
         "breakdown": [[v.rate_bp, v.base_cents, v.vat_cents] for v in (net_totals(d) - _credited_share(d)).per_rate],
         "ttc_cents": (net_totals(d) - _credited_share(d)).ttc_cents}
        for d in deposits
    ]
    # The final's gross totals are the quote's, exactly: final = quote − deposits per rate.
    _store_totals(doc, _totals_from_lines(doc))
    return _made_from(quote, doc, actor, "final_created", doc.net_cents, link="final_id")


# --- credit notes -------------------------------------------------------------------


def creditable_cents(invoice: Document) -> int:
    """What a credit note may still take off an invoice: its unpaid, uncredited part."""
    return invoice.net_cents - invoice.paid_cents - invoice.credited_cents


def _check_credit_amount(invoice: Document | None, amount_cents: int) -> None:
    if invoice is None:
        raise DocumentError("Un avoir se rattache à une facture émise.")
    if amount_cents <= 0:
        raise DocumentError("Le montant de l'avoir doit être positif.", field="lines")
    available = creditable_cents(invoice)
    if amount_cents > available:
        raise DocumentError(
            f"L'avoir ({format_money(amount_cents)}) dépasse ce qui reste dû sur la facture "
            f"({format_money(available)}). "
            "Annulez d'abord un paiement si vous avez remboursé le client.",
            field="lines",
        )


def create_credit_note(invoice: Document, actor, *, today: date, full: bool, reason: str = "",
                       lines: list[LineInput] | None = None) -> Document:
    """A credit note draft on an issued invoice: the whole remaining amount, or given lines."""
    if not invoice.is_invoice or not invoice.is_issued:
        raise DocumentError("Un avoir se rattache à une facture émise.")
    if creditable_cents(invoice) <= 0:
        raise DocumentError("Cette facture est soldée ou déjà annulée : il n'y a plus rien à créditer.")
    doc = Document(
        company_id=invoice.company_id, kind=Kind.CREDIT_NOTE, client_id=invoice.client_id, client=invoice.client,
        credited_id=invoice.id, credited=invoice, created_by_id=getattr(actor, "id", None),
        vat_regime=invoice.vat_regime, subject=invoice.subject, site_name=invoice.site_name,
        site_address=invoice.site_address, notes=reason.strip(),
    )
    if full:
        if invoice.paid_cents:
            raise DocumentError("Des paiements sont enregistrés sur cette facture : "
                                "faites un avoir partiel du reste dû.")
        remaining = net_totals(invoice) - _credited_share(invoice)
        for position, vat in enumerate(remaining.per_rate):
            doc.lines.append(DocumentLine(
                position=position, label=f"Annulation de la facture {invoice.number}"
                + (f" – TVA {vat_rate_label(vat.rate_bp)}" if len(remaining.per_rate) > 1 else ""),
                quantity_milli=1000, unit="forfait", unit_price_cents=vat.base_cents, vat_rate_bp=vat.rate_bp,
                total_ht_cents=vat.base_cents,
            ))
        # The exact per-rate amounts of the invoice (not recomputed from the lines).
        doc.breakdown_from_lines = False
        _store_totals(doc, remaining)
    else:
        lines = lines or []
        _check_lines(lines, invoice.vat_regime)
        _apply_lines(doc, lines)
        _store_totals(doc, _totals_from_lines(doc))
        _check_credit_amount(invoice, doc.total_ttc_cents)
    return _made_from(invoice, doc, actor, "credit_note_created", doc.total_ttc_cents, link="credit_note_id")


def _apply_credit(note: Document, actor, now: datetime) -> None:
    """At issue: the credit note reduces the invoice's balance (atomically)."""
    invoice = note.credited
    if invoice is None:
        raise DocumentError("Cet avoir ne corrige aucune facture : il ne peut pas être émis.")
    amount = note.total_ttc_cents
    changed = rows_changed(
        update(Document)
        .where(Document.id == invoice.id,
               Document.net_cents - Document.paid_cents - Document.credited_cents >= amount)
        .values(credited_cents=Document.credited_cents + amount)
    )
    if not changed:
        raise DocumentError("L'avoir dépasse ce qui reste dû sur la facture (un paiement vient d'être enregistré ?).")
    db.session.refresh(invoice)
    events.record(note.company_id, "credited", document=invoice, actor=actor, at=now, amount_cents=amount,
                  credit_note_number=note.number, credit_note_id=note.id)
    if invoice.remaining_cents <= 0 and invoice.paid_in_full_at is None and invoice.paid_cents > 0:
        invoice.paid_in_full_at = now


# --- balances -----------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """A client's or a job's account: issued invoices' net, what was paid, what was credited."""

    invoiced_cents: int
    paid_cents: int
    credited_cents: int

    @property
    def remaining_cents(self) -> int:
        return self.invoiced_cents - self.paid_cents - self.credited_cents


def _balance(*where) -> Balance:
    row = db.session.execute(
        select(func.coalesce(func.sum(Document.net_cents), 0), func.coalesce(func.sum(Document.paid_cents), 0),
               func.coalesce(func.sum(Document.credited_cents), 0))
        .where(Document.kind.in_(INVOICE_KINDS), Document.issued_at.is_not(None), *where)
    ).one()
    return Balance(int(row[0]), int(row[1]), int(row[2]))


def client_balance(company_id: int, client_id: int) -> Balance:
    """Invoiced, paid, credited and left to pay for one client."""
    return _balance(Document.company_id == company_id, Document.client_id == client_id)


def company_balance(company_id: int) -> Balance:
    """The same for the whole company."""
    return _balance(Document.company_id == company_id)


@dataclass(frozen=True)
class JobBalance:
    quote_ttc_cents: int
    invoiced: Balance  # deposits and final invoice issued on the quote

    @property
    def left_to_invoice_cents(self) -> int:
        """Quote total not yet invoiced (credit notes give invoiced amounts back)."""
        return self.quote_ttc_cents - (self.invoiced.invoiced_cents - self.invoiced.credited_cents)


def job_balance(quote: Document) -> JobBalance:
    """Per job (quote): quote total, invoiced so far (deposits + final), paid, left to pay."""
    return JobBalance(quote.total_ttc_cents,
                      _balance(Document.company_id == quote.company_id, Document.quote_id == quote.id))
