"""Rendered documents read back: legal content per case, pagination, watermark, QR."""

import dataclasses
import io
import re
import subprocess
from functools import cache

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from output import pdf, samples
from output.formatting import format_money

NNBSP, NBSP = "\u202f", "\xa0"


@cache
def _render(name: str) -> bytes:
    views = {
        "invoice": lambda: samples.sample_invoice_view(),
        "invoice_pro": lambda: samples.sample_invoice_view(professional=True),
        "invoice_paid": lambda: samples.sample_invoice_view(paid_cents=100000),
        "franchise": lambda: samples.sample_invoice_view(regime="franchise"),
        "autoliquidation": lambda: samples.sample_invoice_view(regime="autoliquidation"),
        "deposit": lambda: samples.sample_invoice_view(kind="deposit"),
        "final": lambda: samples.sample_invoice_view(kind="final"),
        "credit_note": lambda: samples.sample_invoice_view(kind="credit_note"),
        "draft": lambda: samples.sample_invoice_view(draft=True),
        "quote": lambda: samples.sample_quote_view(8),
        "quote_3_pages": lambda: samples.sample_quote_view(40),
        "quote_3_pages_draft": lambda: samples.sample_quote_view(40, draft=True),
    }
    return pdf.render_document(views[name]())


@cache
def pages(name: str) -> list[str]:
    """Text of each page, lines joined by spaces (Babel's NBSP/NNBSP kept)."""
    reader = PdfReader(io.BytesIO(_render(name)))
    return [re.sub(r"[ \n]+", " ", page.extract_text()) for page in reader.pages]


def text(name: str) -> str:
    return " ".join(pages(name))


def money(cents: int) -> str:
    return format_money(cents)


# --------------------------------------------------------------------- invoices


def test_invoice_for_a_private_client():
    view = samples.sample_invoice_view()
    t = text("invoice")
    for expected in [
        "Facture",
        "N° F-2026-0042",
        "Date d'émission : 23/11/2026",
        "Date des travaux : 18/11/2026",
        "Échéance : 23/12/2026",
        # seller identity, insurance
        "Martin Plomberie Chauffage",
        "SIRET 812 345 676 00017",
        "RCS Lyon 812 345 676",
        "TVA intracom. FR19 812345676",
        # décennale insurance, in the page footer (loi 96-603 art. 22-2)
        "Assurance décennale : MAAF Assurances, Chaban 79180 Chauray, "
        "contrat n° RCD 184 226 731 M, couverture : France métropolitaine",
        # buyer, site
        "Mme Claire Dubois",
        "Rénovation salle de bains",
        # lines, with section titles
        "Dépose et préparation",
        "Plomberie sanitaire",
        "Alimentation cuivre Ø 14",
        f"9,5 m 21,50{NBSP}€ 10{NBSP}% 204,25{NBSP}€",
        f"525,00{NBSP}€ 5{NBSP}% 10{NBSP}% 498,75{NBSP}€",
        # totals per rate
        f"Total HT 3{NNBSP}039,03{NBSP}€",
        f"TVA 10{NBSP}% sur 3{NNBSP}039,03{NBSP}€ 303,90{NBSP}€",
        f"Total TTC 3{NNBSP}342,93{NBSP}€",
        f"Net à payer 3{NNBSP}342,93{NBSP}€",
        # payment
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "BIC AGRIFRPP",
        "Scannez pour payer",
        samples.PENALTIES_PRIVATE,
    ]:
        assert expected in t, expected
    assert view.total_ttc_cents == 334293
    # Consumers owe no 40 € recovery indemnity, and the buyer has no SIREN.
    assert "Indemnité forfaitaire" not in t
    assert "40,00" not in t
    assert "Bon pour accord" not in t
    assert "BROUILLON" not in t


def test_buyer_identifiers_only_for_professionals():
    view = samples.sample_invoice_view()
    buyer = dataclasses.replace(view.buyer, siren="999 999 999", vat_number="FR00 999999999")
    html = pdf.get_renderer().document_html(dataclasses.replace(view, buyer=buyer))
    assert "999 999 999" not in html and "FR00" not in html
    pro = dataclasses.replace(view, buyer=buyer, buyer_is_professional=True)
    html = pdf.get_renderer().document_html(pro)
    assert "SIREN</span> 999 999 999" in html and "FR00 999999999" in html


def test_invoice_for_a_professional_client():
    t = text("invoice_pro")
    assert "Bâtir Rhône SAS" in t
    assert "SIRET 401 234 562 00015" in t
    assert "TVA intracom. FR46 401234562" in t
    assert f"Indemnité forfaitaire pour frais de recouvrement : 40,00{NBSP}€" in t
    assert samples.PENALTIES_PRO in t
    assert f"TVA 20{NBSP}%" in t


def test_franchise_en_base_has_no_vat():
    t = text("franchise")
    assert "TVA non applicable, art. 293 B du CGI" in t
    assert "Julien Roux EI" in t
    assert "TVA intracom." not in t  # the seller has no VAT number
    assert "Total TTC" not in t
    assert f"TVA 10{NBSP}%" not in t
    # No VAT column: the line reads quantity, unit, unit price, total.
    assert f"1 forfait 180,00{NBSP}€ 180,00{NBSP}€" in t
    view = samples.sample_invoice_view(regime="franchise")
    assert f"Net à payer {money(view.total_ht_cents)}" in t


def test_autoliquidation_shows_both_vat_numbers_and_no_vat():
    t = text("autoliquidation")
    assert "Autoliquidation – article 283-2 nonies du CGI" in t
    assert "TVA intracom. FR19 812345676" in t  # seller
    assert "TVA intracom. FR46 401234562" in t  # buyer
    assert "Total TTC" not in t
    assert f"Indemnité forfaitaire pour frais de recouvrement : 40,00{NBSP}€" in t


def test_deposit_invoice_references_the_quote():
    t = text("deposit")
    assert "Facture d'acompte" in t
    assert "Acompte n° 1 sur devis D-2026-0003" in t
    assert "N° F-2026-0041" in t


def test_final_invoice_deducts_each_deposit():
    view = samples.sample_invoice_view(kind="final")
    (deposit,) = view.deductions
    t = text("final")
    assert "Facture de solde" in t
    assert "Acomptes déduits" in t
    row = (
        f"F-2026-0031 05/10/2026 {money(deposit.ht_cents)} "
        f"10{NBSP}% : {money(deposit.vat_rows[0].vat_cents)} {money(deposit.ttc_cents)}"
    )
    assert row in t
    assert f"Acomptes déduits {money(-deposit.ttc_cents)}" in t
    assert f"Net à payer {money(view.total_ttc_cents - deposit.ttc_cents)}" in t
    assert view.net_to_pay_cents == view.total_ttc_cents - deposit.ttc_cents


def test_paid_and_remaining_amounts():
    view = samples.sample_invoice_view(paid_cents=100000)
    t = text("invoice_paid")
    assert f"Déjà réglé {money(-100000)}" in t
    assert f"Reste à payer {money(view.total_ttc_cents - 100000)}" in t


def test_credit_note():
    t = text("credit_note")
    assert "Avoir" in t
    assert "N° AV-2026-0004" in t
    assert "Avoir sur facture F-2026-0042 du 23/11/2026" in t
    assert "Total de l'avoir TTC" in t
    assert "Net à payer" not in t
    assert "Scannez pour payer" not in t
    assert "Échéance" not in t


# ------------------------------------------------------------------------ quotes


def test_quote_has_agreement_block_and_validity():
    t = text("quote")
    assert "Devis" in t and "N° D-2026-0003" in t
    assert "Valable jusqu'au : 02/01/2027" in t
    assert "BON POUR ACCORD" in t
    assert "« Devis reçu avant l'exécution des travaux, bon pour accord »" in t
    assert "Date, nom et signature du client" in t
    assert "Scannez pour payer" not in t
    assert "Net à payer" not in t


def test_long_quote_paginates_with_header_number_and_page_counter_on_every_page():
    page_texts = pages("quote_3_pages")
    assert len(page_texts) == 3
    for number, page_text in enumerate(page_texts, start=1):
        assert f"D-2026-0003 · page {number} / 3" in page_text
        assert "Assurance décennale : MAAF Assurances" in page_text
        # <thead> is repeated: pages 2 and 3 open with the column headers.
        assert "DÉSIGNATION QTÉ UNITÉ PU HT REMISE TVA TOTAL HT" in page_text
        if number > 1:
            assert page_text.startswith("DÉSIGNATION QTÉ UNITÉ")
    assert "BON POUR ACCORD" in page_texts[-1]


# ------------------------------------------------------------------------ drafts


def test_draft_watermark_on_every_page_and_only_on_drafts():
    draft_pages = pages("quote_3_pages_draft")
    assert len(draft_pages) == 3
    assert all("BROUILLON" in page for page in draft_pages)
    assert "BROUILLON" in text("draft")
    for name in ("invoice", "quote_3_pages", "credit_note"):
        assert "BROUILLON" not in text(name)


def test_draft_has_no_number_and_no_payment_qr():
    t = text("draft")
    assert "Brouillon, sans numéro" in t
    assert "F-2026-0042" not in t
    assert "Scannez pour payer" not in t


# ------------------------------------------------------------------------ QR code


def _decode_qr(pdf_bytes: bytes) -> str:
    png = subprocess.run(
        ["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", "-"],
        input=pdf_bytes,
        capture_output=True,
        check=True,
    ).stdout
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "exactly one QR code on the first page"
    return results[0].text


def test_epc_qr_decodes_from_the_rendered_page():
    payload = _decode_qr(_render("invoice"))
    fields = payload.split("\n")
    assert fields[:4] == ["BCD", "002", "1", "SCT"]
    assert fields[5] == "Martin Plomberie Chauffage"
    assert fields[6] == "FR7630006000011234567890189"
    assert fields[7] == "EUR3342.93"
    assert fields[10] == "F-2026-0042"


def test_epc_qr_asks_for_the_remaining_amount():
    view = samples.sample_invoice_view(paid_cents=100000)
    remaining = view.total_ttc_cents - 100000
    fields = _decode_qr(_render("invoice_paid")).split("\n")
    assert fields[7] == f"EUR{remaining // 100}.{remaining % 100:02d}"


def test_no_qr_when_nothing_left_to_pay_or_not_requested():
    paid = samples.sample_invoice_view()
    paid = dataclasses.replace(paid, paid_cents=paid.total_ttc_cents)
    assert "Scannez pour payer" not in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.render_document(paid))).pages
    )
    view = samples.sample_invoice_view(epc_qr=False)
    assert "Scannez pour payer" not in pdf.get_renderer().document_html(view)


# -------------------------------------------------------------- statement, letter


def test_statement():
    view = samples.sample_statement_view()
    reader = PdfReader(io.BytesIO(pdf.render_statement(view)))
    t = re.sub(r"[ \n]+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "Relevé de compte" in t
    assert reader.metadata.title == "Relevé de compte au 23/11/2026"
    assert (
        f"F-2026-0018 15/08/2026 14/09/2026 2{NNBSP}640,00{NBSP}€ "
        f"1{NNBSP}000,00{NBSP}€ 1{NNBSP}640,00{NBSP}€ 70 j"
    ) in t
    assert f"Reste dû {money(view.total_remaining_cents)}" in t
    assert f"dont échu : {money(view.total_overdue_cents)}" in t
    assert f"02/09/2026 Virement VIR DUBOIS CLAIRE F-2026-0018 1{NNBSP}000,00{NBSP}€" in t
    assert "Relevé au 23/11/2026 · page 1 / 1" in t


def test_formal_notice_letter():
    view = samples.sample_letter_view()
    reader = PdfReader(io.BytesIO(pdf.render_letter(view)))
    t = re.sub(r"[ \n]+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "Mise en demeure" in t
    assert "Lyon, le 23/11/2026" in t
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION" in t
    assert "Objet : Mise en demeure de payer" in t
    assert f"Somme due : 3{NNBSP}620,00{NBSP}€, à régler au plus tard le 01/12/2026." in t
    assert "F-2026-0031 05/10/2026 04/11/2026" in t
    assert "art. 1344-1 du Code civil" in t
    assert "Paul Martin" in t and "Gérant" in t
    assert reader.metadata.author == "Martin Plomberie Chauffage"
