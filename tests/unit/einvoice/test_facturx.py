"""Factur-X PDF: the XML goes in as factur-x.xml, comes out byte for byte, and the PDF says
it is a PDF/A-3 Factur-X EN 16931, read back with pypdf."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import NameObject

from output import pdf
from output.einvoice import facturx
from output.einvoice.cii import cii_xml

from . import cases

# WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never closes it
# (weasyprint/pdf/__init__.py, ColorProfile(open(...))): a ResourceWarning at each render.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014[.]icc:ResourceWarning")


@pytest.fixture(scope="module")
def view():
    return cases.job_site()


@pytest.fixture(scope="module")
def pdf_a3(view) -> bytes:
    """The invoice as WeasyPrint prints it, as a PDF/A-3b (one render for the module)."""
    return pdf.render_document(view, **facturx.RENDER_OPTIONS)


@pytest.fixture(scope="module")
def xml(view) -> bytes:
    return cii_xml(view)


@pytest.fixture(scope="module")
def factur_x(pdf_a3, xml) -> bytes:
    return facturx.embed(pdf_a3, xml)


def test_embed_then_extract_returns_the_same_bytes(factur_x, xml):
    assert facturx.extract(factur_x) == xml


def test_pypdf_sees_the_attachment_as_data_of_the_document(factur_x, xml):
    reader = PdfReader(io.BytesIO(factur_x))
    assert list(reader.attachments) == ["factur-x.xml"]
    assert reader.attachments["factur-x.xml"] == [xml]
    # PDF/A-3 associated file: listed in the catalog's /AF with AFRelationship /Data.
    catalog = reader.trailer["/Root"]
    associated = [spec.get_object() for spec in catalog["/AF"]]
    assert [(str(spec["/F"]), spec["/AFRelationship"]) for spec in associated] == [
        ("factur-x.xml", NameObject("/Data"))]
    assert associated[0]["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"


def test_the_pdf_declares_pdf_a_3_and_factur_x_en16931(factur_x):
    assert facturx.xmp_info(factur_x) == {
        "pdfaid:part": "3",
        "pdfaid:conformance": "B",
        "fx:DocumentType": "INVOICE",
        "fx:DocumentFileName": "factur-x.xml",
        "fx:Version": "1.0",
        "fx:ConformanceLevel": "EN 16931",
    }
    reader = PdfReader(io.BytesIO(factur_x))
    # What WeasyPrint's pdf/a-3b variant brings and the embedding keeps: an sRGB output
    # intent and the document identifier.
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert len(reader.trailer["/ID"]) == 2
    assert reader.metadata.title == "Facture F-2027-0042"
    assert reader.metadata.author == "Martin Plomberie Chauffage"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_the_information_dictionary_agrees_with_the_xmp(factur_x):
    """PDF/A: every Info entry equals its XMP counterpart (no WeasyPrint producer left over)."""
    reader = PdfReader(io.BytesIO(factur_x))
    info, xmp = reader.metadata, reader.xmp_metadata
    assert set(info) == {"/Title", "/Author", "/Subject", "/Creator", "/Producer", "/CreationDate", "/ModDate"}
    assert info.title == xmp.dc_title["x-default"] and info.author == xmp.dc_creator[0]
    assert info.subject == xmp.dc_description["x-default"]
    assert (info.producer, info.creator) == (xmp.pdf_producer, xmp.xmp_creator_tool)
    assert info.creation_date.replace(tzinfo=None) == xmp.xmp_create_date.replace(tzinfo=None)
    assert info.modification_date.replace(tzinfo=None) == xmp.xmp_modify_date.replace(tzinfo=None)
    assert reader.pdf_header == "%PDF-1.7"


def test_the_file_identifier_pdf_a_wants_is_in_the_last_trailer(factur_x):
    """ISO 19005-2 § 6.1.3: the trailer has an /ID (WeasyPrint's is not computed: embed sets it)."""
    identifiers = PdfReader(io.BytesIO(factur_x)).trailer["/ID"]
    assert len(identifiers) == 2 and identifiers[0] == identifiers[1] and len(identifiers[0]) == 16
    assert factur_x.rstrip().endswith(b"%%EOF") and factur_x.count(b"startxref") == 2  # one incremental update


def test_the_renderer_input_is_a_pdf_a_3b(pdf_a3):
    assert facturx.xmp_info(pdf_a3)["pdfaid:part"] == "3"
    assert facturx.extract(pdf_a3) is None


def test_the_factur_x_pdf_passes_the_official_checks(factur_x, checker):
    report = checker.check(factur_x, "Facture-F-2027-0042.pdf")
    assert report.ok and report.syntax == "CII"


def test_extract_from_anything_else_is_none():
    assert facturx.extract(b"%PDF-1.7 not really") is None
    assert facturx.extract(b"") is None


def test_embed_refuses_an_xml_the_xsd_rejects(pdf_a3, xml):
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"", 1)
    with pytest.raises(ValueError, match="XSD"):
        facturx.embed(pdf_a3, broken)
