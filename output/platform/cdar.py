"""Lifecycle status messages (CDAR): the one a seller sends (212 Encaissée) and the ones it receives.

The French reform carries invoice statuses in UN/CEFACT's Cross Domain Acknowledgement And
Response (CDAR, D22B), profiled by AFNOR XP Z12-012 and the DGFiP external specifications ("CDV",
flux 6). The AFNOR Flow Service transports them as flows with flowSyntax CDAR and flowType
CustomerInvoiceLC (a status about one of our sales invoices), sent by us (Out) or to us (In).

Neither the XSD nor the schematron of the CDV profile is published in a form we can ship, so the
structure below follows the profile as public implementations and the DGFiP samples show it:

    rsm:CrossDomainAcknowledgementAndResponse
      rsm:ExchangedDocumentContext   business process REGULATED, guideline urn.cpro.gouv.fr:1p0:CDV:invoice
      rsm:ExchangedDocument          message id, name, creation time; issuer (seller SE) and recipients
                                     (buyer BY, public portal DFH 9998 under scheme 0238)
      rsm:AcknowledgementDocument    TypeCode 23 (a status set by a trading party; 305 is for the
                                     platforms' transmission statuses), status date-time,
        ram:ReferenceReferencedDocument   the invoice: number, type code, issue date (qdt, format 102),
                                     ProcessConditionCode = status (200-213) + label, seller SIREN
                                     (scheme 0002), and SpecifiedDocumentStatus: reason, sequence,
                                     one SpecifiedDocumentCharacteristic TypeCode MEN per VAT rate with
                                     the amount received at that rate (212 Encaissée, rule
                                     BR-FR-CDV-14: the breakdown per rate is what makes the VAT due).

Money comes in integer cents and is written with two decimals; rates are percentages ("20.00").
Check the XP Z12-012 text (or the DGFiP CDAR schematron) before relying on any other detail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from .codes import STATUS_LABELS, Status

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
BUSINESS_PROCESS = "REGULATED"
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
TYPE_CODE_PARTY = "23"  # a status set by the seller or the buyer (processing phase)
TYPE_CODE_PLATFORM = "305"  # a status set by a platform (transmission phase: 200-203, 213)
SCHEME_SIREN = "0002"
SCHEME_PLATFORM = "0238"  # platform registration numbers; the public portal is 9998
PPF_ID = "9998"
AMOUNT_RECEIVED = "MEN"  # "montant encaissé"

_SIREN = re.compile(r"^\d{9}$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _el(parent, prefix: str, name: str, text: str | None = None, **attrs):
    node = etree.SubElement(parent, _q(prefix, name), {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = text
    return node


def cents_to_text(cents: int) -> str:
    """1234 -> '12.34', -50 -> '-0.50' (amounts are integers in the domain)."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("amounts are integer cents")
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def text_to_cents(text: str) -> int:
    """'12.34' -> 1234; ValueError for anything that is not an amount with at most 2 decimals."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"not an amount: {text!r}") from None
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(cents)


def rate_text(rate: Decimal | str | int) -> str:
    """A VAT rate as written in the message: '20.00', '5.50', '0.00'."""
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        raise ValueError(f"not a VAT rate: {rate!r}") from None
    if value < 0 or value >= 100:
        raise ValueError(f"not a VAT rate: {rate!r}")
    return str(value.quantize(Decimal("0.01")))


def _datetime_204(moment: dt.datetime | dt.date) -> str:
    """UNTDID 2379 format 204 (CCYYMMDDHHMMSS), in UTC; a date alone is taken at midnight."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.strftime("%Y%m%d%H%M%S")
    return moment.strftime("%Y%m%d") + "000000"


@dataclass(frozen=True)
class Party:
    siren: str
    name: str = ""


def build_status_message(*, message_id: str, status: int, invoice_number: str, invoice_issue_date: dt.date,
                         seller: Party, status_date: dt.date | dt.datetime, created_at: dt.datetime,
                         buyer: Party | None = None, amounts_by_rate: Mapping[Decimal | str, int] | None = None,
                         currency: str = "EUR", invoice_type_code: str = "380", reason_code: str = "",
                         reason: str = "", to_public_portal: bool = True) -> bytes:
    """A CDAR lifecycle status sent by the seller about one of its invoices (UTF-8 XML bytes).

    `amounts_by_rate` maps a VAT rate (percent) to the amount received at that rate, in cents;
    it is required for 212 Encaissée. `created_at` is the message's own timestamp (aware datetime).
    """
    _check_status_arguments(status=status, message_id=message_id, invoice_number=invoice_number, seller=seller,
                            buyer=buyer, created_at=created_at)
    amounts = dict(amounts_by_rate or {})
    if status == Status.ENCAISSEE and not amounts:
        raise ValueError("212 Encaissée needs the amount received per VAT rate")

    root = etree.Element(_q("rsm", "CrossDomainAcknowledgementAndResponse"), nsmap=NS)
    context = _el(root, "rsm", "ExchangedDocumentContext")
    _el(_el(context, "ram", "BusinessProcessSpecifiedDocumentContextParameter"), "ram", "ID", BUSINESS_PROCESS)
    _el(_el(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ram", "ID", GUIDELINE)
    _exchanged_document(root, message_id=message_id, name=f"{invoice_number} {status} {STATUS_LABELS[status]}",
                        created_at=created_at, seller=seller, buyer=buyer, to_public_portal=to_public_portal)
    ref = _referenced_invoice(root, status=status, status_date=status_date, invoice_number=invoice_number,
                              invoice_type_code=invoice_type_code, invoice_issue_date=invoice_issue_date,
                              seller=seller)
    _document_status(ref, reason_code=reason_code, reason=reason, amounts=amounts, currency=currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _check_status_arguments(*, status: int, message_id: str, invoice_number: str, seller: Party,
                            buyer: Party | None, created_at: dt.datetime) -> None:
    """A known status, a message id and an invoice number, SIRENs of 9 digits, an aware timestamp."""
    if status not in STATUS_LABELS:
        raise ValueError(f"unknown lifecycle status {status}")
    if not message_id or not invoice_number:
        raise ValueError("message_id and invoice_number are required")
    if not _SIREN.match(seller.siren) or (buyer is not None and not _SIREN.match(buyer.siren)):
        raise ValueError("a SIREN is 9 digits")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be an aware datetime")


def _exchanged_document(root, *, message_id: str, name: str, created_at: dt.datetime, seller: Party,
                        buyer: Party | None, to_public_portal: bool) -> None:
    """The message itself: its id, name and timestamp, the seller who issues it and its recipients
    (the buyer if known, the public portal when asked)."""
    exchanged = _el(root, "rsm", "ExchangedDocument")
    _el(exchanged, "ram", "ID", message_id)
    _el(exchanged, "ram", "Name", name)
    _el(_el(exchanged, "ram", "IssueDateTime"), "udt", "DateTimeString", _datetime_204(created_at), format="204")
    _party(exchanged, "IssuerTradeParty", seller, "SE")
    if buyer is not None:
        _party(exchanged, "RecipientTradeParty", buyer, "BY")
    if to_public_portal:
        # Statuses the tax administration needs (212 among them) also go to the public portal.
        portal = _el(exchanged, "ram", "RecipientTradeParty")
        _el(portal, "ram", "GlobalID", PPF_ID, schemeID=SCHEME_PLATFORM)
        _el(portal, "ram", "Name", "PPF")
        _el(portal, "ram", "RoleCode", "DFH")


def _referenced_invoice(root, *, status: int, status_date: dt.date | dt.datetime, invoice_number: str,
                        invoice_type_code: str, invoice_issue_date: dt.date, seller: Party):
    """The acknowledgement (a status set by a trading party, and when) and the invoice it is about:
    number, type, issue date, the status code and label, the seller; returns the invoice's element."""
    ack = _el(root, "rsm", "AcknowledgementDocument")
    _el(_el(ack, "ram", "MultipleReferencesIndicator"), "udt", "Indicator", "false")
    _el(ack, "ram", "TypeCode", TYPE_CODE_PARTY)
    _el(_el(ack, "ram", "IssueDateTime"), "udt", "DateTimeString", _datetime_204(status_date), format="204")
    ref = _el(ack, "ram", "ReferenceReferencedDocument")
    _el(ref, "ram", "IssuerAssignedID", invoice_number)
    _el(ref, "ram", "TypeCode", invoice_type_code)
    _el(_el(ref, "ram", "FormattedIssueDateTime"), "qdt", "DateTimeString",
        invoice_issue_date.strftime("%Y%m%d"), format="102")
    _el(ref, "ram", "ProcessConditionCode", str(status))
    _el(ref, "ram", "ProcessCondition", STATUS_LABELS[status])
    issuer = _el(ref, "ram", "IssuerTradeParty")
    _el(issuer, "ram", "GlobalID", seller.siren, schemeID=SCHEME_SIREN)
    _el(issuer, "ram", "RoleCode", "SE")
    return ref


def _document_status(ref, *, reason_code: str, reason: str, amounts: Mapping[Decimal | str, int],
                     currency: str) -> None:
    """The status's detail: its reason if any, and per VAT rate (lowest first) the amount received."""
    detail = _el(ref, "ram", "SpecifiedDocumentStatus")
    if reason_code:
        _el(detail, "ram", "ReasonCode", reason_code)
    if reason:
        _el(detail, "ram", "Reason", reason)
    _el(detail, "ram", "SequenceNumeric", "1")
    for rate in sorted(amounts, key=lambda r: Decimal(rate_text(r))):
        characteristic = _el(detail, "ram", "SpecifiedDocumentCharacteristic")
        _el(characteristic, "ram", "TypeCode", AMOUNT_RECEIVED)
        _el(characteristic, "ram", "ValueAmount", cents_to_text(amounts[rate]), currencyID=currency)
        _el(characteristic, "ram", "ValuePercent", rate_text(rate))


def _party(parent, element: str, party: Party, role: str) -> None:
    node = _el(parent, "ram", element)
    _el(node, "ram", "GlobalID", party.siren, schemeID=SCHEME_SIREN)
    if party.name:
        _el(node, "ram", "Name", party.name)
    _el(node, "ram", "RoleCode", role)


def build_encaissee(*, message_id: str, invoice_number: str, invoice_issue_date: dt.date, seller: Party,
                    received_on: dt.date, amounts_by_rate: Mapping[Decimal | str, int], created_at: dt.datetime,
                    buyer: Party | None = None, invoice_type_code: str = "380") -> bytes:
    """212 Encaissée: what was received on `received_on` for this invoice, per VAT rate (cents)."""
    return build_status_message(message_id=message_id, status=Status.ENCAISSEE, invoice_number=invoice_number,
                                invoice_issue_date=invoice_issue_date, seller=seller, status_date=received_on,
                                created_at=created_at, buyer=buyer, amounts_by_rate=amounts_by_rate,
                                invoice_type_code=invoice_type_code)


@dataclass(frozen=True)
class StatusReport:
    """One referenced invoice and its status, read from a CDAR message."""

    invoice_number: str
    invoice_issue_date: dt.date | None
    invoice_type_code: str
    seller_siren: str
    status: int
    status_label: str
    status_at: dt.datetime | None
    reason_code: str
    reason: str
    amounts_by_rate: tuple[tuple[str, int], ...]  # ((rate, cents), ...) in document order


@dataclass(frozen=True)
class LifecycleMessage:
    message_id: str
    created_at: dt.datetime | None
    type_code: str
    issuer_role: str  # SE seller, BY buyer, WK platform, DFH public portal ('' when absent)
    statuses: tuple[StatusReport, ...]


def _parse_204(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip()
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def parse_status_message(data: bytes) -> LifecycleMessage:
    """Read a CDAR lifecycle message; ValueError when it is not one or misses the status itself."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.tag != _q("rsm", "CrossDomainAcknowledgementAndResponse"):
        raise ValueError("not a CDAR message")
    exchanged = root.find("rsm:ExchangedDocument", NS)
    if exchanged is None:
        raise ValueError("CDAR without ExchangedDocument")
    sender_role = _text(exchanged, "ram:SenderTradeParty/ram:RoleCode")
    issuer_role = _text(exchanged, "ram:IssuerTradeParty/ram:RoleCode") or sender_role
    ack = root.find("rsm:AcknowledgementDocument", NS)
    if ack is None:
        raise ValueError("CDAR without AcknowledgementDocument")
    status_at = _parse_204(_text(ack, "ram:IssueDateTime/udt:DateTimeString"))
    reports = [_status_report(ref, status_at) for ref in ack.findall("ram:ReferenceReferencedDocument", NS)]
    if not reports:
        raise ValueError("CDAR without a referenced invoice")
    return LifecycleMessage(
        message_id=_text(exchanged, "ram:ID"),
        created_at=_parse_204(_text(exchanged, "ram:IssueDateTime/udt:DateTimeString")),
        type_code=_text(ack, "ram:TypeCode"),
        issuer_role=issuer_role,
        statuses=tuple(reports),
    )


def _text(node, path: str) -> str:
    """The stripped text at `path` under `node`, '' when the element is absent or empty."""
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _status_report(ref, status_at: dt.datetime | None) -> StatusReport:
    """One referenced invoice and its status; ValueError when the status code is missing."""
    code = _text(ref, "ram:ProcessConditionCode")
    if not code.isdigit():
        raise ValueError("a referenced document without ProcessConditionCode")
    issue = _parse_204(_text(ref, "ram:FormattedIssueDateTime/qdt:DateTimeString"))
    amounts = _amounts_received(ref)
    return StatusReport(
        invoice_number=_text(ref, "ram:IssuerAssignedID"),
        invoice_issue_date=issue.date() if issue else None,
        invoice_type_code=_text(ref, "ram:TypeCode"),
        seller_siren=_text(ref, "ram:IssuerTradeParty/ram:GlobalID"),
        status=int(code),
        status_label=_text(ref, "ram:ProcessCondition") or STATUS_LABELS.get(int(code), ""),
        status_at=status_at,
        reason_code=_text(ref, "ram:SpecifiedDocumentStatus/ram:ReasonCode"),
        reason=_text(ref, "ram:SpecifiedDocumentStatus/ram:Reason"),
        amounts_by_rate=amounts,
    )


def _amounts_received(ref) -> tuple[tuple[str, int], ...]:
    """The (VAT rate, cents received) pairs of a status, in document order (MEN characteristics only)."""
    amounts = []
    for characteristic in ref.findall("ram:SpecifiedDocumentStatus/ram:SpecifiedDocumentCharacteristic", NS):
        if _text(characteristic, "ram:TypeCode") != AMOUNT_RECEIVED:
            continue
        amounts.append((rate_text(_text(characteristic, "ram:ValuePercent") or "0"),
                        text_to_cents(_text(characteristic, "ram:ValueAmount"))))
    return tuple(amounts)
