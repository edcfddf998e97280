"""Factur-X PDF: a PDF/A-3 with the invoice's CII XML attached as ``factur-x.xml``.

``embed(pdf, xml)`` hands the work to the ``factur-x`` package (``generate_from_binary``,
flavor factur-x, level EN 16931): it attaches the XML (AFRelationship /Data, listed in the
catalog's /AF), and writes the XMP metadata a Factur-X reader looks for (PDF/A-3 part 3,
conformance B, and the Factur-X extension schema: ``fx:DocumentType`` INVOICE,
``fx:DocumentFileName`` factur-x.xml, ``fx:ConformanceLevel`` EN 16931).

The package copies the rest of the PDF as it is, so the PDF it receives must already be a
PDF/A-3b: WeasyPrint writes one with ``write_pdf(pdf_variant="pdf/a-3b")`` (embedded fonts,
sRGB output intent), which ``output.pdf`` accepts as a render option:
``render_document(view, **RENDER_OPTIONS)``; ``embed`` completes it with the file identifier.

``extract(pdf)`` returns the attached XML (``factur-x.xml``, or the ZUGFeRD 1 name), read
with pypdf; ``xmp_info(pdf)`` reads back what the metadata declares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re

from lxml import etree

__all__ = ["FACTURX_FILENAME", "PDF_VARIANT", "RENDER_OPTIONS", "embed", "extract", "xmp_info"]

LOGGER = logging.getLogger(__name__)

FACTURX_FILENAME = "factur-x.xml"
_ACCEPTED_NAMES = (FACTURX_FILENAME, "zugferd-invoice.xml")  # ZUGFeRD 1 for received PDFs
PDF_VARIANT = "pdf/a-3b"
# WeasyPrint's file identifier (pdf_identifier) is an MD5 over the PDF it joins in Python
# (~5 ms a page); the PDF is written again by the factur-x package anyway, so ``embed``
# sets the identifier PDF/A requires (ISO 19005-2 § 6.1.3, trailer /ID) itself.
RENDER_OPTIONS = {"pdf_variant": PDF_VARIANT, "pdf_identifier": False}
MAX_XML_BYTES = 10_000_000

_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_TYPE_NAMES = {"380": "Facture", "386": "Facture d'acompte", "381": "Avoir"}
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


def _metadata(xml: bytes) -> dict[str, str]:
    """French PDF metadata from the XML (the package would write English ones)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))

    def first(path: str) -> str:
        found = root.xpath(f"string({path})", namespaces=_NS)
        return str(found).strip()

    number = first("rsm:ExchangedDocument/ram:ID")
    kind = _TYPE_NAMES.get(first("rsm:ExchangedDocument/ram:TypeCode"), "Facture")
    seller = first("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:Name")
    buyer = first("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name")
    raw_date = first("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    try:
        date_text = dt.datetime.strptime(raw_date, "%Y%m%d").strftime("%d/%m/%Y")
    except ValueError:
        date_text = raw_date
    return {
        "author": seller,
        "title": f"{kind} {number}",
        "subject": f"{kind} {number} du {date_text} de {seller} à {buyer}",
        "keywords": f"{kind}, Factur-X",
    }


def embed(pdf: bytes, xml: bytes, *, pdf_metadata: dict[str, str] | None = None, lang: str = "fr-FR",
          check_xsd: bool = True) -> bytes:
    """The Factur-X PDF: ``pdf`` (a PDF/A-3b) with ``xml`` attached as factur-x.xml.

    ``check_xsd`` refuses an XML the Factur-X EN 16931 XSD rejects (ValueError), using the
    schema cached by ``output.einvoice.check`` (a few ms) rather than the package's own
    check, which parses the XSD again on every call.
    """
    import facturx

    if not isinstance(pdf, bytes) or not isinstance(xml, bytes):
        raise TypeError("pdf and xml must be bytes")
    if check_xsd:
        from .check import check_xsd as _check_xsd

        errors = _check_xsd(xml)
        if errors:
            raise ValueError("Factur-X XML rejected by the XSD: " + "; ".join(errors[:5]))
    metadata = dict(pdf_metadata) if pdf_metadata is not None else _metadata(xml)
    result = facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=False, check_schematron=False,
        pdf_metadata=metadata, lang=lang,
    )
    return _info_from_xmp(result)


def _pdf_date(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("D:%Y%m%d%H%M%S+00'00'")


def _info_from_xmp(pdf: bytes) -> bytes:
    """Rewrite the document information dictionary from the XMP metadata.

    PDF/A (ISO 19005-2/-3, "document information dictionary") wants each Info entry to
    equal its XMP counterpart. The package writes a new XMP (producer "pypdf", its own
    timestamps, no keywords) but merges into the Info dictionary WeasyPrint wrote, which
    keeps "/Producer WeasyPrint" and gains "/Keywords" and dates taken a moment apart:
    a validator such as veraPDF would reject the file. The XMP wins.

    The new dictionary is appended as an incremental update (ISO 32000-1 § 7.5.6: the same
    object number, a cross-reference section listing it, a trailer pointing back with /Prev),
    which PDF/A allows: the ~50 kB already written are kept as they are rather than parsed
    and written again (half the cost of embedding, measured by bench/einvoice_bench.py).
    """
    from pypdf import PdfReader
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    previous = _STARTXREF.search(pdf[-1024:])
    trailer = reader.trailer
    if xmp is None or previous is None or "/Root" not in trailer or "/Size" not in trailer:
        return pdf
    info = {
        "/Title": (xmp.dc_title or {}).get("x-default", ""),
        "/Author": ", ".join(xmp.dc_creator or []),
        "/Subject": (xmp.dc_description or {}).get("x-default", ""),
        "/Creator": xmp.xmp_creator_tool or "",
        "/Producer": xmp.pdf_producer or "",
    }
    if xmp.xmp_create_date:
        info["/CreationDate"] = _pdf_date(xmp.xmp_create_date)
    if xmp.xmp_modify_date:
        info["/ModDate"] = _pdf_date(xmp.xmp_modify_date)
    size_object = trailer["/Size"]
    if not isinstance(size_object, int):  # a NumberObject in every valid PDF
        raise ValueError("the PDF trailer has no /Size")
    size = int(size_object)
    old = trailer.raw_get("/Info") if "/Info" in trailer else None
    number, generation = (old.idnum, old.generation) if isinstance(old, IndirectObject) else (size, 0)
    out = io.BytesIO()
    out.write(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offset = out.tell()
    out.write(f"{number} {generation} obj\n".encode())
    DictionaryObject({NameObject(k): TextStringObject(v) for k, v in info.items() if v}).write_to_stream(out)
    out.write(b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n{number} 1\n{offset:010d} {generation:05d} n \n".encode())
    updated = DictionaryObject({
        NameObject("/Size"): NumberObject(max(size, number + 1)),
        NameObject("/Root"): trailer.raw_get("/Root"),
        NameObject("/Info"): IndirectObject(number, generation, reader),
        NameObject("/Prev"): NumberObject(int(previous.group(1))),
    })
    if "/ID" in trailer:
        updated[NameObject("/ID")] = trailer.raw_get("/ID")
    else:
        # PDF/A wants a file identifier: two equal MD5s of the file for a new document
        # (ISO 32000-1 § 14.4), as WeasyPrint computes it when asked.
        digest = ByteStringObject(hashlib.md5(pdf, usedforsecurity=False).digest())
        updated[NameObject("/ID")] = ArrayObject([digest, digest])
    out.write(b"trailer\n")
    updated.write_to_stream(out)
    out.write(f"\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def extract(pdf: bytes) -> bytes | None:
    """The e-invoice XML attached to a PDF, or None when there is none (or no readable PDF)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        attachments = reader.attachments
        for name in _ACCEPTED_NAMES:
            for candidate, contents in attachments.items():
                if candidate.lower() == name and contents:
                    data = contents[0]
                    if len(data) > MAX_XML_BYTES:
                        LOGGER.warning("Factur-X attachment too large (%d bytes)", len(data))
                        return None
                    return data
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        LOGGER.info("No e-invoice XML could be read from the PDF: %s", exc)
    return None


def xmp_info(pdf: bytes) -> dict[str, str]:
    """What the PDF's XMP metadata declares: pdfaid part/conformance and the Factur-X fields."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.xmp_metadata
    if metadata is None:
        return {}
    root = metadata.rdf_root
    wanted = {
        "{http://www.aiim.org/pdfa/ns/id/}part": "pdfaid:part",
        "{http://www.aiim.org/pdfa/ns/id/}conformance": "pdfaid:conformance",
        "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}DocumentType": "fx:DocumentType",
        "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}DocumentFileName": "fx:DocumentFileName",
        "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}Version": "fx:Version",
        "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}ConformanceLevel": "fx:ConformanceLevel",
    }
    info: dict[str, str] = {}
    for description in root.getElementsByTagNameNS("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "Description"):
        for attribute in description.attributes.values():
            key = wanted.get(f"{{{attribute.namespaceURI}}}{attribute.localName}")
            if key:
                info[key] = attribute.value
        for child in description.childNodes:
            if child.nodeType == child.ELEMENT_NODE:
                key = wanted.get(f"{{{child.namespaceURI}}}{child.localName}")
                if key:
                    info[key] = "".join(n.data for n in child.childNodes if n.nodeType == n.TEXT_NODE).strip()
    return info
