"""The Factur-X XML of an invoice: UN/CEFACT CII D16B, profile EN 16931.

``cii_xml(view)`` turns the frozen ``DocumentView`` the PDF is printed from into the
``factur-x.xml`` embedded in that PDF, so the two say the same thing to the cent: every
amount is written from the view's integer cents, never recomputed in floating point.

What the XML must satisfy, and where each choice comes from:
- EN 16931-1 (the semantic model, business terms BT-n / groups BG-n, rules BR-n) as
  checked by the Factur-X 1.09 EN 16931 schematron (``FACTUR-X_EN16931.xslt``);
- the French CTC rules for invoices exchanged between approved platforms, "Flux 2"
  (FNFE-MPE / AFNOR XP Z12-012, rules BR-FR-n, ``BR-FR-Flux2-Schematron-CII.xslt``);
- the Factur-X XSD (element order, cardinalities).
``output.einvoice.check`` runs all three; the tests build every kind of document and
require zero fatal failure.

Money: amounts are cents, written with integer arithmetic ("1234.56"). Line discounts
travel in the net price (BT-146 = gross price BT-148 - price discount BT-147), which is
exact: a price in cents times a discount in basis points is a whole number of millionths
of a euro, and the French rules accept six decimals in prices (BR-FR-DEC-03). So the line
net amount (BT-131) is the view's line total, and each VAT base (BT-116) is the sum of
its lines' totals exactly, as BR-S-08 wants, with no line allowance needing a rounded
amount.

The four mentions the reform adds in 2027 (décret 2022-1299 as amended) travel as data:
- buyer's SIREN: BT-47, legal registration identifier, scheme 0002 (BR-FR-11 makes it
  mandatory when the processing note BAR says B2B), and the buyer's electronic address
  BT-49 starts with it, scheme 0225 (BR-FR-21);
- delivery address when it differs from the billing address: BG-13/BG-15 (ShipToTradeParty);
- category of the operation (goods, services, both): the letter of BT-23, the "cadre de
  facturation" (B, S, M: BR-FR-08);
- option for VAT on debits: BT-8 = 5 on the VAT breakdowns (services), plus the printed
  sentence as a note.
The payment mentions go in coded notes (BR-FR-05): PMD late-payment penalties, PMT the
40 € recovery indemnity, AAB the early-payment discount or its absence.

Text: lxml escapes markup characters; characters XML 1.0 cannot hold at all (control
characters, lone surrogates, U+FFFE/U+FFFF) are dropped, as they are invisible on the
PDF too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from ..views import DocumentView, Line, Party

__all__ = ["GUIDELINE_EN16931", "UNIT_CODES", "EInvoiceError", "billing_framework", "cii_xml", "type_code"]

NSMAP = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

# BT-24: the EN 16931 profile of Factur-X (not a CIUS: the French rules are checked apart).
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
CURRENCY = "EUR"

# BT-3, UNTDID 1001, within the list the French rules accept (BR-FR-04): 380 commercial
# invoice (a final invoice is one too, its billing framework says "after deposits"), 386
# prepayment (deposit) invoice, 381 credit note.
_TYPE_CODES = {"invoice": "380", "final": "380", "deposit": "386", "credit_note": "381"}

# BT-23, "cadre de facturation", values listed by BR-FR-08: a letter for what is sold
# (B goods, S services, M both, the reform's "catégorie de l'opération") and a digit for
# the case (1 plain invoice, 2 already paid, 4 final invoice after deposits, ...).
_FRAMEWORK_LETTERS = {"goods": "B", "services": "S", "mixed": "M"}

# BT-130, UN/ECE Recommendation 20 (with 21) codes for the units the app offers.
# "ml" is the building trades' "mètre linéaire" (a metre), not a millilitre.
UNIT_CODES = {
    "u": "C62",  # one (unit)
    "h": "HUR",  # hour
    "jour": "DAY",
    "forfait": "LS",  # lump sum
    "m²": "MTK",
    "m2": "MTK",
    "ml": "MTR",
    "m": "MTR",
    "m³": "MTQ",
    "m3": "MTQ",
    "kg": "KGM",
    "lot": "LO",  # lot [unit of procurement]
    "ens.": "SET",
    "ens": "SET",
}
DEFAULT_UNIT_CODE = "C62"

# BT-120/BT-121 for documents without VAT. VATEX codes are in the Factur-X EN 16931 code
# list (FACTUR-X_EN16931_codedb.xml): VATEX-FR-FRANCHISE "France domestic VAT franchise in
# base" and VATEX-FR-AE, the French domestic reverse charge (CGI art. 283-2).
FRANCHISE_REASON = "TVA non applicable, art. 293 B du CGI"
FRANCHISE_VATEX = "VATEX-FR-FRANCHISE"
AUTOLIQUIDATION_REASON = "Autoliquidation – article 283-2 nonies du CGI : TVA due par le preneur."
AUTOLIQUIDATION_VATEX = "VATEX-FR-AE"

# BT-8 code (UNTDID 2475, list 28 of the Factur-X code list): 5 = VAT due on the invoice
# date, i.e. on debits. The DGFiP's external specifications (v3.x, annex 7, management
# rules G1.43 and G1.67) carry the seller's option for VAT on debits this way, and only
# for services: goods are taxed on delivery whatever the option. (Rule numbers as quoted
# by several implementers; BR-FR does not check BT-8.)
VAT_ON_DEBITS_CODE = "5"
VAT_ON_DEBITS_TEXT = "Option pour le paiement de la taxe d'après les débits"

# Texts for the coded notes BR-FR-05 wants on every document when the PDF has none:
# consumers owe no recovery indemnity (it is due between professionals only, Code de
# commerce L441-10 and D441-5) and a credit note is not paid late.
CONSUMER_NO_INDEMNITY = ("Pas d'indemnité forfaitaire pour frais de recouvrement : client non professionnel "
                         "(art. L441-10 et D441-5 du Code de commerce).")
CREDIT_NOTE_NO_PENALTY = "Pénalités de retard : sans objet pour un avoir."
CREDIT_NOTE_NO_INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement : sans objet pour un avoir."
CREDIT_NOTE_NO_DISCOUNT = "Escompte : sans objet pour un avoir."

# Note subject codes (UNTDID 4451). BR-FR-05 requires exactly one each (BR-FR-06) of:
NOTE_LATE_PENALTY = "PMD"  # "pénalités de retard"
NOTE_RECOVERY_INDEMNITY = "PMT"  # "indemnité forfaitaire pour frais de recouvrement"
NOTE_EARLY_DISCOUNT = "AAB"  # "escompte ou absence d'escompte"
NOTE_PROCESSING = "BAR"  # processing rule: B2B, B2BINT, B2C... (BR-FR-20)
NOTE_REGULATORY = "REG"  # other legal mentions
NOTE_GENERAL = "AAI"  # references, free notes

PAYMENT_MEANS_TRANSFER = "58"  # SEPA credit transfer (UNTDID 4461)
PAYMENT_MEANS_UNDEFINED = "1"  # "instrument not defined": cheque or cash, told in BT-82

SCHEME_SIREN = "0002"  # ISO 6523 ICD of the SIRENE register: BT-30 / BT-47 (BR-FR-10/11)
SCHEME_SIRET = "0009"  # BT-29 / BT-46; BR-FR-09: 14 digits starting with the SIREN
SCHEME_ELECTRONIC_ADDRESS = "0225"  # EAS of the French directory ("annuaire"): BR-FR-21
SCHEME_EMAIL = "EM"

# BR-FR-01/02: invoice numbers (BT-1, BT-25) are at most 35 of these characters.
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9+\-_/]{1,35}")
# XML 1.0 Char production, complemented.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_POSTCODE_CITY = re.compile(r"^(?:F-)?(\d{5})\s+(\S.*)$")
_SPACES = re.compile(r"\s+")


class EInvoiceError(ValueError):
    """The view cannot be turned into a valid e-invoice; the message is French, for the user."""


# --------------------------------------------------------------------------- numbers


def _require_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return value


def amount(cents: int) -> str:
    """Cents as an XML amount with two decimals: 123456 -> "1234.56", -5 -> "-0.05"."""
    cents = _require_int(cents, "cents")
    units, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{units}.{rest:02d}"


def _micro(micro: int) -> str:
    """Millionths of a euro as a price: at least two decimals, at most six."""
    units, rest = divmod(micro, 1_000_000)
    return f"{units}." + f"{rest:06d}".rstrip("0").ljust(2, "0")


def quantity(milli: int) -> str:
    """Thousandths as a quantity: 9500 -> "9.5", 1000 -> "1"."""
    units, rest = divmod(_require_int(milli, "quantity_milli"), 1000)
    return str(units) if rest == 0 else f"{units}." + f"{rest:03d}".rstrip("0")


def rate(bp: int) -> str:
    """Basis points as a VAT rate: 2000 -> "20.00", 550 -> "5.50" (BR-FR-16 lists these forms)."""
    bp = _require_int(bp, "rate_bp")
    return f"{bp // 100}.{bp % 100:02d}"


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")  # format "102"


# ----------------------------------------------------------------------------- text


def _clean(text: str | None) -> str:
    """Text an XML 1.0 document can hold, trimmed."""
    return _NOT_XML_CHAR.sub("", text or "").strip()


def _digits(text: str | None) -> str:
    """An identifier without its printing spaces: "732 829 320" -> "732829320"."""
    return _SPACES.sub("", _clean(text))


# ----------------------------------------------------------------------------- tree


class _Builder:
    def __init__(self) -> None:
        self.root = etree.Element(self.qname("rsm:CrossIndustryInvoice"), nsmap=NSMAP)

    @staticmethod
    def qname(tag: str) -> str:
        prefix, local = tag.split(":")
        return f"{{{NSMAP[prefix]}}}{local}"

    def sub(self, parent, tag: str, text: str | None = None, **attrib: str):
        element = etree.SubElement(parent, self.qname(tag), {k: v for k, v in attrib.items()})
        if text is not None:
            element.text = text
        return element

    def date_time(self, parent, tag: str, value: dt.date, inner: str = "udt:DateTimeString") -> None:
        self.sub(self.sub(parent, tag), inner, _date(value), format="102")


# ---------------------------------------------------------------------- public API


def type_code(view: DocumentView) -> str:
    """BT-3 document type code (UNTDID 1001) of an invoice, deposit invoice or credit note."""
    try:
        return _TYPE_CODES[view.kind]
    except KeyError:
        raise EInvoiceError("Un devis n'est pas une facture : il n'a pas de facture électronique.") from None


def billing_framework(view: DocumentView) -> str:
    """BT-23 "cadre de facturation" (BR-FR-08): B/S/M for goods/services/both, then the case.

    4 is the final invoice after deposits (B4/S4/M4), which BR-FR-CO-08 forbids on a deposit
    invoice (386); everything else Encaisse issues is the plain case, 1 (deposit invoices and
    credit notes included). 2 ("already paid") would need BT-113 = BT-112 and the payment
    date as due date (BR-FR-CO-09): not used, an invoice is issued before it is paid.
    """
    letter = _FRAMEWORK_LETTERS[view.operation_category]
    after_deposits = view.kind == "final" and bool(view.deductions or view.preceding_invoices)
    return f"{letter}{4 if after_deposits else 1}"


def cii_xml(view: DocumentView, *, pretty: bool = False) -> bytes:
    """The Factur-X (CII, EN 16931) XML of an issued invoice, deposit, final invoice or credit note."""
    code = type_code(view)
    if view.is_draft or not view.number:
        raise EInvoiceError("Un brouillon n'a pas de facture électronique : émettez d'abord le document.")
    number = _clean(view.number)
    if not _DOCUMENT_ID.fullmatch(number):
        # BR-FR-01/02 (BT-1): at most 35 letters, digits and + - _ /.
        raise EInvoiceError(f"Le numéro « {number[:40]} » ne convient pas à une facture électronique : "
                            "35 caractères au plus, lettres, chiffres et + - _ / uniquement.")
    items = [line for line in view.lines if line.kind == "item"]
    if not items:
        raise EInvoiceError("Une facture électronique compte au moins une ligne (BR-16).")
    breakdown = _breakdown(view, items)
    totals = _totals(view, items)

    b = _Builder()
    context = b.sub(b.root, "rsm:ExchangedDocumentContext")
    b.sub(b.sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
          billing_framework(view))
    b.sub(b.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)

    document = b.sub(b.root, "rsm:ExchangedDocument")
    b.sub(document, "ram:ID", number)  # BT-1
    b.sub(document, "ram:TypeCode", code)  # BT-3
    b.date_time(document, "ram:IssueDateTime", view.issue_date)  # BT-2
    for content, subject in _notes(view):  # BG-1
        note = b.sub(document, "ram:IncludedNote")
        b.sub(note, "ram:Content", content)
        if subject:
            b.sub(note, "ram:SubjectCode", subject)

    transaction = b.sub(b.root, "rsm:SupplyChainTradeTransaction")
    categories = {row.rate_bp: (row.category, row.rate) for row in breakdown}
    section, line_id = None, 0
    for line in view.lines:
        if line.kind == "section":
            section = _clean(line.label) or None
            continue
        line_id += 1
        _line(b, transaction, line, line_id, categories[_line_rate_key(view, line)], section)
        section = None

    agreement = b.sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(b, agreement, "ram:SellerTradeParty", view.seller, seller=True)
    _party(b, agreement, "ram:BuyerTradeParty", view.buyer, seller=False,
           professional=view.buyer_is_professional)
    if view.contract_reference and _clean(view.contract_reference):
        b.sub(b.sub(agreement, "ram:ContractReferencedDocument"), "ram:IssuerAssignedID",
              _clean(view.contract_reference))  # BT-12: the signed quote

    _delivery(b, transaction, view)
    _settlement(b, transaction, view, breakdown, totals)
    return etree.tostring(b.root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class _TaxRow:
    """One VAT breakdown (BG-23) and the category its lines carry."""

    rate_bp: int
    category: str  # BT-118
    rate: str  # BT-119, as written
    base_cents: int  # BT-116
    vat_cents: int  # BT-117
    reason: str | None = None  # BT-120
    reason_code: str | None = None  # BT-121


@dataclass(frozen=True)
class _Totals:
    lines_cents: int  # BT-106 = BT-109 (no document-level allowance or charge)
    vat_cents: int  # BT-110
    grand_cents: int  # BT-112
    prepaid_cents: int  # BT-113
    due_cents: int  # BT-115


def _line_rate_key(view: DocumentView, line: Line) -> int:
    # Without VAT (franchise, autoliquidation) every line goes to the single breakdown.
    return line.vat_rate_bp if view.vat_regime == "normal" else -1


def _sum_by_rate(items: Iterable[Line]) -> dict[int, int]:
    sums: dict[int, int] = {}
    for line in items:
        sums[line.vat_rate_bp] = sums.get(line.vat_rate_bp, 0) + _require_int(line.total_ht_cents, "total_ht_cents")
    return sums


def _incoherent(what: str) -> EInvoiceError:
    return EInvoiceError(f"Les montants du document sont incohérents ({what}) : la facture électronique "
                         "ne peut pas être produite. Signalez-le au support.")


def _breakdown(view: DocumentView, items: list[Line]) -> list[_TaxRow]:
    """The VAT breakdown, exactly the view's figures (BR-CO-14, BR-CO-17, BR-S-08)."""
    for line in items:
        expected = _line_total(line)
        if line.total_ht_cents != expected:
            raise _incoherent(f"ligne « {_clean(line.label)[:60]} » : {amount(line.total_ht_cents)} "
                              f"au lieu de {amount(expected)}")
    if view.vat_regime != "normal":
        return _breakdown_without_vat(view, items)
    return _breakdown_by_rate(view, items)


def _breakdown_without_vat(view: DocumentView, items: list[Line]) -> list[_TaxRow]:
    # No VAT charged: one breakdown over every line, VAT 0 (BR-E-08/09, BR-AE-08/09).
    if view.vat_rows or view.total_vat_cents:
        raise _incoherent("TVA facturée hors régime normal")
    base = sum(line.total_ht_cents for line in items)
    if view.vat_regime == "franchise":
        # BR-E-10: an exemption reason; VATEX-FR-FRANCHISE is the code for CGI art. 293 B.
        reason = _clean(view.vat_exemption_reason) or FRANCHISE_REASON
        return [_TaxRow(-1, "E", rate(0), base, 0, reason, FRANCHISE_VATEX)]
    # BR-AE-10: reason "reverse charge" or its equivalent (CGI art. 283-2 nonies).
    reason = _clean(view.vat_exemption_reason) or AUTOLIQUIDATION_REASON
    return [_TaxRow(-1, "AE", rate(0), base, 0, reason, AUTOLIQUIDATION_VATEX)]


def _breakdown_by_rate(view: DocumentView, items: list[Line]) -> list[_TaxRow]:
    if not view.vat_rows:
        raise _incoherent("aucune ventilation de TVA")
    bases = _sum_by_rate(items)
    rows = []
    for vat_row in view.vat_rows:
        if bases.get(vat_row.rate_bp, 0) != vat_row.base_cents:
            raise _incoherent(f"base de TVA à {rate(vat_row.rate_bp)} % différente de la somme des lignes")
        # Z "zero rated" for a 0 % line charged under the normal regime (BR-Z-*); S otherwise.
        category = "S" if vat_row.rate_bp > 0 else "Z"
        if category == "Z" and vat_row.vat_cents:
            raise _incoherent("TVA sur une base à 0 %")
        rows.append(_TaxRow(vat_row.rate_bp, category, rate(vat_row.rate_bp), vat_row.base_cents, vat_row.vat_cents))
    # A rate whose lines add up to nothing still needs a breakdown for its category (BR-S-01).
    listed = {row.rate_bp for row in rows}
    for rate_bp, total in bases.items():
        if rate_bp not in listed:
            if total:
                raise _incoherent(f"lignes à {rate(rate_bp)} % sans ventilation de TVA")
            rows.append(_TaxRow(rate_bp, "S" if rate_bp > 0 else "Z", rate(rate_bp), 0, 0))
    return rows


def _line_total(line: Line) -> int:
    """The line's net amount as Encaisse computes it: quantity x net price, half-up once."""
    quantity_milli = _require_int(line.quantity_milli, "quantity_milli")
    price_cents = _require_int(line.unit_price_cents, "unit_price_cents")
    product = quantity_milli * price_cents * (10_000 - _require_int(line.discount_bp, "discount_bp"))
    quotient, remainder = divmod(product, 10_000_000)
    return quotient + (1 if 2 * remainder >= 10_000_000 else 0)


def _totals(view: DocumentView, items: list[Line]) -> _Totals:
    """Document totals (BG-22) as the PDF prints them, checked against each other."""
    lines_cents = sum(line.total_ht_cents for line in items)
    if lines_cents != view.total_ht_cents:
        raise _incoherent("total HT différent de la somme des lignes")
    if view.vat_rows and sum(row.vat_cents for row in view.vat_rows) != view.total_vat_cents:
        raise _incoherent("total TVA différent de la somme par taux")
    if view.total_ht_cents + view.total_vat_cents != view.total_ttc_cents:
        raise _incoherent("TTC différent de HT + TVA")
    deducted = sum(d.ttc_cents for d in view.deductions)
    net = view.net_to_pay_cents if view.net_to_pay_cents is not None else view.total_ttc_cents - deducted
    if net != view.total_ttc_cents - deducted:
        raise _incoherent("net à payer différent du TTC moins les acomptes")
    # BT-113 "paid amount": the deposits deducted, TTC (each is owed on its own deposit
    # invoice, referenced in BG-3), plus what was already paid on this document, as the PDF
    # shows them; BR-CO-16: BT-115 = BT-112 - BT-113.
    prepaid = deducted + view.paid_cents
    due = view.amount_to_pay_cents
    if due != view.total_ttc_cents - prepaid:
        raise _incoherent("reste à payer différent du TTC moins les sommes déjà réglées")
    return _Totals(lines_cents, view.total_vat_cents, view.total_ttc_cents, prepaid, due)


# ----------------------------------------------------------------------------- notes


def _find(mentions: tuple[str, ...], *needles: str) -> str | None:
    for mention in mentions:
        lowered = mention.lower()
        if any(needle in lowered for needle in needles):
            return mention
    return None


def _processing_rule(view: DocumentView) -> str:
    """BAR note (BR-FR-20): B2B for a French business, B2BINT abroad, B2C for a consumer."""
    if not view.buyer_is_professional:
        return "B2C"
    return "B2B" if (view.buyer.country_code or "FR").upper() == "FR" else "B2BINT"


def _payment_notes(view: DocumentView, mentions: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    """The texts of the three coded payment notes (penalties, 40 € indemnity, discount)."""
    penalty = _clean(view.late_penalty_text) or _find(mentions, "pénalités de retard", "en cas de retard de paiement")
    indemnity = _clean(view.recovery_indemnity_text) or _find(mentions, "indemnité forfaitaire")
    discount = _clean(view.early_payment_discount_text) or _find(mentions, "escompte")
    if view.kind == "credit_note":
        return (penalty or CREDIT_NOTE_NO_PENALTY, indemnity or CREDIT_NOTE_NO_INDEMNITY,
                discount or CREDIT_NOTE_NO_DISCOUNT)
    if not view.buyer_is_professional:
        indemnity = indemnity or CONSUMER_NO_INDEMNITY
    return penalty, indemnity, discount


def _notes(view: DocumentView) -> list[tuple[str, str | None]]:
    """Invoice notes (BG-1): the coded payment mentions first, then every printed text."""
    mentions = tuple(_clean(m) for m in view.mentions if _clean(m))
    penalty, indemnity, discount = _payment_notes(view, mentions)
    notes: list[tuple[str, str | None]] = [(_processing_rule(view), NOTE_PROCESSING)]
    # BR-FR-05 / BR-FR-06: one note each. A missing text is left missing so that the
    # check reports it rather than this module inventing a penalty rate.
    notes += [(text, subject) for text, subject in ((penalty, NOTE_LATE_PENALTY), (indemnity, NOTE_RECOVERY_INDEMNITY),
                                                    (discount, NOTE_EARLY_DISCOUNT)) if text]
    used = {penalty, indemnity, discount}
    notes += [(mention, NOTE_REGULATORY) for mention in mentions if mention not in used]
    if view.vat_on_debits and not _find(mentions, "d'après les débits"):
        notes.append((VAT_ON_DEBITS_TEXT, NOTE_REGULATORY))
    if view.insurance is not None:
        insurance = view.insurance
        text = _clean(f"Assurance professionnelle : {insurance.insurer}, contrat {insurance.policy}, "
                      f"couverture : {insurance.coverage_area}")
        notes.append((text, NOTE_REGULATORY))
    # The dates as printed ("du 02/11/2027 au 14/11/2027"); BT-72/BG-14 carry them as data.
    texts = [f"Date des travaux : {_clean(view.service_date_text)}" if _clean(view.service_date_text) else "",
             *(_clean(reference) for reference in view.references), _clean(view.notes)]
    notes += [(text, NOTE_GENERAL) for text in texts if text]
    return notes


# ----------------------------------------------------------------------------- lines


def _line(b: _Builder, transaction, line: Line, line_id: int, category: tuple[str, str],
          section: str | None) -> None:
    item = b.sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
    document = b.sub(item, "ram:AssociatedDocumentLineDocument")
    b.sub(document, "ram:LineID", str(line_id))  # BT-126
    printed_unit = _clean(line.unit)
    unit = UNIT_CODES.get(printed_unit.lower(), DEFAULT_UNIT_CODE)
    # BT-127 line note: the section title printed above the line, and a unit that has no
    # Recommendation 20 code here (sent as C62 "one"), as printed.
    note = [section] if section else []
    if printed_unit and printed_unit.lower() not in UNIT_CODES:
        note.append(f"Unité : {printed_unit}")
    if note:
        b.sub(b.sub(document, "ram:IncludedNote"), "ram:Content", " – ".join(note))

    product = b.sub(item, "ram:SpecifiedTradeProduct")
    b.sub(product, "ram:Name", _clean(line.label) or "-")  # BT-153 (BR-25)
    if _clean(line.description):
        b.sub(product, "ram:Description", _clean(line.description))  # BT-154

    agreement = b.sub(item, "ram:SpecifiedLineTradeAgreement")
    price_cents = _require_int(line.unit_price_cents, "unit_price_cents")
    discount_bp = _require_int(line.discount_bp, "discount_bp")
    if not 0 <= discount_bp <= 10_000 or price_cents < 0:
        raise _incoherent(f"prix ou remise de la ligne « {_clean(line.label)[:60]} »")
    if discount_bp:
        # BT-148 gross price and BT-147 price discount, both exact in millionths of a euro.
        gross = b.sub(agreement, "ram:GrossPriceProductTradePrice")
        b.sub(gross, "ram:ChargeAmount", _micro(price_cents * 10_000))
        allowance = b.sub(gross, "ram:AppliedTradeAllowanceCharge")
        b.sub(b.sub(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
        b.sub(allowance, "ram:ActualAmount", _micro(price_cents * discount_bp))
    net = b.sub(agreement, "ram:NetPriceProductTradePrice")
    b.sub(net, "ram:ChargeAmount", _micro(price_cents * (10_000 - discount_bp)))  # BT-146

    delivery = b.sub(item, "ram:SpecifiedLineTradeDelivery")
    b.sub(delivery, "ram:BilledQuantity", quantity(line.quantity_milli), unitCode=unit)  # BT-129/130

    settlement = b.sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = b.sub(settlement, "ram:ApplicableTradeTax")
    b.sub(tax, "ram:TypeCode", "VAT")
    b.sub(tax, "ram:CategoryCode", category[0])  # BT-151
    b.sub(tax, "ram:RateApplicablePercent", category[1])  # BT-152
    summation = b.sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    b.sub(summation, "ram:LineTotalAmount", amount(line.total_ht_cents))  # BT-131


# ---------------------------------------------------------------------------- parties


def _address_parts(lines: Iterable[str], postcode: str | None, city: str | None,
                   country: str) -> tuple[str | None, list[str], str | None]:
    """(postcode, street lines, city): the last line "69003 Lyon" is split when not given apart."""
    street = [_clean(line) for line in lines if _clean(line)]
    postcode, city = _clean(postcode) or None, _clean(city) or None
    if postcode is None and city is None and street and country == "FR":
        match = _POSTCODE_CITY.match(street[-1])
        if match:
            postcode, city = match.group(1), match.group(2)
            street = street[:-1]
    return postcode, street, city


def _address(b: _Builder, parent, lines: Iterable[str], postcode: str | None, city: str | None,
             country: str) -> None:
    """A postal address (BG-5, BG-8, BG-15): three lines at most, the rest joined to the third."""
    country = (_clean(country) or "FR").upper()
    postcode, street, city = _address_parts(lines, postcode, city, country)
    address = b.sub(parent, "ram:PostalTradeAddress")
    if postcode:
        b.sub(address, "ram:PostcodeCode", postcode)
    if street:
        street = street[:2] + ([", ".join(street[2:])] if len(street) > 2 else [])
        for tag, text in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree")[:len(street)], street, strict=True):
            b.sub(address, tag, text)
    if city:
        b.sub(address, "ram:CityName", city)
    b.sub(address, "ram:CountryID", country)  # BT-40 / BT-55 (BR-09, BR-11)


def _electronic_address(party: Party, *, professional: bool) -> tuple[str, str] | None:
    """(address, EAS scheme) for BT-34 / BT-49.

    The French directory routes invoices by SIREN: scheme 0225, an address that starts with
    the party's SIREN (BR-FR-21/22); BR-FR-12/13 make it mandatory for both parties. A
    consumer has no SIREN: his e-mail address (scheme EM) is used.
    """
    if _clean(party.electronic_address):
        value = _clean(party.electronic_address)
        default = SCHEME_EMAIL if "@" in value else SCHEME_ELECTRONIC_ADDRESS
        return value, _clean(party.electronic_address_scheme) or default
    siren = _digits(party.siren)
    if siren and professional and (party.country_code or "FR").upper() == "FR":
        return siren, SCHEME_ELECTRONIC_ADDRESS
    if _clean(party.email):
        return _clean(party.email), SCHEME_EMAIL
    return None


def _party(b: _Builder, agreement, tag: str, party: Party, *, seller: bool, professional: bool = True) -> None:
    element = b.sub(agreement, tag)
    siren = _digits(party.siren) if professional else ""
    siret = _digits(party.siret) if professional else ""
    if siret:
        b.sub(element, "ram:GlobalID", siret, schemeID=SCHEME_SIRET)  # BT-29 / BT-46
    b.sub(element, "ram:Name", _clean(party.name))  # BT-27 / BT-44
    if seller:
        # BT-33 "additional legal information": legal form, share capital, RCS or RM.
        legal = " – ".join(x for x in (_clean(party.legal_form), _clean(party.rcs_rm)) if x)
        if legal:
            b.sub(element, "ram:Description", legal)
    if siren:
        organization = b.sub(element, "ram:SpecifiedLegalOrganization")
        b.sub(organization, "ram:ID", siren, schemeID=SCHEME_SIREN)  # BT-30 / BT-47
    if seller:
        _seller_contact(b, element, party)
    _address(b, element, party.address_lines, party.postcode, party.city, party.country_code)
    endpoint = _electronic_address(party, professional=professional)
    if endpoint is not None:
        b.sub(b.sub(element, "ram:URIUniversalCommunication"), "ram:URIID", endpoint[0], schemeID=endpoint[1])
    if _clean(party.vat_number):
        b.sub(b.sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", _digits(party.vat_number),
              schemeID="VA")  # BT-31 / BT-48
    if seller and _clean(party.tax_registration_id):
        b.sub(b.sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", _clean(party.tax_registration_id),
              schemeID="FC")  # BT-32


def _seller_contact(b: _Builder, element, party: Party) -> None:
    if not (_clean(party.phone) or _clean(party.email)):
        return
    contact = b.sub(element, "ram:DefinedTradeContact")  # BG-6
    if _clean(party.phone):
        b.sub(b.sub(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", _clean(party.phone))
    if _clean(party.email):
        b.sub(b.sub(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", _clean(party.email))


# --------------------------------------------------------------------------- delivery


def _same_address(view: DocumentView) -> bool:
    def key(lines: Iterable[str]) -> list[str]:
        return [_SPACES.sub(" ", _clean(line)).casefold() for line in lines if _clean(line)]

    buyer_lines = list(view.buyer.address_lines)
    if view.buyer.postcode or view.buyer.city:
        buyer_lines.append(f"{view.buyer.postcode or ''} {view.buyer.city or ''}")
    return key(view.site_address_lines) == key(buyer_lines)


def _delivery(b: _Builder, transaction, view: DocumentView) -> None:
    delivery = b.sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if any(_clean(line) for line in view.site_address_lines) and not _same_address(view):
        # The delivery (job-site) address when it differs from the billing address, a
        # mention from 2027 (décret 2022-1299): BG-13 with BT-70 and BG-15.
        ship_to = b.sub(delivery, "ram:ShipToTradeParty")
        b.sub(ship_to, "ram:Name", _clean(view.site_name) or _clean(view.buyer.name))
        _address(b, ship_to, view.site_address_lines, None, None, view.site_country_code)
    if view.service_date is not None:
        event = b.sub(delivery, "ram:ActualDeliverySupplyChainEvent")
        b.date_time(event, "ram:OccurrenceDateTime", view.service_date)  # BT-72


# ------------------------------------------------------------------------- settlement


def _settlement(b: _Builder, transaction, view: DocumentView, breakdown: list[_TaxRow], totals: _Totals) -> None:
    settlement = b.sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    is_invoice = view.kind != "credit_note"
    if is_invoice and view.iban:
        # BT-83 remittance information: what the client quotes on the transfer (the EPC QR
        # code carries the document number too).
        b.sub(settlement, "ram:PaymentReference", _clean(view.payment_reference) or _clean(view.number))
    b.sub(settlement, "ram:InvoiceCurrencyCode", CURRENCY)  # BT-5
    if is_invoice and (view.iban or _clean(view.payment_methods)):
        _payment_means(b, settlement, view)
    _tax_breakdown(b, settlement, view, breakdown)
    _billing_period(b, settlement, view)
    preceding = _preceding(view)
    _payment_terms(b, settlement, view, preceding)
    _summation(b, settlement, totals)
    for number, issued in preceding:  # BG-3
        reference = b.sub(settlement, "ram:InvoiceReferencedDocument")
        b.sub(reference, "ram:IssuerAssignedID", number)  # BT-25
        b.date_time(reference, "ram:FormattedIssueDateTime", issued, inner="qdt:DateTimeString")  # BT-26


def _payment_means(b: _Builder, settlement, view: DocumentView) -> None:
    means = b.sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")  # BG-16
    b.sub(means, "ram:TypeCode", PAYMENT_MEANS_TRANSFER if view.iban else PAYMENT_MEANS_UNDEFINED)  # BT-81
    if _clean(view.payment_methods):
        b.sub(means, "ram:Information", _clean(view.payment_methods))  # BT-82
    if view.iban:
        account = b.sub(means, "ram:PayeePartyCreditorFinancialAccount")
        b.sub(account, "ram:IBANID", _digits(view.iban))  # BT-84
        holder = _clean(view.payee_name) or _clean(view.seller.name)
        b.sub(account, "ram:AccountName", holder)  # BT-85
        if _clean(view.bic):
            b.sub(b.sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID",
                  _digits(view.bic))  # BT-86


def _tax_breakdown(b: _Builder, settlement, view: DocumentView, breakdown: list[_TaxRow]) -> None:
    on_debits = (view.vat_on_debits and view.vat_regime == "normal"
                 and view.operation_category in ("services", "mixed"))
    for row in breakdown:  # BG-23
        tax = b.sub(settlement, "ram:ApplicableTradeTax")
        b.sub(tax, "ram:CalculatedAmount", amount(row.vat_cents))  # BT-117
        b.sub(tax, "ram:TypeCode", "VAT")
        if row.reason:
            b.sub(tax, "ram:ExemptionReason", row.reason)  # BT-120
        b.sub(tax, "ram:BasisAmount", amount(row.base_cents))  # BT-116
        b.sub(tax, "ram:CategoryCode", row.category)  # BT-118
        if row.reason_code:
            b.sub(tax, "ram:ExemptionReasonCode", row.reason_code)  # BT-121
        if on_debits and row.category == "S":
            b.sub(tax, "ram:DueDateTypeCode", VAT_ON_DEBITS_CODE)  # BT-8
        b.sub(tax, "ram:RateApplicablePercent", row.rate)  # BT-119


def _billing_period(b: _Builder, settlement, view: DocumentView) -> None:
    if not (view.service_period_start or view.service_period_end):
        return
    period = b.sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
    if view.service_period_start:
        b.date_time(period, "ram:StartDateTime", view.service_period_start)  # BT-73
    if view.service_period_end:
        b.date_time(period, "ram:EndDateTime", view.service_period_end)  # BT-74


def _payment_terms(b: _Builder, settlement, view: DocumentView, preceding: list[tuple[str, dt.date]]) -> None:
    terms_text = _clean(view.payment_terms)
    if not terms_text and view.kind == "credit_note" and preceding:
        # BR-CO-25: a positive amount due needs a due date or payment terms; a credit note
        # is settled against the invoice it corrects, as its printed reference says.
        first = preceding[0]
        terms_text = f"Avoir sur la facture {first[0]} du {first[1]:%d/%m/%Y}"
    if terms_text or view.due_date:
        terms = b.sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if terms_text:
            b.sub(terms, "ram:Description", terms_text)  # BT-20
        if view.due_date:
            b.date_time(terms, "ram:DueDateDateTime", view.due_date)  # BT-9


def _summation(b: _Builder, settlement, totals: _Totals) -> None:
    summation = b.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
    b.sub(summation, "ram:LineTotalAmount", amount(totals.lines_cents))  # BT-106
    b.sub(summation, "ram:TaxBasisTotalAmount", amount(totals.lines_cents))  # BT-109
    b.sub(summation, "ram:TaxTotalAmount", amount(totals.vat_cents), currencyID=CURRENCY)  # BT-110
    b.sub(summation, "ram:GrandTotalAmount", amount(totals.grand_cents))  # BT-112
    if totals.prepaid_cents:
        b.sub(summation, "ram:TotalPrepaidAmount", amount(totals.prepaid_cents))  # BT-113
    b.sub(summation, "ram:DuePayableAmount", amount(totals.due_cents))  # BT-115


def _preceding(view: DocumentView) -> list[tuple[str, dt.date]]:
    """Preceding invoices (BG-3): the corrected invoice of a credit note (BR-FR-CO-05), each
    deposit invoice a final invoice deducts."""
    found = [(_clean(p.number), p.issue_date) for p in view.preceding_invoices]
    if not found and view.kind == "final":
        found = [(_clean(d.number), d.issue_date) for d in view.deductions]
    for number, _ in found:
        if not _DOCUMENT_ID.fullmatch(number):  # BR-FR-01/02 apply to BT-25 too
            raise EInvoiceError(f"Le numéro de facture référencé « {number[:40]} » ne convient pas à une "
                                "facture électronique.")
    return found
