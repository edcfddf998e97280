"""From the database to PDF files: views of documents, statements and formal notices,
legal mentions, and the frozen PDF of an issued document.

Frozen once issued: the PDF is rendered once, inside the issuing transaction, and its
bytes are stored in the database (table stored_files) with their SHA-256. Every later
download returns those bytes, so what the client received never changes. The database
rather than a file in instance/ because: the bytes then share the transaction of the
issue (a failed render or a crash leaves neither a number nor an orphan file), they are
in every backup and follow a move to PostgreSQL, and several gunicorn workers or hosts
see them without a shared disk; at ~40 kB a document, 10 years of an artisan's
documents is well under a gigabyte.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import func, select

from domain.billing import documents as docs
from domain.billing.documents import DocumentError
from domain.billing.legal import (
    ECB_PENALTY_MARGIN_BP,
    RECOVERY_INDEMNITY_CENTS,
    days_late,
    half_year_start,
    rate_on,
)
from domain.billing.models import (
    INVOICE_KINDS,
    PAYMENT_METHOD_LABELS,
    Document,
    Kind,
    Payment,
    PaymentMethod,
    StoredFile,
    VatRegime,
)
from domain.core.models import Client, Company
from domain.billing.money import display_amount, percent_label
from domain.collections.penalties import load_tables
from extensions import db

from output import formatting
from output.mail import Attachment
from output.pdf import PdfRenderError, render_document, render_letter, render_statement
from output.views import (
    Deduction,
    DocumentView,
    Insurance,
    LetterView,
    Line,
    OpenInvoice,
    Party,
    PaymentReceived,
    StatementView,
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
LETTER_PURPOSE = "formal_notice_letter"


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
        return f"{form} au capital de {_euros(capital_cents)}"
    return form


def _euros(cents: int) -> str:
    """"8 000 €" for a whole amount (share capital), "8 000,50 €" otherwise."""
    text = display_amount(cents)
    return text.replace(",00\u00a0€", "\u00a0€") if cents % 100 == 0 else text


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
    return Party(
        name=_seller_name(seller),
        legal_form=_legal_form_text(seller.get("legal_form", ""), seller.get("share_capital_cents")),
        address_lines=tuple(seller.get("address_lines", ())),
        siren=_grouped_siren(siret[:9]), siret=_grouped_siren(siret), rcs_rm=seller.get("rcs_rm") or None,
        vat_number=seller.get("vat_number") or None, email=seller.get("email") or None,
        phone=seller.get("phone") or None, logo_data_uri=_logo_uri(company),
    )


def buyer_party(buyer: dict) -> Party:
    """The client as printed; SIREN and VAT number for businesses (décret 2022-1299)."""
    business = buyer.get("is_business", False)
    return Party(
        name=buyer["name"], address_lines=tuple(buyer.get("address_lines", ())),
        siren=_grouped_siren(buyer.get("siren", "")) if business else None,
        vat_number=(buyer.get("vat_number") or None) if business else None,
    )


def _snapshot(doc: Document) -> dict:
    """Issued: the frozen identities. Draft: what would be printed today."""
    return doc.snapshot if doc.is_issued and doc.snapshot else docs.snapshot_parties(doc.company, doc.client)


# --- mentions -----------------------------------------------------------------------


def legal_mentions(doc: Document, seller: dict, buyer: dict, on: date, due: date | None = None) -> tuple[str, ...]:
    """Mandatory mentions by case (CGI ann. II 242 nonies A, Code de commerce L441-9/L441-10)."""
    mentions: list[str] = []
    if doc.vat_regime == VatRegime.FRANCHISE:
        mentions.append("TVA non applicable, art. 293 B du CGI")
    if doc.vat_regime == VatRegime.AUTOLIQUIDATION:
        # CGI art. 283-2 nonies (sous-traitance BTP) and 242 nonies A, 13°.
        mentions.append("Autoliquidation – article 283-2 nonies du CGI : TVA due par le preneur.")
    if doc.reduced_rate_attestation:
        mentions.append(_reduced_rate_mention(doc))
    if seller.get("vat_on_debits"):
        mentions.append("Option pour le paiement de la taxe d'après les débits")
    if doc.kind == Kind.QUOTE:
        # Arrêté du 24 janvier 2017 (dépannage, réparation, entretien chez un particulier):
        # the quote says whether it is charged for. Encaisse has no paid quotes.
        mentions.append("Devis gratuit.")
        if not buyer.get("is_business"):
            # A quote signed at the consumer's home is an off-premises contract: 14 days to
            # withdraw (Code de la consommation L221-18), except urgent repairs the consumer
            # asked for (L221-28, 8°); the information is due before signing (L221-5).
            mentions.append(
                "Si ce devis est signé hors de nos locaux (à votre domicile, par exemple), vous disposez d'un "
                "délai de rétractation de 14 jours à compter de la signature (art. L221-18 du Code de la "
                "consommation), sauf travaux urgents d'entretien ou de réparation que vous avez demandés (art. L221-28). "
                "Pour l'exercer, envoyez-nous avant la fin du délai le formulaire joint en dernière page ou toute "
                "déclaration dénuée d'ambiguïté (art. L221-21)."
            )
    if doc.kind in INVOICE_KINDS:
        if buyer.get("is_business"):
            mentions.append(_penalty_mention(seller.get("late_penalty_rate_bp"), due or on, doc.company_id))
            # D441-5: the 40 € fixed indemnity, printed as an amount, professional buyers only.
            mentions.append(
                f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
                f"{formatting.format_money(RECOVERY_INDEMNITY_CENTS)} (art. L441-10 et D441-5 du Code de commerce)."
            )
        else:
            mentions.append("En cas de retard de paiement, des intérêts au taux légal courent à compter de la "
                            "mise en demeure (art. 1344-1 du Code civil).")
        mentions.append(seller.get("early_payment_discount") or "Pas d'escompte pour paiement anticipé.")
    return tuple(mentions)


def _reduced_rate_mention(doc: Document) -> str:
    # 10 %: CGI art. 279-0 bis (improvement work); 5,5 %: art. 278-0 bis A (energy
    # renovation). Both require a home finished more than two years ago and the client's
    # attestation; cite only the articles of the rates the document uses.
    rates = {int(row[0]) for row in doc.vat_breakdown or ()}
    articles = [a for rate, a in ((1000, "279-0 bis"), (550, "278-0 bis A")) if rate in rates]
    cited = " et ".join(articles) or "279-0 bis"
    return ("Taux réduit de TVA appliqué sur la base de l'attestation remise par le client : travaux dans un "
            f"logement achevé depuis plus de deux ans (CGI art. {cited}).")


def _penalty_mention(contract_rate_bp: int | None, due: date, company_id: int) -> str:
    # L441-10, II: the rate must be stated; without a contract rate it is the ECB rate of the
    # half-year + 10 points. Penalties run from the day after the due date, so the figure
    # printed is the one of the due date's half-year; when that half-year's ECB rate is not
    # in our table yet, print the legal formula rather than a figure we cannot vouch for.
    tail = ("exigibles dès le lendemain de la date d'échéance, sans qu'un rappel soit nécessaire "
            "(art. L441-10 du Code de commerce).")
    if contract_rate_bp:
        return f"Pénalités de retard au taux annuel de {percent_label(contract_rate_bp)}, {tail}"
    formula = "taux de refinancement de la BCE majoré de 10 points"
    start = half_year_start(due)
    tables = load_tables(due, company_id)
    if start in tables.provisional_ecb:
        return (f"Pénalités de retard au {formula} (taux en vigueur au premier jour du semestre de l'échéance), "
                f"{tail}")
    rate = rate_on(tables.ecb, due) + ECB_PENALTY_MARGIN_BP
    half = "premier" if start.month == 1 else "second"
    return f"Pénalités de retard au {formula}, soit {percent_label(rate)} l'an au {half} semestre {start.year}, {tail}"


def _payment_terms(doc: Document, due: date | None, issue: date) -> str | None:
    if doc.kind not in INVOICE_KINDS or due is None:
        return None
    days = (due - issue).days
    when = "à réception" if days <= 0 else f"à {days} jours"
    return f"Paiement {when}, au plus tard le {formatting.format_date(due)}."


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
        quote_ref = f"devis {doc.quote.number} du {formatting.format_date(doc.quote.issue_date)}"
        if doc.kind == Kind.DEPOSIT:
            references.append(f"Acompte n° {_deposit_rank(doc)} sur le {quote_ref}")
        else:
            references.append(f"Solde du {quote_ref}")
    if doc.kind == Kind.CREDIT_NOTE and doc.credited is not None:
        references.append(f"Avoir sur la facture {doc.credited.number} du {formatting.format_date(doc.credited.issue_date)}")
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
    return DocumentView(
        kind=str(doc.kind), title=TITLES[Kind(doc.kind)], number=doc.number, is_draft=not doc.is_issued,
        issue_date=issue, seller=seller_party(seller, doc.company), buyer=buyer_party(buyer),
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
        payment_terms=_payment_terms(doc, due, issue),
        payment_methods=_payment_methods(bool(iban)) if is_invoice else None,
        iban=_spaced(iban) if iban and is_invoice else None, bic=seller.get("bic") or None,
        # The QR code's beneficiary is the account holder's legal name, without "EI" or the
        # trade name: banks check it against the account (Verification of Payee).
        payee_name=seller["name"],
        epc_qr=bool(is_invoice and iban and doc.net_cents > 0 and doc.is_issued),
        mentions=legal_mentions(doc, seller, buyer, issue, due if is_invoice else None),
        insurance=insurance, notes=doc.notes or None,
        # A quote a consumer signs at home is an off-premises contract: it comes with the model
        # withdrawal form (L221-9), detachable without cutting into the contract (Cour de
        # cassation, 1re chambre civile: a form on the back of the signed page voids the contract).
        withdrawal_form=doc.kind == Kind.QUOTE and not buyer.get("is_business"),
    )


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


def _spaced(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


_FORM_WORDS = {"SA", "SAS", "SASU", "SARL", "EURL", "EI", "SNC", "SCOP", "SELARL", "EIRL"}


def _client_slug(name: str, is_business: bool) -> str:
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
    return f"{FILE_PREFIX[Kind(doc.kind)]}-{number}-{_client_slug(name, is_business)}.pdf"


def render_pdf(doc: Document, *, today: date) -> bytes:
    """Render (not store) a document's PDF; drafts carry the BROUILLON watermark."""
    return render_document(document_view(doc, today=today))


def freeze_pdf(doc: Document) -> StoredFile:
    """Render the issued document once and store its bytes (used as `after_number` at issue).

    A render failure raises DocumentError: the caller rolls back and the document stays an
    unnumbered draft.
    """
    try:
        data = render_pdf(doc, today=doc.issue_date)
    except PdfRenderError as exc:
        raise DocumentError(f"Le PDF n'a pas pu être produit : {exc} Le document n'a pas été émis.") from None
    stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=PDF_PURPOSE,
                        filename=pdf_filename(doc), sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data)
    db.session.add(stored)
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
        stored = freeze_pdf(doc)
    return stored.filename, stored.data


def issue_with_pdf(doc: Document, actor, *, today: date):
    """Issue a draft and freeze its PDF in the same transaction."""
    return docs.issue(doc, actor, today=today, after_number=freeze_pdf)


# --- statement of account -----------------------------------------------------------


def statement_view(client: Client, *, today: date, balance_only: bool = False) -> StatementView:
    """Relevé de compte: open invoices, payments received over the last 12 months, balance.

    `balance_only` (the statement a reminder attaches, "relevé du reste à payer"): the open
    invoices and only the payments received on them, whatever their date. The client sees what
    is still due and how each figure was reached, without a year of settled history: one page
    in most cases instead of two, which halves the render time of a one-tap reminder (WeasyPrint
    lays out every table row in Python: ~5 ms a row).
    """
    company = client.company
    snap = docs.snapshot_parties(company, client)
    open_docs = db.session.scalars(
        select(Document).where(Document.client_id == client.id, Document.company_id == company.id,
                               Document.kind.in_(INVOICE_KINDS), Document.issued_at.is_not(None),
                               Document.net_cents - Document.paid_cents - Document.credited_cents > 0)
        .order_by(Document.due_date, Document.id)
    ).all()
    since = today - timedelta(days=365)
    scope = Payment.document_id.in_([d.id for d in open_docs]) if balance_only else Payment.paid_on >= since
    pays = db.session.execute(
        select(Payment, Document.number).join(Document, Payment.document_id == Document.id)
        .where(Payment.client_id == client.id, Payment.company_id == company.id, Payment.cancelled_at.is_(None), scope)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    ).all()
    rows = tuple(OpenInvoice(number=d.number, issue_date=d.issue_date, due_date=d.due_date, ttc_cents=d.net_cents,
                             paid_cents=d.paid_cents + d.credited_cents, remaining_cents=d.remaining_cents,
                             days_late=days_late(d.due_date, today)) for d in open_docs)
    return StatementView(
        seller=seller_party(snap["seller"], company), buyer=buyer_party(snap["buyer"]), statement_date=today,
        rows=rows,
        payments=tuple(PaymentReceived(date=p.paid_on, method=PAYMENT_METHOD_LABELS[PaymentMethod(p.method)],
                                       reference=p.reference, amount_cents=p.amount_cents, invoice_number=number)
                       for p, number in pays),
        total_ttc_cents=sum(r.ttc_cents for r in rows), total_paid_cents=sum(r.paid_cents for r in rows),
        total_remaining_cents=sum(r.remaining_cents for r in rows),
        total_overdue_cents=sum(r.remaining_cents for r in rows if r.days_late > 0),
        period_text="sur ces factures" if balance_only else f"depuis le {formatting.format_date(since)}",
        title="Reste à payer" if balance_only else "Relevé de compte",
        iban=_spaced(company.iban) if company.iban else None, bic=company.bic or None,
    )


def statement_pdf(client: Client, *, today: date, balance_only: bool = False) -> tuple[str, bytes]:
    """(file name, bytes) of the client's statement of account today (see statement_view)."""
    slug = _client_slug(client.name, client.is_business)
    prefix = "Reste-a-payer" if balance_only else "Releve"
    view = statement_view(client, today=today, balance_only=balance_only)
    return f"{prefix}-{today.isoformat()}-{slug}.pdf", render_statement(view)


# --- formal notice letter -----------------------------------------------------------


def formal_notice_view(invoice: Document, *, today: date, signature_name: str) -> LetterView:
    """Mise en demeure (Code civil 1344): dated, the invoice and amount, a deadline, the consequences."""
    from domain.collections.penalties import invoice_penalties

    company, client = invoice.company, invoice.client
    snap = docs.snapshot_parties(company, client)
    deadline = today + timedelta(days=company.formal_notice_deadline_days)
    pen = invoice_penalties(invoice, today)
    due = formatting.format_date(invoice.due_date)
    paragraphs = [
        f"Malgré nos relances, la facture n° {invoice.number} du {formatting.format_date(invoice.issue_date)}, "
        f"arrivée à échéance le {due}, demeure impayée à ce jour ({pen.days_late} jours de retard).",
        f"Par la présente, nous vous mettons en demeure de nous régler la somme de "
        f"{formatting.format_money(invoice.remaining_cents)} au plus tard le {formatting.format_date(deadline)}.",
    ]
    if client.is_business:
        paragraphs.append(
            "Conformément à l'article L441-10 du Code de commerce, cette somme est majorée des pénalités de retard "
            f"({formatting.format_money(pen.interest_cents)} à ce jour) et de l'indemnité forfaitaire pour frais de "
            f"recouvrement de {formatting.format_money(pen.indemnity_cents)} (article D441-5)."
        )
    else:
        paragraphs.append("Conformément à l'article 1344-1 du Code civil, la présente mise en demeure fait courir "
                          "les intérêts au taux légal sur la somme due.")
    paragraphs.append("À défaut de règlement dans ce délai, nous engagerons sans autre avis une procédure de "
                      "recouvrement judiciaire (injonction de payer), dont les frais resteront à votre charge.")
    return LetterView(
        seller=seller_party(snap["seller"], company), buyer=buyer_party(snap["buyer"]),
        place=company.city or "", letter_date=today,
        subject=f"Mise en demeure de payer – facture n° {invoice.number}", paragraphs=tuple(paragraphs),
        invoices=(OpenInvoice(number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date,
                              ttc_cents=invoice.net_cents, paid_cents=invoice.paid_cents + invoice.credited_cents,
                              remaining_cents=invoice.remaining_cents, days_late=pen.days_late),),
        amount_due_cents=invoice.remaining_cents, deadline_date=deadline, signature_name=signature_name or company.name,
    )


def formal_notice_pdf(invoice: Document, *, today: date, signature_name: str = "") -> tuple[str, bytes]:
    """(file name, bytes) of the dated formal notice letter."""
    view = formal_notice_view(invoice, today=today, signature_name=signature_name)
    return f"Mise-en-demeure-{invoice.number}-{today.isoformat()}.pdf", render_letter(view)


# --- attachments for e-mails --------------------------------------------------------


def attachments_for(doc: Document, template_key: str, *, today: date, with_statement: bool = True,
                    signature_name: str = "") -> list[Attachment]:
    """The document's PDF, plus (reminders) the statement of what remains due and, for a formal
    notice, the letter."""
    name, data = document_pdf(doc, today=today)
    files = [Attachment(name, "application/pdf", data)]
    if template_key in ("soft", "firm", "formal_notice") and with_statement:
        name, data = statement_pdf(doc.client, today=today, balance_only=True)
        files.append(Attachment(name, "application/pdf", data))
    if template_key == "formal_notice":
        letter = _store_formal_notice(doc, today=today, signature_name=signature_name)
        files.append(Attachment(letter.filename, "application/pdf", letter.data))
    return files


def formal_notice_letter(doc: Document) -> StoredFile | None:
    """The stored formal notice letter of an invoice (to print for registered post)."""
    return db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc.id,
                                                      StoredFile.purpose == LETTER_PURPOSE))


def _store_formal_notice(doc: Document, *, today: date, signature_name: str) -> StoredFile:
    # Once the notice has gone (formal_notice_at set) its letter is frozen like an invoice;
    # until then a retry re-dates it to the day it is actually sent.
    stored = formal_notice_letter(doc)
    if stored is not None and doc.formal_notice_at is not None:
        return stored
    name, data = formal_notice_pdf(doc, today=today, signature_name=signature_name)
    if stored is None:
        stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=LETTER_PURPOSE)
        db.session.add(stored)
    stored.filename, stored.data, stored.size = name, data, len(data)
    stored.sha256 = hashlib.sha256(data).hexdigest()
    db.session.flush()
    return stored
