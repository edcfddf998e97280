"""What the local platform reads in a received invoice, and the compliance check it runs on it.

A real PA checks every invoice against EN 16931 and the French rules (BR-FR) and rejects the
failing ones; so does this one, with the official XSD and schematrons run by
`output.einvoice.check` (`check(data, filename) -> Report`). That is the only import from the
app's packages, and it is a leaf (`output`): the platform stays independent of the domain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from output.einvoice import check as official
from output.einvoice.facturx import extract

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class NotAnInvoice(ValueError):
    """The file is not what its flowSyntax says (or not an invoice at all)."""


@dataclass(frozen=True)
class Invoice:
    """The facts the platform needs: identity, parties, totals per VAT rate."""

    number: str
    issue_date: dt.date | None
    type_code: str
    seller_siren: str
    seller_name: str
    buyer_siren: str
    buyer_name: str
    currency: str
    total_cents: int | None  # amount due, VAT included (BT-112)
    rates: frozenset[str] = field(default_factory=frozenset)  # "20.00", "5.50"...


@dataclass(frozen=True)
class Failure:
    rule_id: str
    flag: str  # fatal | warning
    location: str
    message: str
    source: str  # xsd | en16931 | br-fr ...


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    failures: tuple[Failure, ...]  # XSD errors first (source "XSD"), then the schematrons'

    @property
    def schema_invalid(self) -> bool:
        """The file fails its XML schema (a technical error, ack reason InvalidSchema)."""
        return any(f.source == "XSD" for f in self.failures)


def xml_of(data: bytes, syntax: str) -> bytes:
    """The invoice XML: the file itself for CII/UBL, the embedded XML of a Factur-X PDF."""
    if syntax == "Factur-X":
        if not data.lstrip()[:5] == b"%PDF-":
            raise NotAnInvoice("Factur-X announced but the file is not a PDF")
        xml = extract(data)
        if not xml:
            raise NotAnInvoice("no Factur-X XML in the PDF")
        return xml
    if data.lstrip()[:5] == b"%PDF-":
        raise NotAnInvoice(f"{syntax} announced but the file is a PDF")
    return data


def _text(node, path: str, ns: dict) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def _cents(text: str) -> int | None:
    try:
        return int(Decimal(text) * 100) if text else None
    except InvalidOperation:
        return None


def _rate(text: str) -> str:
    try:
        return str(Decimal(text).quantize(Decimal("0.01")))
    except InvalidOperation:
        return text


def read_invoice(xml: bytes) -> Invoice:
    """Identity, parties and totals of a CII or UBL invoice; NotAnInvoice when unreadable."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotAnInvoice(f"not well-formed XML: {exc}") from None
    if root.tag == f"{{{CII_NS['rsm']}}}CrossIndustryInvoice":
        return _read_cii(root)
    if root.tag in (f"{{{UBL_NS['inv']}}}Invoice", f"{{{UBL_NS['cn']}}}CreditNote"):
        return _read_ubl(root)
    raise NotAnInvoice(f"unknown root element {root.tag}")


def _read_cii(root) -> Invoice:
    ns = CII_NS
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    issue = _text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", ns)

    def siren(party: str) -> str:
        org = _text(root, f"{agreement}/ram:{party}/ram:SpecifiedLegalOrganization/ram:ID", ns)
        return org[:9] if org.isdigit() and len(org) in (9, 14) else org

    totals = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    return Invoice(
        number=_text(root, "rsm:ExchangedDocument/ram:ID", ns),
        issue_date=_date(issue, "%Y%m%d"),
        type_code=_text(root, "rsm:ExchangedDocument/ram:TypeCode", ns),
        seller_siren=siren("SellerTradeParty"),
        seller_name=_text(root, f"{agreement}/ram:SellerTradeParty/ram:Name", ns),
        buyer_siren=siren("BuyerTradeParty"),
        buyer_name=_text(root, f"{agreement}/ram:BuyerTradeParty/ram:Name", ns),
        currency=_text(root, f"{settlement}/ram:InvoiceCurrencyCode", ns),
        total_cents=_cents(_text(root, f"{totals}/ram:GrandTotalAmount", ns)),
        rates=frozenset(_rate(node.text or "") for node in root.findall(
            f"{settlement}/ram:ApplicableTradeTax/ram:RateApplicablePercent", ns)),
    )


def _read_ubl(root) -> Invoice:
    ns = UBL_NS

    def siren(party: str) -> str:
        org = _text(root, f"cac:{party}/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", ns)
        return org[:9] if org.isdigit() and len(org) in (9, 14) else org

    type_code = _text(root, "cbc:InvoiceTypeCode", ns) or _text(root, "cbc:CreditNoteTypeCode", ns)
    return Invoice(
        number=_text(root, "cbc:ID", ns),
        issue_date=_date(_text(root, "cbc:IssueDate", ns), "%Y-%m-%d"),
        type_code=type_code,
        seller_siren=siren("AccountingSupplierParty"),
        seller_name=_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName", ns),
        buyer_siren=siren("AccountingCustomerParty"),
        buyer_name=_text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName", ns),
        currency=_text(root, "cbc:DocumentCurrencyCode", ns),
        total_cents=_cents(_text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", ns)),
        rates=frozenset(_rate(node.text or "") for node in root.findall(
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", ns)),
    )


def _date(text: str, fmt: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, fmt).date() if text else None
    except ValueError:
        return None


def check_invoice(data: bytes, filename: str) -> CheckResult:
    """The official checks: XSD, EN 16931 and BR-FR schematrons (output.einvoice.check)."""
    try:
        report = official.check(data, filename)
    except official.NotAnInvoice as exc:
        failure = Failure(rule_id="XSD", flag="fatal", location="/", message=str(exc), source="XSD")
        return CheckResult(ok=False, failures=(failure,))
    xsd = tuple(Failure(rule_id="XSD", flag="fatal", location="", message=error, source="XSD")
                for error in report.xsd_errors)
    rules = tuple(Failure(rule_id=f.rule_id, flag=f.flag, location=f.location, message=f.message, source=f.source)
                  for f in report.failures)
    return CheckResult(ok=report.ok, failures=xsd + rules)
