"""Reading an issued Factur-X back in tests, with the real readers: pypdf for the attachment
and the XMP, lxml for the XML, the official schematrons (output.einvoice.check) for validity."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree
from pypdf import PdfReader

from output.einvoice import facturx
from output.einvoice.cii import NSMAP

SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def attachment(pdf: bytes) -> bytes:
    """The factur-x.xml attached to a PDF, read with pypdf (the only attachment allowed)."""
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == ["factur-x.xml"], list(attachments)
    (xml,) = attachments["factur-x.xml"]
    return xml


def assert_pdf_a3_facturx(pdf: bytes) -> None:
    """The PDF declares itself a PDF/A-3b Factur-X EN 16931 (XMP, read by pypdf)."""
    info = facturx.xmp_info(pdf)
    assert info.get("pdfaid:part") == "3" and info.get("pdfaid:conformance") == "B", info
    assert info.get("fx:DocumentFileName") == "factur-x.xml", info
    assert info.get("fx:ConformanceLevel") == "EN 16931", info


def assert_valid(checker, data: bytes, name: str = "") -> None:
    """Zero XSD error and zero fatal assertion of the EN 16931 and BR-FR schematrons."""
    report = checker.check(data, name)
    fatal = [(f.rule_id, f.message[:160]) for f in report.fatal]
    assert not report.xsd_errors and not fatal, (name, report.xsd_errors, fatal)


def xpath(xml: bytes, path: str) -> list:
    return etree.fromstring(xml).xpath(path, namespaces=NSMAP)


def text(xml: bytes, path: str) -> str:
    found = xpath(xml, path)
    assert len(found) == 1, (path, len(found))
    return found[0].text


def cents(value: str) -> int:
    amount = Decimal(value) * 100
    assert amount == amount.to_integral_value(), value
    return int(amount)


@dataclass(frozen=True)
class XmlAmounts:
    """The totals of a CII invoice (BG-22) and its VAT breakdown (BG-23), in cents."""

    ht: int  # BT-109
    vat: int  # BT-110
    ttc: int  # BT-112
    prepaid: int  # BT-113
    due: int  # BT-115
    vat_by_rate: dict[str, int]  # BT-119 -> BT-117


def amounts(xml: bytes) -> XmlAmounts:
    def one(tag: str, default: str | None = None) -> int:
        found = xpath(xml, f"{SUMMATION}/ram:{tag}")
        if not found and default is not None:
            return cents(default)
        assert len(found) == 1, tag
        return cents(found[0].text)

    rows = {}
    for tax in xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax"):
        rate = tax.findtext("ram:RateApplicablePercent", namespaces=NSMAP)
        rows[rate] = cents(tax.findtext("ram:CalculatedAmount", namespaces=NSMAP))
    return XmlAmounts(ht=one("TaxBasisTotalAmount"), vat=one("TaxTotalAmount"), ttc=one("GrandTotalAmount"),
                      prepaid=one("TotalPrepaidAmount", "0"), due=one("DuePayableAmount"), vat_by_rate=rows)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text (pypdf), runs of spaces and newlines folded."""
    import re

    return re.sub(r"[ \n]+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
