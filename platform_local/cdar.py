"""The platform's side of lifecycle statuses (CDAR): writing the ones it emits, reading the seller's.

Written independently of `output.platform.cdar` on purpose: if both sides shared one module, a
mistake in it would pass every test. The structure is the XP Z12-012 "CDV" profile as the DGFiP
samples show it (see output/platform/cdar.py for the outline and its sources).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

LABELS = {
    200: "Déposée", 201: "Émise par la plateforme", 202: "Reçue par la plateforme", 203: "Mise à disposition",
    204: "Prise en charge", 205: "Approuvée", 206: "Approuvée partiellement", 207: "En litige",
    208: "Suspendue", 209: "Complétée", 210: "Refusée", 211: "Paiement transmis", 212: "Encaissée",
    213: "Rejetée",
}
PLATFORM_STATUSES = frozenset({200, 201, 202, 203, 213})  # set by a platform: TypeCode 305
BUYER_STATUSES = frozenset({204, 205, 206, 207, 208, 209, 210, 211})  # set by the buyer: TypeCode 23
SELLER_STATUSES = frozenset({212})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _sub(parent, ns: str, name: str, text: str | None = None, **attrs):
    node = etree.SubElement(parent, f"{{{ns}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _stamp(parent, name: str, moment: dt.datetime) -> None:
    _sub(_sub(parent, RAM, name), UDT, "DateTimeString", moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S"),
         format="204")


def platform_status(*, message_id: str, code: int, invoice_number: str, invoice_issue_date: dt.date | None,
                    invoice_type_code: str, seller_siren: str, buyer_siren: str, at: dt.datetime,
                    platform_id: str, reason_code: str = "", reason: str = "") -> bytes:
    """A status the platform (or, for 204-211, the buyer through its platform) sends to the seller."""
    root = etree.Element(f"{{{RSM}}}CrossDomainAcknowledgementAndResponse", nsmap=NSMAP)
    context = _sub(root, RSM, "ExchangedDocumentContext")
    _sub(_sub(context, RAM, "BusinessProcessSpecifiedDocumentContextParameter"), RAM, "ID", "REGULATED")
    _sub(_sub(context, RAM, "GuidelineSpecifiedDocumentContextParameter"), RAM, "ID",
         "urn.cpro.gouv.fr:1p0:CDV:invoice")
    doc = _sub(root, RSM, "ExchangedDocument")
    _sub(doc, RAM, "ID", message_id)
    _sub(doc, RAM, "Name", f"{invoice_number}-CDV-{code}")
    _stamp(doc, "IssueDateTime", at)
    sender = _sub(doc, RAM, "SenderTradeParty")
    _sub(sender, RAM, "GlobalID", platform_id, schemeID="0238")
    _sub(sender, RAM, "RoleCode", "WK")
    if code in BUYER_STATUSES and buyer_siren:
        issuer = _sub(doc, RAM, "IssuerTradeParty")
        _sub(issuer, RAM, "GlobalID", buyer_siren, schemeID="0002")
        _sub(issuer, RAM, "RoleCode", "BY")
    recipient = _sub(doc, RAM, "RecipientTradeParty")
    _sub(recipient, RAM, "GlobalID", seller_siren, schemeID="0002")
    _sub(recipient, RAM, "RoleCode", "SE")
    ack = _sub(root, RSM, "AcknowledgementDocument")
    _sub(_sub(ack, RAM, "MultipleReferencesIndicator"), UDT, "Indicator", "false")
    _sub(ack, RAM, "TypeCode", "305" if code in PLATFORM_STATUSES else "23")
    _stamp(ack, "IssueDateTime", at)
    ref = _sub(ack, RAM, "ReferenceReferencedDocument")
    _sub(ref, RAM, "IssuerAssignedID", invoice_number)
    _sub(ref, RAM, "TypeCode", invoice_type_code or "380")
    if invoice_issue_date:
        _sub(_sub(ref, RAM, "FormattedIssueDateTime"), QDT, "DateTimeString",
             invoice_issue_date.strftime("%Y%m%d"), format="102")
    _sub(ref, RAM, "ProcessConditionCode", str(code))
    _sub(ref, RAM, "ProcessCondition", LABELS[code])
    issuer = _sub(ref, RAM, "IssuerTradeParty")
    _sub(issuer, RAM, "GlobalID", seller_siren, schemeID="0002")
    if reason_code or reason:
        status = _sub(ref, RAM, "SpecifiedDocumentStatus")
        if reason_code:
            _sub(status, RAM, "ReasonCode", reason_code)
        if reason:
            _sub(status, RAM, "Reason", reason[:1000])
        _sub(status, RAM, "SequenceNumeric", "1")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class BadStatus(ValueError):
    """A seller status the platform cannot accept; `field` says what is missing or wrong."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SellerStatus:
    message_id: str
    code: int
    invoice_number: str
    invoice_issue_date: dt.date | None
    seller_siren: str
    at: dt.datetime | None
    amounts: tuple[tuple[str, int], ...]  # (rate "20.00", cents)


def _one(node, path: str) -> str:
    found = node.find(path, NSMAP)
    return (found.text or "").strip() if found is not None and found.text else ""


def read_seller_status(data: bytes) -> SellerStatus:
    """Parse a status sent by a seller and check the data it must carry; BadStatus otherwise."""
    root = _cdar_root(data)
    message_id = _one(root, "rsm:ExchangedDocument/ram:ID")
    if not message_id:
        raise BadStatus("ExchangedDocument/ID is missing", "ExchangedDocument/ID")
    refs = root.findall("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NSMAP)
    if len(refs) != 1:
        raise BadStatus("exactly one referenced invoice is expected", "ReferenceReferencedDocument")
    ref = refs[0]
    code_text = _one(ref, "ram:ProcessConditionCode")
    if not code_text.isdigit():
        raise BadStatus("ProcessConditionCode is missing", "ProcessConditionCode")
    number = _one(ref, "ram:IssuerAssignedID")
    if not number:
        raise BadStatus("the invoice number (IssuerAssignedID) is missing", "IssuerAssignedID")
    siren = _one(ref, "ram:IssuerTradeParty/ram:GlobalID")
    if not (siren.isdigit() and len(siren) == 9):
        raise BadStatus("the seller SIREN (IssuerTradeParty/GlobalID) is missing", "IssuerTradeParty")
    issue = _one(ref, "ram:FormattedIssueDateTime/qdt:DateTimeString")
    at = _one(root, "rsm:AcknowledgementDocument/ram:IssueDateTime/udt:DateTimeString")
    amounts = _amounts_received(ref)
    code = int(code_text)
    if code == 212:
        _check_receipt(amounts, at)
    return SellerStatus(message_id=message_id, code=code, invoice_number=number,
                        invoice_issue_date=_date(issue, "%Y%m%d"), seller_siren=siren,
                        at=_moment(at), amounts=tuple(amounts))


def _cdar_root(data: bytes):
    """The root of a well-formed CDAR message; BadStatus on the file otherwise."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadStatus(f"not well-formed XML: {exc}", "file") from None
    if root.tag != f"{{{RSM}}}CrossDomainAcknowledgementAndResponse":
        raise BadStatus("not a CrossDomainAcknowledgementAndResponse", "file")
    return root


def _amounts_received(ref) -> list[tuple[str, int]]:
    """The (rate, cents) of each MEN characteristic, in document order: numbers, two decimals at most."""
    amounts = []
    for node in ref.findall("ram:SpecifiedDocumentStatus/ram:SpecifiedDocumentCharacteristic", NSMAP):
        if _one(node, "ram:TypeCode") != "MEN":
            continue
        try:
            rate = str(Decimal(_one(node, "ram:ValuePercent")).quantize(Decimal("0.01")))
            cents = Decimal(_one(node, "ram:ValueAmount")) * 100
        except InvalidOperation:
            raise BadStatus("a MEN amount or rate is not a number", "SpecifiedDocumentCharacteristic") from None
        if cents != cents.to_integral_value():
            raise BadStatus("an amount has more than two decimals", "ValueAmount")
        amounts.append((rate, int(cents)))
    return amounts


def _check_receipt(amounts: list[tuple[str, int]], at: str) -> None:
    """212 Encaissée carries the amount received per VAT rate and the date of receipt."""
    if not amounts:
        raise BadStatus("212 Encaissée needs the amount received per VAT rate (MEN)",
                        "SpecifiedDocumentCharacteristic")
    if not at:
        raise BadStatus("212 Encaissée needs the date of receipt", "AcknowledgementDocument/IssueDateTime")


def _date(text: str, fmt: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, fmt).date() if text else None
    except ValueError:
        return None


def _moment(text: str) -> dt.datetime | None:
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None
