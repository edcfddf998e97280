"""Plain, frozen view objects: the contract between the domain and the PDF renderer.

The domain builds these from its models (amounts already computed, legal mentions
already chosen); the renderer only lays them out. Money is integer cents, quantities
are thousandths (``quantity_milli``), rates are basis points (``*_bp``: 2000 = 20 %).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from output import formatting

DOCUMENT_KINDS = ("quote", "deposit", "final", "invoice", "credit_note")
LINE_KINDS = ("item", "section")


@dataclass(frozen=True, slots=True)
class Party:
    """A seller or a buyer as printed on a document."""

    name: str
    legal_form: str = ""  # "SARL", "EI", "SAS"...; empty for a private person
    address_lines: tuple[str, ...] = ()
    siren: str | None = None
    siret: str | None = None
    rcs_rm: str | None = None  # "RCS Lyon 123 456 789" or "RM 123 456 789 69"
    vat_number: str | None = None  # None under franchise en base
    email: str | None = None
    phone: str | None = None
    logo_data_uri: str | None = None  # "data:image/png;base64,..." only
    # E-invoicing (EN 16931 / Factur-X). All optional: the PDF does not use them.
    country_code: str = "FR"  # ISO 3166-1 alpha-2 (BT-40 seller, BT-55 buyer)
    # Postcode and city (BT-38/BT-37, BT-53/BT-52). None: read from the last address
    # line when it looks like "69003 Lyon"; address_lines then hold the street lines.
    postcode: str | None = None
    city: str | None = None
    # Electronic address (BT-34 seller, BT-49 buyer) and its EAS scheme (BT-34-1/BT-49-1).
    # None: the SIREN with scheme 0225 (the French directory), or else the e-mail ("EM").
    electronic_address: str | None = None
    electronic_address_scheme: str | None = None
    # Seller tax registration identifier (BT-32, scheme "FC"): what a seller without a VAT
    # number (franchise en base) gives instead, since rule BR-E-02 asks for one of the two.
    tax_registration_id: str | None = None


@dataclass(frozen=True, slots=True)
class Insurance:
    """Compulsory professional insurance (décennale), loi 96-603 art. 22-2."""

    insurer: str
    policy: str
    coverage_area: str


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the lines table: an item, or a section title (kind="section")."""

    kind: str
    label: str
    description: str = ""
    quantity_milli: int = 0
    unit: str = ""
    unit_price_cents: int = 0
    discount_bp: int = 0
    vat_rate_bp: int = 0
    total_ht_cents: int = 0

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise ValueError(f"unknown line kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class VatRow:
    """VAT base and amount for one rate."""

    rate_bp: int
    base_cents: int
    vat_cents: int


@dataclass(frozen=True, slots=True)
class Deduction:
    """A deposit invoice deducted on a final invoice (CGI art. 289)."""

    number: str
    issue_date: dt.date
    ht_cents: int
    vat_rows: tuple[VatRow, ...]
    ttc_cents: int


@dataclass(frozen=True, slots=True)
class PrecedingInvoice:
    """An earlier invoice this document refers to (EN 16931 BG-3: BT-25 number, BT-26 date).

    A credit note names the invoice it corrects; a final invoice names each deposit invoice
    it deducts (when left empty, the final's ``deductions`` are used).
    """

    number: str
    issue_date: dt.date


VAT_REGIMES = ("normal", "franchise", "autoliquidation")
OPERATION_CATEGORIES = ("goods", "services", "mixed")
# As printed: the category of the operation, a mention from 2027 (décret 2022-1299).
OPERATION_CATEGORY_LABELS = {
    "goods": "Livraison de biens",
    "services": "Prestation de services",
    "mixed": "Livraison de biens et prestation de services",
}


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A quote, an invoice (plain, deposit or final) or a credit note.

    An empty ``vat_rows`` means no VAT is charged (franchise en base or
    autoliquidation): the VAT column and the VAT/TTC totals are then left out and the
    domain's mentions say why.
    """

    kind: str  # one of DOCUMENT_KINDS
    title: str  # "Facture", "Facture d'acompte", "Facture de solde", "Devis", "Avoir"
    number: str | None  # None for drafts
    is_draft: bool
    issue_date: dt.date
    seller: Party
    buyer: Party
    buyer_is_professional: bool = False
    service_date: dt.date | None = None  # date of sale or of the work
    service_date_text: str | None = None  # e.g. "du 02/11/2026 au 14/11/2026"
    due_date: dt.date | None = None
    validity_date: dt.date | None = None  # quotes
    site_name: str | None = None
    site_address_lines: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # "Acompte n° 1 sur devis D-2026-0003"
    lines: tuple[Line, ...] = ()
    vat_rows: tuple[VatRow, ...] = ()
    total_ht_cents: int = 0
    total_vat_cents: int = 0
    total_ttc_cents: int = 0
    deductions: tuple[Deduction, ...] = ()
    net_to_pay_cents: int | None = None  # after deductions; None: TTC - deductions
    paid_cents: int = 0
    remaining_cents: int | None = None  # None: net to pay - paid; shown if paid
    payment_terms: str | None = None
    payment_methods: str | None = None
    iban: str | None = None
    bic: str | None = None
    epc_qr: bool = False
    payee_name: str | None = None  # QR beneficiary (account holder); None: seller.name
    mentions: tuple[str, ...] = ()
    insurance: Insurance | None = None
    notes: str | None = None
    # Quotes to consumers: the model withdrawal form on a page of its own (Code de la
    # consommation L221-5 7° and L221-9; model in the annex to R221-1).
    withdrawal_form: bool = False
    # --- E-invoicing (Factur-X EN 16931 and the French rules, output/einvoice). Optional:
    # the PDF does not read them, the defaults describe the common case.
    # "normal", "franchise" (CGI art. 293 B) or "autoliquidation" (CGI art. 283-2 nonies):
    # with an empty vat_rows it tells which of the two applies.
    vat_regime: str = "normal"
    # The exemption sentence as printed (BT-120); None: the standard one for the regime.
    vat_exemption_reason: str | None = None
    # Category of the operation (décret 2022-1299 mention): "goods", "services" or "mixed".
    operation_category: str = "services"
    # The seller opted to pay VAT on debits (CGI art. 269-2-c); printed from 2027.
    vat_on_debits: bool = False
    # Earlier invoices referred to: the corrected invoice of a credit note; a final invoice
    # falls back to its deductions when this is empty.
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()
    # Remittance information the client should quote on the transfer (BT-83), e.g. an
    # ISO 11649 "RF" creditor reference; None: the document number.
    payment_reference: str | None = None
    # The signed quote the invoice bills (BT-12 contract reference), e.g. "D-2026-0003".
    contract_reference: str | None = None
    # Period of the work when it spans several days (BG-14), as data; service_date (BT-72)
    # and service_date_text stay what the PDF prints.
    service_period_start: dt.date | None = None
    service_period_end: dt.date | None = None
    site_country_code: str = "FR"  # country of site_address_lines (BT-80)
    # The three payment mentions as printed, which the French rules want as coded notes
    # (BR-FR-05): late-payment penalties (PMD), the recovery indemnity (PMT) and the early
    # payment discount or its absence (AAB). None: found among ``mentions``.
    late_penalty_text: str | None = None
    recovery_indemnity_text: str | None = None
    early_payment_discount_text: str | None = None

    def __post_init__(self):
        if self.kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")
        if self.vat_regime not in VAT_REGIMES:
            raise ValueError(f"unknown VAT regime {self.vat_regime!r}")
        if self.operation_category not in OPERATION_CATEGORIES:
            raise ValueError(f"unknown operation category {self.operation_category!r}")

    @property
    def amount_to_pay_cents(self) -> int:
        """What the client still has to pay (the QR code asks for this amount)."""
        if self.remaining_cents is not None:
            return self.remaining_cents
        if self.net_to_pay_cents is not None:
            net = self.net_to_pay_cents
        else:
            net = self.total_ttc_cents - sum(d.ttc_cents for d in self.deductions)
        return net - self.paid_cents

    @property
    def display_title(self) -> str:
        """Title with the number, e.g. "Facture F-2026-0042" (used for PDF metadata)."""
        if self.number:
            return f"{self.title} {self.number}"
        return f"{self.title} (brouillon)"


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice still (partly) unpaid, listed on a statement or a formal notice."""

    number: str
    issue_date: dt.date
    due_date: dt.date
    ttc_cents: int
    paid_cents: int
    remaining_cents: int
    days_late: int = 0  # 0 when not yet due


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    """A payment received from the client, on a statement."""

    date: dt.date
    method: str  # "Virement", "Chèque", "Espèces", "Carte"
    reference: str
    amount_cents: int
    invoice_number: str | None = None


@dataclass(frozen=True, slots=True)
class StatementView:
    """Relevé de compte for one client."""

    seller: Party
    buyer: Party
    statement_date: dt.date
    rows: tuple[OpenInvoice, ...] = ()
    payments: tuple[PaymentReceived, ...] = ()
    total_ttc_cents: int = 0
    total_paid_cents: int = 0
    total_remaining_cents: int = 0
    total_overdue_cents: int = 0
    period_text: str | None = None  # "depuis le 01/07/2026", after "Paiements reçus"
    iban: str | None = None
    bic: str | None = None
    notes: str | None = None
    title: str = "Relevé de compte"

    @property
    def display_title(self) -> str:
        """Title for PDF metadata and the page footer."""
        return f"{self.title} au {formatting.format_date(self.statement_date)}"


@dataclass(frozen=True, slots=True)
class LetterView:
    """Formal notice to pay (mise en demeure, Code civil art. 1344)."""

    seller: Party
    buyer: Party
    place: str
    letter_date: dt.date
    subject: str
    paragraphs: tuple[str, ...]  # before the table of invoices
    invoices: tuple[OpenInvoice, ...]
    amount_due_cents: int
    deadline_date: dt.date
    signature_name: str
    signature_title: str | None = None  # "Gérant"
    salutation: str = "Madame, Monsieur,"
    closing: str = (
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
        "distinguées."
    )
    sending_mode: str | None = "Lettre recommandée avec accusé de réception"
    title: str = "Mise en demeure"

    @property
    def display_title(self) -> str:
        """Title for PDF metadata and the page footer."""
        return f"{self.title} du {formatting.format_date(self.letter_date)}"
