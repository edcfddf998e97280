"""Electronic invoices: what an invoice needs before it can be issued as a Factur-X, and its XML.

Every invoice Encaisse issues (deposit, final, standalone, penalty invoice) and every credit
note is frozen at issue as a Factur-X: a PDF/A-3 with its CII XML (profile EN 16931)
attached, and the same XML stored on its own (StoredFile purpose ``facturx_xml``), in the
transaction that gives the number (domain.billing.printing.freeze_pdf). Quotes stay plain
PDFs. The XML is built by ``output.einvoice.cii`` from the very DocumentView the PDF is
printed from, so the two say the same thing.

Before a number is taken, ``check_ready`` refuses what would give an invalid e-invoice and
says exactly what to fill in (``Missing``, with the form field it lives in):
- the seller's SIREN (BR-FR-10: BT-30 mandatory; Encaisse stores the SIRET, which holds it);
- for a French business client (BAR note "B2B"): its SIREN (BR-FR-11: BT-47 mandatory; also
  the routing address BT-49, BR-FR-21) and, on an invoice, the seller's IBAN (the payment
  instructions BG-16/BT-84 a business client's platform pays from);
- a country the e-invoice can name (ISO 3166 code, BT-40 / BT-55, BR-09 / BR-11).
A consumer without an e-mail is not refused: see ``advice``.

Documents issued before e-invoices keep their stored PDF untouched (``einvoice_format`` NULL);
``flask --app app einvoice export-xml`` builds their XML for export, without storing it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select

from domain.billing.documents import DocumentError
from domain.billing.models import INVOICE_KINDS, Document, Kind, StoredFile
from domain.core.text import fold
from extensions import db
from output.einvoice import check as einvoice_check
from output.einvoice.cii import EInvoiceError, cii_xml
from output.views import DocumentView

log = logging.getLogger("encaisse")

XML_PURPOSE = "facturx_xml"
XML_MIMETYPE = "application/xml"
FORMAT_FACTURX = "factur-x/en16931"  # documents.einvoice_format of a Factur-X issued document
EINVOICE_KINDS = (*INVOICE_KINDS, Kind.CREDIT_NOTE)

# Country names as typed in the settings and client forms (French), to ISO 3166-1 alpha-2.
# The overseas departments are France for VAT and invoicing (CGI art. 294).
COUNTRY_CODES = {
    "france": "FR", "guadeloupe": "FR", "martinique": "FR", "guyane": "FR", "la reunion": "FR",
    "reunion": "FR", "mayotte": "FR", "belgique": "BE", "luxembourg": "LU", "suisse": "CH", "monaco": "MC",
    "allemagne": "DE", "espagne": "ES", "italie": "IT", "andorre": "AD", "pays-bas": "NL", "portugal": "PT",
    "autriche": "AT", "irlande": "IE", "royaume-uni": "GB", "danemark": "DK", "suede": "SE", "pologne": "PL",
}
_ISO_CODE = re.compile(r"[A-Za-z]{2}")


def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country typed in French ("" means France); None if unknown."""
    text = " ".join(fold(name or "").replace("'", " ").split())
    if not text:
        return "FR"
    if _ISO_CODE.fullmatch(text):
        return text.upper()
    return COUNTRY_CODES.get(text)


def is_einvoice(doc: Document) -> bool:
    """True for the kinds issued as Factur-X (every invoice and credit note, not quotes)."""
    return doc.kind in EINVOICE_KINDS


def is_b2b(doc: Document) -> bool:
    """A French business client: the e-invoice goes to its platform (BAR note B2B)."""
    client = doc.client
    return client.is_business and country_code(client.country) == "FR"


@dataclass(frozen=True)
class Missing:
    """Something to fill in before the e-invoice can be issued, and where."""

    what: str  # French, e.g. "l'IBAN de votre entreprise"
    place: str  # "company" (the settings page) or "client" (the client's edit page)
    field: str  # the form field (its wrapper's id is field-<field>)


class EInvoiceNotReady(DocumentError):
    """Issuing would produce an invalid e-invoice; ``missing`` says what to fill in."""

    def __init__(self, missing: list[Missing]) -> None:
        self.missing = tuple(missing)
        super().__init__("Pour émettre cette facture électronique, complétez d'abord : "
                         + ", ".join(m.what for m in self.missing)
                         + ". Rien n'a été émis et aucun numéro n'a été utilisé.")


def missing_for(doc: Document) -> list[Missing]:
    """What the company or the client still lacks for this document's e-invoice ([] when ready)."""
    if not is_einvoice(doc) or doc.is_issued:
        return []
    company, client = doc.company, doc.client
    missing = []
    if len(company.siret or "") != 14:
        missing.append(Missing("le SIRET de votre entreprise", "company", "siret"))  # BR-FR-10 (BT-30)
    if country_code(company.country) is None:
        missing.append(Missing("le pays de votre entreprise (en toutes lettres, par exemple France)",
                               "company", "country"))
    if country_code(client.country) is None:
        missing.append(Missing(f"le pays du client « {client.name} » (en toutes lettres, par exemple Belgique)",
                               "client", "country"))
    if is_b2b(doc):
        if not client.siren:
            # BR-FR-11: BT-47 (and BR-FR-21: BT-49 starts with it) when the note BAR says B2B.
            missing.append(Missing(f"le SIREN (ou SIRET) du client « {client.name} »", "client", "siren"))
        if doc.kind in INVOICE_KINDS and not company.iban:
            missing.append(Missing("l'IBAN de votre entreprise", "company", "iban"))
    return missing


def advice(doc: Document) -> list[str]:
    """What would make the e-invoice better without blocking the issue (French sentences)."""
    if not is_einvoice(doc) or doc.is_issued or doc.client.is_business or doc.client.emails:
        return []
    # BR-FR-12 wants a buyer electronic address (BT-49). A consumer has no SIREN to route by,
    # so it is his e-mail. Without one the invoice is still issued: an invoice to a consumer
    # is not exchanged between platforms (the sale is e-reported), and refusing it would
    # leave the artisan unable to invoice at all.
    return ["Ajoutez l'e-mail du client : la facture électronique d'un particulier porte son adresse e-mail "
            "(règle BR-FR-12). Sans e-mail, elle est émise quand même, sans adresse électronique."]


def check_ready(doc: Document) -> None:
    """Raise EInvoiceNotReady, before any number is taken, when the e-invoice cannot be valid."""
    missing = missing_for(doc)
    if missing:
        raise EInvoiceNotReady(missing)


def xml_of(view: DocumentView) -> bytes:
    """The CII XML of an issued invoice or credit note, checked against the Factur-X XSD.

    The XSD check is the cheap one (a few ms) that belongs at issue time; the schematrons
    (EN 16931, BR-FR) run in the tests and in ``flask --app app einvoice check``.
    Raises DocumentError (French) when no valid XML can be produced.
    """
    try:
        xml = cii_xml(view)
    except EInvoiceError as exc:
        raise DocumentError(f"{exc} Le document n'a pas été émis.") from None
    errors = einvoice_check.check_xsd(xml)
    if errors:
        log.error("e-invoice XML of %s rejected by the XSD: %s", view.number, "; ".join(errors[:5]))
        raise DocumentError("La facture électronique de ce document ne respecte pas le format Factur-X (schéma XSD) : "
                            f"{errors[0]} Le document n'a pas été émis ; signalez-le au support.")
    return xml


def xml_filename(pdf_filename: str) -> str:
    """"Facture-F-2026-0007-Dupont.xml" next to "Facture-F-2026-0007-Dupont.pdf"."""
    return pdf_filename.rsplit(".", 1)[0] + ".xml"


def store_xml(doc: Document, xml: bytes, filename: str) -> StoredFile:
    """Store the e-invoice XML of an issued document, with its SHA-256 (same transaction)."""
    stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=XML_PURPOSE, filename=filename,
                        mimetype=XML_MIMETYPE, sha256=hashlib.sha256(xml).hexdigest(), size=len(xml), data=xml)
    db.session.add(stored)
    return stored


def stored_xml(doc: Document) -> StoredFile | None:
    """The frozen e-invoice XML of an issued document (None: a quote, a draft, or issued before e-invoices)."""
    if not doc.is_issued or doc.einvoice_format is None:
        return None
    return db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc.id,
                                                      StoredFile.purpose == XML_PURPOSE))
