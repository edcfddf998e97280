"""From the database to PDF files: views of documents, statements and formal notices,
legal mentions, and the frozen PDF of an issued document.

Frozen once issued: the PDF is rendered once, inside the issuing transaction, and its
bytes are stored in the database (table stored_files) with their SHA-256. Every later
download returns those bytes, so what the client received never changes. An invoice or
credit note is frozen as a Factur-X (domain.billing.einvoicing): a PDF/A-3 with its CII XML
attached, and the XML stored beside it, both built from the same DocumentView. The database
rather than a file in instance/ because: the bytes then share the transaction of the
issue (a failed render or a crash leaves neither a number nor an orphan file), they are
in every backup and follow a move to PostgreSQL, and several gunicorn workers or hosts
see them without a shared disk; at ~40 kB a document, 10 years of an artisan's
documents is well under a gigabyte.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import func, select

from domain.billing import categories, einvoicing
from domain.billing import documents as docs
from domain.billing.documents import DocumentError
from domain.billing.mentions import legal_mentions, payment_terms_sentence
from domain.billing.models import (
    INVOICE_KINDS,
    Document,
    Kind,
    StoredFile,
    VatRegime,
)
from domain.core.models import Company
from extensions import db
from output import formatting
from output.einvoice import facturx
from output.pdf import PdfRenderError, render_document
from output.views import (
    Deduction,
    DocumentView,
    Insurance,
    Line,
    Party,
    PrecedingInvoice,
    VatRow,
)

TITLES = {
    Kind.QUOTE: "Devis",
    Kind.DEPOSIT: "Facture d'acompte",
    Kind.FINAL: "Facture de solde",
    Kind.INVOICE: "Facture",
    Kind.CREDIT_NOTE: "Avoir",
}
FILE_PREFIX = {Kind.QUOTE: "Devis", Kind.DEPOSIT: "Facture-acompte", Kind.FINAL: "Facture",
               Kind.INVOICE: "Facture", Kind.CREDIT_NOTE: "Avoir"}
PDF_PURPOSE = "document_pdf"
log = logging.getLogger("encaisse")


# --- parties ------------------------------------------------------------------------


def _logo_uri(company: Company) -> str | None:
    if not company.logo:
        return None
    return f"data:{company.logo_mime};base64,{base64.b64encode(company.logo).decode()}"


def _legal_form_text(form: str, capital_cents: int | None) -> str:
    # Code de commerce R123-238: a société shows its form and share capital on its documents.
    # A sole trader's "EI" goes next to the name instead (see _seller_name).
    if form in ("EI", "AUTRE"):
        return ""
    if capital_cents:
        return f"{form} au capital de {formatting.format_money(capital_cents, drop_zero_cents=True)}"
    return form


_EI_RE = re.compile(r"(^|\W)(EI|entrepreneur individuel)(\W|$)", re.IGNORECASE)


def _seller_name(seller: dict) -> str:
    # Code de commerce R526-26 (ordonnance 2021-1193): a sole trader's name is immediately
    # preceded or followed by "EI" or "entrepreneur individuel" on every document.
    name = seller["name"]
    if seller.get("legal_form") == "EI" and not _EI_RE.search(name):
        name += " EI"
    if seller.get("trade_name"):
        name += f" – {seller['trade_name']}"
    return name


def _grouped_siren(digits: str) -> str | None:
    """"732 829 320" (SIREN) or "732 829 320 00074" (SIRET), as INSEE prints them."""
    digits = re.sub(r"\s", "", digits or "")
    if not digits:
        return None
    if len(digits) == 14:
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    if len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def seller_party(seller: dict, company: Company) -> Party:
    """The seller as printed (from the issued snapshot, or live for a draft)."""
    siret = seller.get("siret", "")
    vat_number = seller.get("vat_number") or None
    return Party(
        name=_seller_name(seller),
        legal_form=_legal_form_text(seller.get("legal_form", ""), seller.get("share_capital_cents")),
        address_lines=tuple(seller.get("address_lines", ())),
        siren=_grouped_siren(siret[:9]), siret=_grouped_siren(siret), rcs_rm=seller.get("rcs_rm") or None,
        vat_number=vat_number, email=seller.get("email") or None,
        phone=seller.get("phone") or None, logo_data_uri=_logo_uri(company),
        country_code=einvoicing.country_code(seller.get("country")) or "FR",
        # A seller without a VAT number (franchise en base, CGI art. 293 B) still identifies
        # itself for tax, as EN 16931 rule BR-E-02 wants on its exempt lines: its SIREN as the
        # seller tax registration identifier (BT-32, scheme FC). In France the tax office
        # identifies a business by its SIREN; PA integrations document the same mapping for a
        # self-employed seller without VAT number (Vertex e-invoicing docs, France Flux 2,
        # "Seller Tax Exemption Indicator"; Dolibarr einvoicing fix #564 for BR-E-02).
        tax_registration_id=None if vat_number or not siret else siret[:9],
    )


def buyer_party(buyer: dict, *, fallback_email: str = "") -> Party:
    """The client as printed; SIREN (and SIRET) and VAT number for businesses (décret 2022-1299).

    ``email`` is not printed: it is the e-invoice's electronic address of a consumer (BT-49);
    ``fallback_email`` serves snapshots taken before it was recorded.
    """
    business = buyer.get("is_business", False)
    email = buyer.get("email", fallback_email)
    return Party(
        name=buyer["name"], address_lines=tuple(buyer.get("address_lines", ())),
        siren=_grouped_siren(buyer.get("siren", "")) if business else None,
        siret=(_grouped_siren(buyer.get("siret", "")) or None) if business else None,
        vat_number=(buyer.get("vat_number") or None) if business else None,
        email=email or None, country_code=einvoicing.country_code(buyer.get("country")) or "FR",
    )


def _snapshot(doc: Document) -> dict:
    """Issued: the frozen identities. Draft: what would be printed today."""
    return doc.snapshot if doc.is_issued and doc.snapshot else docs.snapshot_parties(doc.company, doc.client)


# --- mentions -----------------------------------------------------------------------


# --- documents ----------------------------------------------------------------------


def document_view(doc: Document, *, today: date) -> DocumentView:
    """The printable view of a quote, invoice or credit note."""
    snap = _snapshot(doc)
    seller, buyer = snap["seller"], snap["buyer"]
    issue = doc.issue_date or today
    due = doc.due_date
    if not doc.is_issued and doc.kind in INVOICE_KINDS:
        due = doc.requested_due_date or issue + timedelta(days=docs.customer_terms_days(doc, doc.company))
    validity = doc.validity_date if doc.kind == Kind.QUOTE else None
    references = []
    if doc.kind in (Kind.DEPOSIT, Kind.FINAL) and doc.quote is not None:
        quote_ref = f"devis {doc.quote.number} du {formatting.format_date(doc.quote.issued_on)}"
        if doc.kind == Kind.DEPOSIT:
            references.append(f"Acompte n° {_deposit_rank(doc)} sur le {quote_ref}")
        else:
            references.append(f"Solde du {quote_ref}")
    if doc.kind == Kind.CREDIT_NOTE and doc.credited is not None:
        references.append(f"Avoir sur la facture {doc.credited.number} du {formatting.format_date(doc.credited.issued_on)}")
    if doc.subject:
        references.append(f"Objet : {doc.subject}")
    charge = docs.charges_vat(doc) and doc.vat_regime != VatRegime.FRANCHISE
    gross = docs.totals_of(doc)
    deductions = tuple(
        Deduction(number=d["number"], issue_date=date.fromisoformat(d["issue_date"]),
                  ht_cents=sum(r[1] for r in d["breakdown"]),
                  vat_rows=tuple(VatRow(r[0], r[1], r[2]) for r in d["breakdown"]), ttc_cents=d["ttc_cents"])
        for d in (doc.deductions or [])
    )
    is_invoice = doc.kind in INVOICE_KINDS
    insurance = None
    if seller.get("insurer_name"):
        insurer = seller["insurer_name"] + (f", {seller['insurer_address']}" if seller.get("insurer_address") else "")
        insurance = Insurance(insurer=insurer, policy=seller.get("insurance_policy", ""),
                              coverage_area=seller.get("insurance_coverage_area", ""))
    iban = seller.get("iban") or ""
    preceding: tuple[PrecedingInvoice, ...] = ()
    if doc.kind == Kind.CREDIT_NOTE and doc.credited is not None and doc.credited.number:
        # BG-3: the invoice a credit note corrects (BR-FR-CO-05); a final invoice's deposits
        # come from its deductions.
        preceding = (PrecedingInvoice(doc.credited.issued_number, doc.credited.issued_on),)
    return DocumentView(
        kind=str(doc.kind), title=TITLES[Kind(doc.kind)], number=doc.number, is_draft=not doc.is_issued,
        issue_date=issue, seller=seller_party(seller, doc.company),
        buyer=buyer_party(buyer, fallback_email="" if "email" in buyer else next(iter(doc.client.emails), "")),
        buyer_is_professional=bool(buyer.get("is_business")),
        service_date=doc.service_date, due_date=due if is_invoice else None, validity_date=validity,
        site_name=doc.site_name or None,
        site_address_lines=tuple(line for line in doc.site_address.splitlines() if line.strip()) or tuple(buyer.get("site_address_lines", ())),
        references=tuple(references),
        lines=tuple(Line(kind=l.kind, label=l.label, description=l.description, quantity_milli=l.quantity_milli,
                         unit=l.unit, unit_price_cents=l.unit_price_cents, discount_bp=l.discount_bp,
                         vat_rate_bp=l.vat_rate_bp, total_ht_cents=l.total_ht_cents) for l in doc.lines),
        # No VAT charged (franchise, autoliquidation): no VAT column nor VAT/TTC totals; the
        # mentions say why (CGI art. 293 B, 283-2 nonies).
        vat_rows=tuple(VatRow(v.rate_bp, v.base_cents, v.vat_cents) for v in gross.per_rate) if charge else (),
        total_ht_cents=doc.total_ht_cents, total_vat_cents=doc.total_vat_cents, total_ttc_cents=doc.total_ttc_cents,
        deductions=deductions, net_to_pay_cents=doc.net_cents if deductions else None,
        payment_terms=payment_terms_sentence(doc, due, issue),
        payment_methods=_payment_methods(bool(iban)) if is_invoice else None,
        iban=spaced_iban(iban) if iban and is_invoice else None, bic=seller.get("bic") or None,
        # The QR code's beneficiary is the account holder's legal name, without "EI" or the
        # trade name: banks check it against the account (Verification of Payee).
        payee_name=seller["name"],
        epc_qr=bool(is_invoice and iban and doc.net_cents > 0 and doc.is_issued),
        payment_reference=payment_reference_of(doc),
        mentions=legal_mentions(doc, seller, buyer, issue, due if is_invoice else None),
        insurance=insurance, notes=doc.notes or None,
        # A quote a consumer signs at home is an off-premises contract: it comes with the model
        # withdrawal form (L221-9), detachable without cutting into the contract (Cour de
        # cassation, 1re chambre civile: a form on the back of the signed page voids the contract).
        withdrawal_form=doc.kind == Kind.QUOTE and not buyer.get("is_business"),
        # E-invoicing (output.einvoice.cii): the same facts as data.
        vat_regime=str(doc.vat_regime),
        operation_category=categories.of_document(doc),
        vat_on_debits=bool(seller.get("vat_on_debits")),
        preceding_invoices=preceding,
        contract_reference=doc.quote.number if doc.quote is not None and doc.quote.number else None,
    )


def payment_reference_of(doc: Document) -> str | None:
    """The RF reference printed next to the IBAN, put in the EPC QR code (structured remittance)
    and in the Factur-X payment data (BT-83): the one frozen at issue, or None (drafts, quotes,
    credit notes, invoices issued before references existed: the number stays their reference)."""
    return doc.payment_reference if doc.kind in INVOICE_KINDS and doc.is_issued else None


def _deposit_rank(doc: Document) -> int:
    """1 for the first deposit invoice on its quote, 2 for the second, in creation order."""
    earlier = db.session.scalar(select(func.count(Document.id)).where(
        Document.quote_id == doc.quote_id, Document.kind == Kind.DEPOSIT, Document.id < doc.id))
    return (earlier or 0) + 1


def _payment_methods(has_iban: bool) -> str:
    # Cash is capped by law (Code monétaire et financier L112-6, D112-3).
    if has_iban:
        return "Virement bancaire, chèque ou espèces (dans la limite légale)."
    return "Chèque ou espèces (dans la limite légale)."


def spaced_iban(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


_FORM_WORDS = {"SA", "SAS", "SASU", "SARL", "EURL", "EI", "SNC", "SCOP", "SELARL", "EIRL"}


def client_slug(name: str, is_business: bool) -> str:
    """"Dupont" for Hélène Dupont, "Batir-Ensemble" for Bâtir Ensemble SAS: ASCII, short."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_name) if w]
    if is_business:
        words = [w for w in words if w.upper() not in _FORM_WORDS] or words
    else:
        words = words[-1:]  # a person's surname
    return "-".join(words)[:40].strip("-") or "client"


def pdf_filename(doc: Document) -> str:
    """"Facture-F-2026-0007-Dupont.pdf": kind, number, client, ASCII only for every mail client."""
    buyer = (doc.snapshot or {}).get("buyer") or {}
    name = buyer.get("name") or doc.client.name
    is_business = buyer["is_business"] if "is_business" in buyer else doc.client.is_business
    number = doc.number or f"brouillon-{doc.id}"
    return f"{FILE_PREFIX[Kind(doc.kind)]}-{number}-{client_slug(name, is_business)}.pdf"


def render_pdf(doc: Document, *, today: date) -> bytes:
    """Render (not store) a document's PDF; drafts carry the BROUILLON watermark."""
    return render_document(document_view(doc, today=today))


def freeze_pdf(doc: Document, *, late: bool = False) -> StoredFile:
    """Render the issued document once and store its bytes (used as `after_number` at issue).

    An invoice or credit note becomes a Factur-X: the PDF rendered as PDF/A-3b with its CII
    XML attached (the factur-x package writes the attachment and the Factur-X XMP), and the
    XML stored as its own file; quotes stay plain PDFs. Both rows join the transaction that
    took the number: a render failure, or an XML the XSD rejects, raises DocumentError, the
    caller rolls back and the document stays an unnumbered draft.

    ``late``: freezing, on first download, a document issued without stored files (imported
    data). Its number is already given, so nothing may refuse it: when no valid
    e-invoice can be made from it, it is frozen as a plain PDF (and logged).
    """
    view = document_view(doc, today=doc.issued_on)
    xml = None
    if einvoicing.is_einvoice(doc):
        try:
            xml = einvoicing.xml_of(view)
        except DocumentError:
            if not late:
                raise
            log.warning("document %s frozen without e-invoice: no valid XML", doc.id, exc_info=True)
    try:
        data = render_document(view, **(facturx.RENDER_OPTIONS if xml else {}))
        if xml:
            data = facturx.embed(data, xml, check_xsd=False)  # xml_of checked it
    except PdfRenderError as exc:
        raise DocumentError(f"Le PDF n'a pas pu être produit : {exc} Le document n'a pas été émis.") from None
    filename = pdf_filename(doc)
    stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=PDF_PURPOSE,
                        filename=filename, sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data)
    db.session.add(stored)
    if xml:
        einvoicing.store_xml(doc, xml, einvoicing.xml_filename(filename))
        doc.einvoice_format = einvoicing.FORMAT_FACTURX
    db.session.flush()
    return stored


def stored_pdf(doc: Document) -> StoredFile | None:
    """The frozen PDF row of an issued document."""
    return db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc.id, StoredFile.purpose == PDF_PURPOSE))


def document_pdf(doc: Document, *, today: date) -> tuple[str, bytes]:
    """(file name, bytes): the frozen bytes of an issued document, a fresh render of a draft."""
    if not doc.is_issued:
        return pdf_filename(doc), render_pdf(doc, today=today)
    stored = stored_pdf(doc)
    if stored is None:
        # Issued before PDFs were frozen (imported data): freeze now, once.
        stored = freeze_pdf(doc, late=True)
    return stored.filename, stored.data


def issue_with_pdf(doc: Document, actor, *, today: date, confirm_over_quote: bool = False):
    """Issue a draft and freeze its PDF (a Factur-X for an invoice) in the same transaction.

    An invoice whose e-invoice could not be valid is refused first (EInvoiceNotReady says what
    to fill in), before any number is taken.
    """
    if not doc.is_issued:
        einvoicing.check_ready(doc)
    return docs.issue(doc, actor, today=today, after_number=freeze_pdf, confirm_over_quote=confirm_over_quote)


def export_xml(doc: Document) -> tuple[str, bytes]:
    """(file name, XML) of an issued invoice or credit note: its frozen XML, or, for a document
    issued before e-invoices, one built now from its issued snapshot (for export only: nothing
    is stored, its PDF stays as it was issued)."""
    if not doc.is_issued or not einvoicing.is_einvoice(doc):
        raise DocumentError("Seules les factures et les avoirs émis ont une facture électronique.")
    stored = einvoicing.stored_xml(doc)
    if stored is not None:
        return stored.filename, stored.data
    return einvoicing.xml_filename(pdf_filename(doc)), einvoicing.xml_of(document_view(doc, today=doc.issued_on))


# --- statement of account -----------------------------------------------------------


# --- formal notice letter -----------------------------------------------------------


# --- attachments for e-mails --------------------------------------------------------


