"""PDFs of real documents, built through the domain and downloaded through the routes.

The unit tests (tests/unit/test_pdf_documents.py) check the renderer on hand-made views;
these check what the domain and output/document_files.py feed it: the issue's example
(quote → 40 % deposit → final), franchise, autoliquidation, particulier vs professionnel,
credit note, a three-page quote, the EPC QR code of an issued invoice, hostile user
text, the seller's identity (SARL capital, EI, logo, décennale) and the statement of
account, with the invoice's frozen bytes unchanged after a payment.
"""

from __future__ import annotations

import io
import re
import socket
import subprocess
from datetime import date, timedelta

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from domain.billing import documents as docs
from domain.billing import printing as document_files
from domain.billing.documents import LineInput
from domain.billing.models import Document, Kind
from domain.billing.payment_reference import format_rf, rf_for_invoice
from domain.collections import letters
from domain.core import clock
from domain.core.models import Client, Company
from extensions import db
from output import pdf
from output.formatting import format_money as money
from tests.support.builders import make_client, make_invoice, make_quote

NBSP, NNBSP = "\xa0", "\u202f"
T = date(2026, 11, 23)  # issue date of most documents here (second half-year 2026)
PASSWD_MARKER = "root:x:0:0"


# --------------------------------------------------------------------------- helpers


def pages_of(data: bytes) -> list[str]:
    """Text of each page, runs of spaces and newlines folded (Babel's NBSP/NNBSP kept)."""
    return [re.sub(r"[ \n]+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def text_of(data: bytes) -> str:
    return " ".join(pages_of(data))


def pct(value: str) -> str:
    return f"{value}{NBSP}%"


def download(client, doc_id: int, kind: str) -> tuple[str, bytes]:
    """(Content-Disposition, bytes) of a document through its download route."""
    route = "quotes" if kind == Kind.QUOTE else "invoices"
    r = client.get(f"/{route}/{doc_id}/pdf?download=1")
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.status_code
    return r.headers["Content-Disposition"], r.data


def decode_qr(data: bytes) -> list[str]:
    """The EPC QR code of page 1, decoded from the rendered page (pdftoppm + zxing-cpp)."""
    png = subprocess.run(["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", "-"],
                         input=data, capture_output=True, check=True).stdout
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "exactly one QR code on the first page"
    return results[0].text.split("\n")


def set_company(company_id: int, **fields) -> Company:
    company = db.session.get(Company, company_id)
    for name, value in fields.items():
        setattr(company, name, value)
    db.session.flush()
    return company


def pro_client(company, name="Bâtir Ensemble SAS", **fields):
    return make_client(company, name=name, kind="professionnel", siren="517320487", vat_number="FR52517320487",
                       address_line1="150 route de Vienne", postal_code="69008", city="Lyon", **fields)


def issue(doc: Document, today: date = T) -> Document:
    """Issue as the routes do: number, snapshot and frozen PDF in one transaction."""
    document_files.issue_with_pdf(doc, None, today=today)
    return doc


def png_logo() -> bytes:
    image = Image.new("RGB", (240, 80), (31, 58, 95))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def image_count(data: bytes, page: int = 0) -> int:
    return len(PdfReader(io.BytesIO(data)).pages[page].images)


# ------------------------------------------------ the issue's example: quote, deposit, final


@pytest.fixture
def example(app, company):
    """Quote (the issue's lines) → accepted → 40 % deposit on T → final 20 days later."""
    with app.app_context():
        co = db.session.get(Company, company)
        client = make_client(co, name="Hélène Dupont")
        quote = issue(make_quote(co, client, subject="Rénovation électrique", site_name="Maison Dupont",
                                 site_address="8 allée des Érables\n69130 Écully"))
        docs.accept_quote(quote, None)
        deposit = issue(docs.create_deposit(quote, None, today=T, percent_bp=4000))
        final = issue(docs.create_final(quote, None, today=T + timedelta(days=20)), T + timedelta(days=20))
        db.session.commit()
        return {"quote": (quote.id, quote.number), "deposit": (deposit.id, deposit.number),
                "final": (final.id, final.number)}


def test_example_quote(logged_in, example):
    quote_id, number = example["quote"]
    disposition, data = download(logged_in, quote_id, Kind.QUOTE)
    assert disposition == f'attachment; filename="Devis-{number}-Dupont.pdf"'
    t = text_of(data)
    for expected in [
        "Devis", f"N° {number}", "Date du devis : 23/11/2026", "Valable jusqu'au : 23/12/2026",
        "Maison Dupont", "8 allée des Érables", "Objet : Rénovation électrique",
        f"Tableau électrique 1 u 890,00{NBSP}€ {pct('10')} 890,00{NBSP}€",
        f"Main d'oeuvre 9,5 h 52,00{NBSP}€ {pct('10')} 494,00{NBSP}€",
        f"Total HT {money(196480)}",
        f"TVA {pct('20')} sur {money(12000)} {money(2400)}",
        f"TVA {pct('10')} sur {money(184480)} {money(18448)}",
        f"Total TTC {money(217328)}",
        # Bon pour accord: date, name, signature, the handwritten mention.
        "BON POUR ACCORD", "« Devis reçu avant l'exécution des travaux, bon pour accord »",
        "Date, nom et signature du client",
        "Devis gratuit.",  # arrêté du 24 janvier 2017
    ]:
        assert expected in t, expected
    assert "Net à payer" not in t and "Scannez pour payer" not in t and "BROUILLON" not in t
    assert image_count(data) == 0  # no QR code on a quote, no logo set


def test_example_deposit_invoice(logged_in, example):
    deposit_id, number = example["deposit"]
    quote_number = example["quote"][1]
    disposition, data = download(logged_in, deposit_id, Kind.DEPOSIT)
    assert disposition == f'attachment; filename="Facture-acompte-{number}-Dupont.pdf"'
    t = text_of(data)
    for expected in [
        "Facture d'acompte", f"N° {number}", "Date d'émission : 23/11/2026", "Échéance : 23/12/2026",
        f"Acompte n° 1 sur le devis {quote_number} du 23/11/2026",
        # 40 % of 2 173,28 € split over the quote's rates (CGI art. 289: VAT due on deposits).
        f"Acompte de {pct('40')} sur le devis {quote_number} – TVA {pct('10')} 1 forfait "
        f"737,92{NBSP}€ {pct('10')} 737,92{NBSP}€",
        f"Acompte de {pct('40')} sur le devis {quote_number} – TVA {pct('20')} 1 forfait "
        f"48,00{NBSP}€ {pct('20')} 48,00{NBSP}€",
        f"Total HT {money(78592)}",
        f"TVA {pct('10')} sur {money(73792)} {money(7379)}",
        f"TVA {pct('20')} sur {money(4800)} {money(960)}",
        f"Total TTC {money(86931)}", f"Net à payer {money(86931)}",
        "IBAN FR76 3000 6000 0112 3456 7890 189", "BIC AGRIFRPP",
        "Paiement à 30 jours, au plus tard le 23/12/2026.",
        # 10 %: CGI art. 279-0 bis, on the client's attestation.
        "Taux réduit de TVA appliqué sur la base de l'attestation remise par le client",
        "(CGI art. 279-0 bis)",
    ]:
        assert expected in t, expected
    fields = decode_qr(data)
    assert fields[7] == "EUR869.31"
    # The invoice's RF reference in the structured field, its number shown to the payer.
    assert fields[9:] == [rf_for_invoice(number), "", f"Facture d'acompte {number}"]
    assert f"Référence à indiquer {format_rf(rf_for_invoice(number))}" in t


def test_example_final_invoice_deducts_the_deposit(logged_in, example):
    final_id, number = example["final"]
    deposit_number = example["deposit"][1]
    _, data = download(logged_in, final_id, Kind.FINAL)
    t = text_of(data)
    for expected in [
        "Facture de solde", f"N° {number}", "Date d'émission : 13/12/2026", "Échéance : 12/01/2027",
        f"Solde du devis {example['quote'][1]} du 23/11/2026",
        f"Diagnostic 1 forfait 120,00{NBSP}€ {pct('20')} 120,00{NBSP}€",
        f"Total TTC {money(217328)}",
        # Each deposit deducted with its number and date (CGI art. 289), then the net.
        "Acomptes déduits",
        f"{deposit_number} 23/11/2026 {money(78592)} {pct('20')} : {money(960)} {pct('10')} : {money(7379)} "
        f"{money(86931)}",
        f"Acomptes déduits {money(-86931)}",
        f"Net à payer 1{NNBSP}303,97{NBSP}€",
    ]:
        assert expected in t, expected
    fields = decode_qr(data)
    assert fields[7] == "EUR1303.97" and fields[9] == rf_for_invoice(number) and fields[10] == ""


# ------------------------------------------------------------------ VAT regimes


def test_franchise_en_base(app, logged_in, company):
    with app.app_context():
        co = set_company(company, vat_regime="franchise")
        client = make_client(co, name="Marc Lefèvre")
        invoice = issue(make_invoice(co, client, vat_regime="franchise", lines=[
            LineInput(label="Dépannage chauffe-eau", unit="forfait", unit_price_cents=18000, vat_rate_bp=0)]))
        db.session.commit()
        invoice_id, vat_number = invoice.id, co.vat_number
    _, data = download(logged_in, invoice_id, Kind.INVOICE)
    t = text_of(data)
    assert "TVA non applicable, art. 293 B du CGI" in t
    # No VAT column, no VAT or TTC total; the line reads quantity, unit, unit price, total.
    assert f"Dépannage chauffe-eau 1 forfait 180,00{NBSP}€ 180,00{NBSP}€" in t
    assert "DÉSIGNATION QTÉ UNITÉ PU HT TOTAL HT" in t
    assert "TVA 0" not in t and "Total TTC" not in t
    assert f"Net à payer {money(18000)}" in t
    # The company's VAT number is not printed under the franchise.
    assert vat_number and vat_number not in t and "TVA intracom." not in t
    assert decode_qr(data)[7] == "EUR180.00"


def test_autoliquidation(app, logged_in, company):
    with app.app_context():
        co = db.session.get(Company, company)
        client = pro_client(co, name="Bâtir Ensemble SAS")
        invoice = issue(make_invoice(co, client, vat_regime="autoliquidation", lines=[
            LineInput(label="Sous-traitance plomberie, lot 4", unit="forfait", unit_price_cents=250000,
                      vat_rate_bp=2000)]))
        db.session.commit()
        invoice_id, number = invoice.id, invoice.number
        assert invoice.total_vat_cents == 0
    disposition, data = download(logged_in, invoice_id, Kind.INVOICE)
    assert disposition == f'attachment; filename="Facture-{number}-Batir-Ensemble.pdf"'
    t = text_of(data)
    assert "Autoliquidation – article 283-2 nonies du CGI : TVA due par le preneur." in t
    assert "TVA intracom. FR44732829320" in t  # seller
    assert "TVA intracom. FR52517320487" in t  # buyer (the main contractor)
    # No VAT charged: no VAT column nor VAT/TTC lines; the client pays the HT amount.
    assert f"Sous-traitance plomberie, lot 4 1 forfait {money(250000)} {money(250000)}" in t
    assert f"TVA {pct('20')}" not in t and "Total TTC" not in t
    assert f"Total HT {money(250000)} Net à payer {money(250000)}" in t
    assert decode_qr(data)[7] == "EUR2500.00"


# -------------------------------------------------- particulier vs professionnel


def test_particulier_vs_professionnel(app, logged_in, company):
    with app.app_context():
        co = db.session.get(Company, company)
        private = issue(make_invoice(co, make_client(co, name="Hélène Dupont")))
        business = issue(make_invoice(co, pro_client(co)))
        db.session.commit()
        ids = private.id, business.id
    private_text = text_of(download(logged_in, ids[0], Kind.INVOICE)[1])
    pro_text = text_of(download(logged_in, ids[1], Kind.INVOICE)[1])

    # L441-10 and D441-5: penalty rate and 40 € indemnity, printed for professional buyers only.
    indemnity = (f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
                 f"40,00{NBSP}€ (art. L441-10 et D441-5 du Code de commerce).")
    assert indemnity in pro_text
    assert "Pénalités de retard au taux de refinancement de la BCE majoré de 10 points" in pro_text
    assert "sans qu'un rappel soit nécessaire (art. L441-10 du Code de commerce)" in pro_text
    assert "40,00" not in private_text and "Indemnité forfaitaire" not in private_text
    assert "Pénalités" not in private_text
    # Consumers: legal interest from a formal notice only (Code civil 1344-1).
    assert ("des intérêts au taux légal courent à compter de la mise en demeure "
            "(art. 1344-1 du Code civil)") in private_text
    for t in (private_text, pro_text):
        assert "Pas d'escompte pour paiement anticipé." in t
    # The buyer's SIREN (décret 2022-1299) and VAT number: professional buyers only.
    assert "SIREN 517 320 487" in pro_text and "TVA intracom. FR52517320487" in pro_text
    assert "SIREN" not in private_text


@pytest.mark.parametrize("issued_on, contract_bp, expected", [
    # Due date in the first half of 2026: ECB 2,15 % + 10 points, sourced, printed as a figure.
    (date(2026, 3, 2), None, f"Pénalités de retard au taux de refinancement de la BCE majoré de 10 points, "
                             f"soit {pct('12,15')} l'an au premier semestre 2026, exigibles dès le lendemain"),
    # Second half of 2026 not sourced yet: the legal formula, never a guessed figure.
    (T, None, "Pénalités de retard au taux de refinancement de la BCE majoré de 10 points (taux en vigueur "
              "au premier jour du semestre de l'échéance), exigibles dès le lendemain"),
    # A contract rate in the company settings wins.
    (T, 1500, f"Pénalités de retard au taux annuel de {pct('15')}, exigibles dès le lendemain"),
])
def test_penalty_rate_mention(app, logged_in, company, issued_on, contract_bp, expected):
    with app.app_context():
        co = set_company(company, late_penalty_rate_bp=contract_bp)
        invoice = issue(make_invoice(co, pro_client(co), today=issued_on), issued_on)
        db.session.commit()
        invoice_id = invoice.id
    assert expected in text_of(download(logged_in, invoice_id, Kind.INVOICE)[1])


def test_credit_note_references_the_invoice(app, logged_in, company):
    with app.app_context():
        co = db.session.get(Company, company)
        invoice = issue(make_invoice(co, pro_client(co)))
        note = issue(docs.create_credit_note(invoice, None, today=T, full=False, reason="Geste commercial", lines=[
            LineInput(label="Remise commerciale", unit="forfait", unit_price_cents=5000, vat_rate_bp=2000)]))
        db.session.commit()
        invoice_number, note_id, note_number = invoice.number, note.id, note.number
    disposition, data = download(logged_in, note_id, Kind.CREDIT_NOTE)
    assert disposition == f'attachment; filename="Avoir-{note_number}-Batir-Ensemble.pdf"'
    t = text_of(data)
    assert "Avoir" in t and f"N° {note_number}" in t
    assert f"Avoir sur la facture {invoice_number} du 23/11/2026" in t
    assert f"Total HT {money(5000)}" in t and f"Total de l'avoir TTC {money(6000)}" in t
    assert "MOTIF Geste commercial" in t
    # Nothing to pay on a credit note: no due date, no QR code, no penalty mentions.
    assert "Échéance" not in t and "Net à payer" not in t and "Scannez pour payer" not in t
    assert "Indemnité forfaitaire" not in t
    assert image_count(data) == 0


# ------------------------------------------------------------ a three-page quote


def test_three_page_quote_repeats_header_number_and_page_counter(app, logged_in, company):
    lines = []
    for section in range(3):
        lines.append(LineInput(label=f"Lot {section + 1} – Salle de bains étage {section + 1}", kind="section"))
        for i in range(10):
            lines.append(LineInput(
                label=f"Fourniture et pose d'un élément sanitaire n° {section * 10 + i + 1}, finition chromée",
                description="Dépose de l'existant, raccordement, essais d'étanchéité et nettoyage",
                quantity_milli=1000 + 500 * i, unit="u", unit_price_cents=12000 + 100 * i, vat_rate_bp=1000))
    with app.app_context():
        co = db.session.get(Company, company)
        quote = issue(make_quote(co, make_client(co), lines=lines))
        db.session.commit()
        quote_id, number = quote.id, quote.number
    _, data = download(logged_in, quote_id, Kind.QUOTE)
    *page_texts, form = pages_of(data)  # a consumer's quote: the withdrawal form comes last
    assert len(page_texts) == 3
    for n, page_text in enumerate(page_texts, start=1):
        assert f"{number} · page {n} / 4" in page_text  # number and counter in every footer
        assert "DÉSIGNATION QTÉ UNITÉ PU HT TVA TOTAL HT" in page_text  # <thead> repeated
        if n > 1:
            assert page_text.startswith("DÉSIGNATION QTÉ UNITÉ")
    assert "n° 30, finition chromée" in page_texts[-1]
    assert "BON POUR ACCORD" in page_texts[-1] and "BON POUR ACCORD" not in page_texts[0]
    assert "Formulaire de rétractation" in form and f"{number} · page 4 / 4" in form


# --------------------------------------------------------------- EPC QR, identity


def test_epc_qr_of_an_invoice_issued_through_the_route(app, logged_in, company):
    with app.app_context():
        co = set_company(company, trade_name="Plomberie du Rhône")
        invoice = make_invoice(co, make_client(co), lines=[
            LineInput(label="Remplacement mitigeur", unit_price_cents=21450, vat_rate_bp=1000)])
        db.session.commit()
        invoice_id = invoice.id
    r = logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "issue-qr"})
    assert r.status_code in (302, 303)
    with app.app_context():
        invoice = db.session.get(Document, invoice_id)
        number, net, invoice_reference = invoice.number, invoice.net_cents, invoice.payment_reference
    _, data = download(logged_in, invoice_id, Kind.INVOICE)
    assert net == 23595
    fields = decode_qr(data)
    assert fields[:4] == ["BCD", "002", "1", "SCT"]
    assert fields[4] == "AGRIFRPP"
    # The beneficiary is the account holder: the legal name, without "EI" or the trade name.
    assert fields[5] == "Plomberie Test"
    assert fields[6] == "FR7630006000011234567890189"
    assert fields[7] == "EUR235.95"  # the amount due
    # The transfer's reference: the invoice's RF reference, structured (EPC069-12 field 10, so
    # free text, field 11, stays empty), and the number shown to the payer (field 12).
    assert fields[9] == invoice_reference == rf_for_invoice(number)
    assert fields[10:] == ["", f"Facture {number}"]
    # On paper, the EI mention follows the name (Code de commerce R526-26), then the trade name.
    assert "Plomberie Test EI – Plomberie du Rhône" in text_of(data)


def test_sarl_identity_logo_and_insurance(app, logged_in, company):
    with app.app_context():
        co = set_company(company, name="Martin Plomberie Chauffage", legal_form="SARL", share_capital_cents=800000,
                         rcs_rm="RCS Lyon 732 829 320", logo=png_logo(), logo_mime="image/png",
                         insurer_name="MAAF Assurances", insurer_address="Chaban, 79180 Chauray",
                         insurance_policy="RCD 184 226 731 M", insurance_coverage_area="France métropolitaine")
        quote = issue(make_quote(co, make_client(co)))
        invoice = issue(make_invoice(co, make_client(co, name="Jeanne Martin")))
        db.session.commit()
        ids = quote.id, invoice.id
    insurance = ("Assurance décennale : MAAF Assurances, Chaban, 79180 Chauray, contrat n° RCD 184 226 731 M, "
                 "couverture : France métropolitaine")
    for doc_id, kind, images in ((ids[0], Kind.QUOTE, 1), (ids[1], Kind.INVOICE, 2)):
        _, data = download(logged_in, doc_id, kind)
        t = text_of(data)
        # R123-238: form and share capital; SIRET in INSEE's groups; RCS; VAT number.
        assert f"Martin Plomberie Chauffage SARL au capital de 8{NNBSP}000{NBSP}€" in t
        assert "SIRET 732 829 320 00074 · RCS Lyon 732 829 320 · TVA intracom. FR44732829320" in t
        assert insurance in t  # loi 96-603 art. 22-2, on quotes and invoices
        assert " EI" not in t
        assert image_count(data) == images  # the logo (and the QR code on the invoice)


def test_ei_without_insurance_prints_no_insurance_line(app, logged_in, company):
    with app.app_context():
        co = db.session.get(Company, company)
        invoice = issue(make_invoice(co, make_client(co)))
        db.session.commit()
        invoice_id = invoice.id
    t = text_of(download(logged_in, invoice_id, Kind.INVOICE)[1])
    assert "Plomberie Test EI · 1 rue du Test, 69003 Lyon" in t
    assert "SIRET 732 829 320 00074 · RM 69 732 829 320" in t
    assert "au capital" not in t and "Assurance décennale" not in t


# -------------------------------------------------------------- hostile user text


@pytest.fixture
def recording_fetcher(monkeypatch):
    """Swap the process renderer for one whose fetcher records every URL it is asked for."""
    base = pdf.fetcher_class()

    class RecordingFetcher(base):
        def __init__(self):
            super().__init__()
            self.requested = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            return super().fetch(url, headers)

    fetcher = RecordingFetcher()
    monkeypatch.setattr(pdf, "_RENDERER", pdf.PdfRenderer(url_fetcher=fetcher))
    return fetcher


@pytest.fixture
def no_network(monkeypatch):
    """Record (and fail) any attempt to open a connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


HOSTILE_IMG = '<img src="file:///etc/passwd">'
HOSTILE_URL = '<img src="http://169.254.169.254/latest/meta-data/">http://169.254.169.254/'
HOSTILE_LINK = '<link rel=attachment href="file:///etc/passwd">'


def test_hostile_labels_names_and_notes_are_text_and_fetch_nothing(app, logged_in, company, recording_fetcher,
                                                                   no_network):
    with app.app_context():
        co = db.session.get(Company, company)
        client = make_client(co, name=f"Dupont {HOSTILE_LINK}", address_line1=HOSTILE_URL)
        invoice = make_invoice(
            co, client, subject='<style>@import "http://169.254.169.254/x.css";</style>Objet',
            site_name=HOSTILE_IMG, site_address="http://169.254.169.254/latest/",
            notes=f"<script>alert(1)</script>{HOSTILE_LINK}",
            lines=[LineInput(label=HOSTILE_IMG, description=HOSTILE_URL, unit_price_cents=10000, vat_rate_bp=2000),
                   LineInput(label=HOSTILE_LINK, unit_price_cents=5000, vat_rate_bp=2000)])
        db.session.commit()
        invoice_id = invoice.id
    # The draft renders on the fly, then the issue freezes it: both pass through the fetcher.
    r = logged_in.get(f"/invoices/{invoice_id}/pdf")
    assert r.status_code == 200 and "BROUILLON" in text_of(r.data)
    assert logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "hostile"}).status_code in (302, 303)
    _, data = download(logged_in, invoice_id, Kind.INVOICE)
    t = text_of(data)
    for shown in (HOSTILE_IMG, "http://169.254.169.254/", "<script>alert(1)</script>",
                  '<link rel=attachment href="file:///etc/passwd">', '<style>@import "http://169.254.169.254/x.css";'):
        assert shown in t, shown
    assert PASSWD_MARKER not in t
    # The draft embeds nothing; the issued Factur-X embeds its own XML and nothing else.
    assert b"/EmbeddedFile" not in r.data
    attachments = PdfReader(io.BytesIO(data)).attachments
    assert list(attachments) == ["factur-x.xml"] and PASSWD_MARKER.encode() not in attachments["factur-x.xml"][0]
    # Only the EPC QR code (an inline data: PNG) was ever fetched; no socket was opened.
    assert recording_fetcher.requested and all(u.startswith("data:image/png") for u in recording_fetcher.requested)
    assert no_network == []
    filename = logged_in.get(f"/invoices/{invoice_id}/pdf").headers["Content-Disposition"]
    assert re.fullmatch(r'inline; filename="Facture-F-2026-\d{4}-[A-Za-z0-9-]+\.pdf"', filename)


# ------------------------------------------------ statement, and frozen bytes after a payment


def test_payments_after_issue_go_to_the_statement_not_the_invoice(app, logged_in, company):
    today = clock.today_in("Europe/Paris")  # the routes' "today"
    with app.app_context():
        co = db.session.get(Company, company)
        client = make_client(co, name="Hélène Dupont")
        first = issue(make_invoice(co, client, today=today - timedelta(days=45)), today - timedelta(days=45))
        second = issue(make_invoice(co, client, today=today, lines=[
            LineInput(label="Entretien chaudière", unit_price_cents=12000, vat_rate_bp=1000)]), today)
        other = issue(make_invoice(co, pro_client(co)), today)  # another client's: not on the statement
        db.session.commit()
        client_id = client.id
        first_id, first_number, second_number, other_number = first.id, first.number, second.number, other.number
        first_due = first.due_date
    before = logged_in.get(f"/invoices/{first_id}/pdf")
    paid = {"amount": "100,00", "paid_on": today.isoformat(), "method": "cheque", "reference": "CHQ 0012345",
            "token": "pay-1"}
    assert logged_in.post(f"/invoices/{first_id}/payments", data=paid).status_code in (302, 303)
    after = logged_in.get(f"/invoices/{first_id}/pdf")
    assert after.data == before.data  # byte for byte: the invoice as the client received it
    assert after.headers["ETag"] == before.headers["ETag"]
    assert "Déjà réglé" not in text_of(after.data)

    r = logged_in.get(f"/clients/{client_id}/statement.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert f'filename="Releve-{today.isoformat()}-Dupont.pdf"' in r.headers["Content-Disposition"]
    t = text_of(r.data)
    late = (today - first_due).days
    for expected in [
        "Relevé de compte", f"au {today:%d/%m/%Y}", "Hélène Dupont",
        # Open invoices: number, dates, TTC, paid, remaining, days late.
        f"{first_number} {today - timedelta(days=45):%d/%m/%Y} {first_due:%d/%m/%Y} {money(16500)} "
        f"{money(10000)} {money(6500)} {late} j",
        f"{second_number} {today:%d/%m/%Y}",
        f"Total {money(16500 + 13200)} {money(10000)} {money(6500 + 13200)}",
        # Payments received: date, method, reference, invoice, amount.
        f"{today:%d/%m/%Y} Chèque CHQ 0012345 {first_number} {money(10000)}",
        f"Reste dû {money(6500 + 13200)}", f"dont échu : {money(6500)}",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
    ]:
        assert expected in t, expected
    assert other_number not in t

    # Paid in full: the invoice leaves the open list, its payments stay on the statement.
    logged_in.post(f"/invoices/{first_id}/payments", data={**paid, "amount": "65,00", "reference": "VIR",
                                                           "method": "virement", "token": "pay-2"})
    assert logged_in.get(f"/invoices/{first_id}/pdf").data == before.data
    t = text_of(logged_in.get(f"/clients/{client_id}/statement.pdf").data)
    assert f"{first_number} {today - timedelta(days=45):%d/%m/%Y}" not in t
    assert f"Virement VIR {first_number} {money(6500)}" in t and f"CHQ 0012345 {first_number}" in t
    assert f"Reste dû {money(13200)}" in t and "dont échu" not in t

    # What a reminder attaches: the open invoices and only the payments received on them.
    with app.app_context():
        pay_second = {**paid, "amount": "32,00", "reference": "ESP", "method": "especes", "token": "pay-3"}
        second_id = db.session.scalar(select(Document.id).where(Document.number == second_number))
    logged_in.post(f"/invoices/{second_id}/payments", data=pay_second)
    with app.app_context():
        client = db.session.get(Client, client_id)
        name, data = letters.statement_pdf(client, today=today, balance_only=True)
    assert name == f"Reste-a-payer-{today.isoformat()}-Dupont.pdf"
    t = text_of(data)
    assert "Reste à payer" in t and f"{second_number} {today:%d/%m/%Y}" in t
    assert f"Espèces ESP {second_number} {money(3200)}" in t
    assert first_number not in t  # settled: neither its row nor its payments
    assert f"Reste dû {money(10000)}" in t


def test_consumer_quote_states_withdrawal_period_and_business_quote_does_not(app, logged_in, company):
    from domain.core.models import Company as _Company

    with app.app_context():
        owner = db.session.get(_Company, company)
        person = make_client(owner, name="Jeanne Martin", email="j@example.fr")
        pro = make_client(owner, name="Bâtir SAS", kind="professionnel", email="b@example.fr", siren="552100554")
        ids = [make_quote(owner, person).id, make_quote(owner, pro).id]
        db.session.commit()
    pdfs = [logged_in.get(f"/quotes/{i}/pdf").data for i in ids]
    texts = [" ".join(text_of(data).split()) for data in pdfs]
    assert "délai de rétractation de 14 jours" in texts[0] and "L221-18" in texts[0]
    assert "rétractation" not in texts[1]
    # The consumer's quote ends with the model withdrawal form (R221-1 annex), alone on its
    # last page: detachable without cutting into the signed quote (L221-9).
    pages = PdfReader(io.BytesIO(pdfs[0])).pages
    last = " ".join(pages[-1].extract_text().split())
    first = " ".join(pages[0].extract_text().split())
    assert len(pages) == 2 and "Formulaire de rétractation" in last and "Devis reçu" not in last
    signed = "Devis reçu avant l'exécution des travaux"
    assert "Formulaire de rétractation" not in first and signed in first
    for expected in ["À l'attention de", "Je/nous (*) vous notifie/notifions (*)", "Nom du (des) consommateur(s)",
                     "Signature du (des) consommateur(s)", "(*) Rayez la mention inutile.", "Devis n° (brouillon)"]:
        assert expected in last, expected
    assert len(PdfReader(io.BytesIO(pdfs[1])).pages) == 1
