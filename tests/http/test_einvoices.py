"""E-invoices through the pages, as an artisan makes them: every invoice kind issued by
posting the real forms is a PDF/A-3 Factur-X whose XML (read back with pypdf) is the stored
one and passes the XSD, EN 16931 and BR-FR rules with zero fatal assertion; the deposit →
final → credit-note chain says the same amounts in the XML, on the PDF and on the page;
what blocks an issue is said and linked, and no number is lost; hostile text stays text;
documents issued before e-invoices stay as they were; the check command answers in French.

Runs on SQLite and, with scripts/with-postgres.sh, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from domain.billing import documents as docs
from domain.billing import einvoicing, printing
from domain.billing.models import CatalogItem, Document, Kind, NumberSequence, StoredFile
from domain.core import clock
from domain.core.models import Client, Company
from domain.portal import links as portal
from extensions import db
from output import pdf as pdf_output
from output.formatting import format_money
from tests.support.builders import issued, make_client, make_invoice, with_company
from tests.support.einvoice import (
    amounts,
    assert_pdf_a3_facturx,
    assert_valid,
    attachment,
    pdf_text,
    text,
    xpath,
)
from tests.support.forms import document_form
from tests.support.pages import page_text
from web.urls import link_secret

TODAY = clock.today_in("Europe/Paris")
DOCUMENT = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
AGREEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
FRAMEWORK = ("/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/"
             "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")

RENOVATION_ROWS = [
    {"label": "Tableau électrique", "quantity": "1", "unit": "u", "unit_price": "890,00", "vat_rate": "1000"},
    {"label": "Isolation des combles", "quantity": "42,5", "unit": "m²", "unit_price": "31,90", "vat_rate": "550"},
    {"label": "Main d'oeuvre", "quantity": "9,5", "unit": "h", "unit_price": "52", "vat_rate": "1000",
     "discount": "5"},
    {"label": "Diagnostic", "quantity": "1", "unit": "forfait", "unit_price": "120,00", "vat_rate": "2000"},
]


# --------------------------------------------------------------------------- helpers


def business_client(logged_in, name="Bâtir Rhône SAS", siren="552 100 554 00013", **fields) -> int:
    """A business client created through its form (SIRET typed: both numbers kept)."""
    data = {"kind": "professionnel", "name": name, "siren": siren, "vat_number": "FR96552100554",
            "address_line1": "22 avenue Lionel Terray", "postal_code": "69330", "city": "Meyzieu",
            "country": "France", "contact_name": "Paul Girard", "contact_email": "compta@batir.example.fr",
            "contact_phone": ""}
    data.update(fields)
    r = logged_in.post("/clients/new", data=data)
    assert r.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', page_text(r))
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def consumer(logged_in, name="Hélène Dupont", email="helene@example.fr") -> int:
    data = {"kind": "particulier", "name": name, "address_line1": "8 allée des Érables", "postal_code": "69130",
            "city": "Écully", "country": "France", "contact_name": name, "contact_email": email}
    r = logged_in.post("/clients/new", data=data)
    assert r.status_code == 303, page_text(r)[:2000]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def new_invoice(logged_in, client_id: int, rows=RENOVATION_ROWS, **fields) -> int:
    """A standalone invoice draft, through the editor form."""
    fields.setdefault("token", f"new-{client_id}-{len(rows)}-{sorted(fields.items())}")
    r = logged_in.post("/invoices/new", data=document_form(client_id, rows, **fields))
    assert r.status_code == 303, page_text(r)[:3000]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def issue(logged_in, doc_id: int) -> None:
    """Tap "Émettre": the route issues and freezes (Factur-X) in one transaction."""
    r = logged_in.post(f"/invoices/{doc_id}/issue", data={"token": f"issue-{doc_id}"})
    assert r.status_code == 303, page_text(r)[:3000]


def frozen_einvoice(logged_in, app, doc_id: int, checker) -> tuple[bytes, bytes]:
    """(PDF, XML) of an issued invoice, proven to be one valid Factur-X: the PDF downloaded from
    the page is a PDF/A-3 Factur-X EN 16931, its attachment (pypdf) is the stored XML and the
    XML download, and it passes the XSD, EN 16931 and BR-FR rules with zero fatal failure."""
    r = logged_in.get(f"/invoices/{doc_id}/pdf?download=1")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    data = r.data
    assert_pdf_a3_facturx(data)
    xml = attachment(data)
    download = logged_in.get(f"/invoices/{doc_id}/factur-x.xml")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert download.headers["Content-Disposition"].endswith('.xml"')
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        stored = einvoicing.stored_xml(doc)
        stored_pdf = printing.stored_pdf(doc)
        assert doc.einvoice_format == einvoicing.FORMAT_FACTURX
        assert stored.data == xml == download.data
        assert stored_pdf.data == data
        number = doc.number
    assert text(xml, f"{DOCUMENT}/ram:ID") == number
    assert_valid(checker, data, number)
    return data, xml


def page_of(logged_in, doc_id: int) -> str:
    return page_text(logged_in.get(f"/invoices/{doc_id}"))


def set_company(app, company_id: int, **fields) -> None:
    with app.app_context():
        company = db.session.get(Company, company_id)
        for name, value in fields.items():
            setattr(company, name, value)
        db.session.commit()


def numbers_used(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(NumberSequence.last_value), 0)))


# ----------------------------------------------------- every kind, through the pages


def test_standalone_invoices_consumer_and_business(logged_in, app, company, einvoice_checker):
    person = consumer(logged_in)
    business = business_client(logged_in)
    to_person = new_invoice(logged_in, person)
    to_business = new_invoice(logged_in, business, site_name="Agence de Villeurbanne",
                              site_address="40 cours Émile Zola\n69100 Villeurbanne")
    for doc_id in (to_person, to_business):
        issue(logged_in, doc_id)

    _, xml = frozen_einvoice(logged_in, app, to_person, einvoice_checker)
    assert text(xml, f"{DOCUMENT}/ram:TypeCode") == "380"
    assert text(xml, f"{DOCUMENT}/ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == "B2C"
    # A consumer has no SIREN: his e-mail is the electronic address (BR-FR-12, scheme EM).
    endpoint = xpath(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID")[0]
    assert (endpoint.text, endpoint.get("schemeID")) == ("helene@example.fr", "EM")
    assert not xpath(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization")
    assert sorted(amounts(xml).vat_by_rate) == ["10.00", "20.00", "5.50"]

    pdf, xml = frozen_einvoice(logged_in, app, to_business, einvoice_checker)
    buyer = f"{AGREEMENT}/ram:BuyerTradeParty"
    assert text(xml, f"{DOCUMENT}/ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == "B2B"
    # The four mentions of the reform: buyer SIREN (and SIRET), delivery address, category,
    # VAT on debits (elsewhere); on the PDF and in the XML.
    assert text(xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == "552100554"  # BT-47
    assert text(xml, f"{buyer}/ram:GlobalID[@schemeID='0009']") == "55210055400013"  # BT-46
    assert text(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == "552100554"
    ship_to = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/" \
              "ram:ShipToTradeParty"
    assert text(xml, f"{ship_to}/ram:PostalTradeAddress/ram:CityName") == "Villeurbanne"
    assert text(xml, FRAMEWORK) == "S1"  # services, from the lines (no catalogue supply)
    printed = pdf_text(pdf)
    for shown in ("SIREN 552 100 554", "SIRET 552 100 554 00013", "40 cours Émile Zola",
                  "Opération : Prestation de services", "Indemnité forfaitaire pour frais de recouvrement"):
        assert shown in printed, shown
    page = page_of(logged_in, to_business)
    assert 'id="xml-download"' in page and "Factur-X (EN 16931)" in page


def test_category_from_the_catalogue_or_chosen_on_the_form(logged_in, app, company, einvoice_checker):
    with app.app_context():
        db.session.add(CatalogItem(company_id=company, kind="fourniture", label="Radiateur fonte 1 200 W", unit="u",
                                   unit_price_cents=38900, vat_rate_bp=2000))
        db.session.commit()
    business = business_client(logged_in)
    supply = [{"label": "Radiateur fonte 1 200 W", "quantity": "2", "unit": "u", "unit_price": "389",
               "vat_rate": "2000"}]
    goods = new_invoice(logged_in, business, rows=supply)
    mixed = new_invoice(logged_in, business, rows=[*supply, {"label": "Pose", "quantity": "3", "unit": "h",
                                                             "unit_price": "52", "vat_rate": "2000"}])
    chosen = new_invoice(logged_in, business, rows=supply, operation_category="services")
    assert "Livraison de biens (d'après les lignes)" in page_of(logged_in, goods)
    for doc_id in (goods, mixed, chosen):
        issue(logged_in, doc_id)
    expected = {goods: ("B1", "Livraison de biens"), mixed: ("M1", "Livraison de biens et prestation de services"),
                chosen: ("S1", "Prestation de services")}
    for doc_id, (code, label) in expected.items():
        pdf, xml = frozen_einvoice(logged_in, app, doc_id, einvoice_checker)
        assert text(xml, FRAMEWORK) == code
        assert f"Opération : {label}" in pdf_text(pdf)
    with app.app_context():
        # Frozen at issue: a catalogue change later does not change what was issued.
        assert db.session.get(Document, goods).operation_category == "goods"


def test_vat_regimes_franchise_autoliquidation_and_vat_on_debits(logged_in, app, company, einvoice_checker):
    business = business_client(logged_in)
    subcontract = new_invoice(logged_in, business, vat_regime="autoliquidation",
                              rows=[{"label": "Lot plomberie", "quantity": "1", "unit": "forfait",
                                     "unit_price": "12500", "vat_rate": "2000"}])
    issue(logged_in, subcontract)
    _, xml = frozen_einvoice(logged_in, app, subcontract, einvoice_checker)
    assert {t.text for t in xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode")} == {"AE"}
    assert text(xml, f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    assert text(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR96552100554"
    assert amounts(xml).vat == 0 and amounts(xml).due == 1250000

    set_company(app, company, vat_on_debits=True)
    on_debits = new_invoice(logged_in, business)
    issue(logged_in, on_debits)
    pdf, xml = frozen_einvoice(logged_in, app, on_debits, einvoice_checker)
    assert "Option pour le paiement de la taxe d'après les débits" in pdf_text(pdf)
    assert {t.text for t in xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:DueDateTypeCode")} == {"5"}  # BT-8
    assert any("d'après les débits" in t.text for t in xpath(xml, f"{DOCUMENT}/ram:IncludedNote/ram:Content"))

    set_company(app, company, vat_regime="franchise", vat_number="", vat_on_debits=False)
    person = consumer(logged_in, name="Marc Lefèvre", email="marc@example.fr")
    franchise = new_invoice(logged_in, person, vat_regime="franchise",
                            rows=[{"label": "Mise en conformité", "quantity": "1", "unit": "forfait",
                                   "unit_price": "650", "vat_rate": "0"}])
    issue(logged_in, franchise)
    pdf, xml = frozen_einvoice(logged_in, app, franchise, einvoice_checker)
    assert "TVA non applicable, art. 293 B du CGI" in pdf_text(pdf)
    assert text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == "VATEX-FR-FRANCHISE"
    # No VAT number: the SIREN identifies the seller for tax (BT-32, scheme FC; rule BR-E-02).
    assert text(xml, f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") \
        == "732829320"
    assert not xpath(xml, f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")


def test_penalty_invoice(logged_in, app, company, einvoice_checker):
    business = business_client(logged_in)

    def late_invoice(c, u):
        client = db.session.get(Client, business)
        return printing.issue_with_pdf(make_invoice(c, client, u, today=TODAY - timedelta(days=90)), u,
                                       today=TODAY - timedelta(days=90)).id
    late = with_company(app, company, late_invoice)
    r = logged_in.post(f"/reminders/documents/{late}/penalty-invoice")
    assert r.status_code == 303
    penalty = int(r.headers["Location"].rstrip("/").split("/")[-1])
    issue(logged_in, penalty)
    pdf, xml = frozen_einvoice(logged_in, app, penalty, einvoice_checker)
    assert "Indemnité forfaitaire pour frais de recouvrement" in pdf_text(pdf)
    assert amounts(xml).vat == 0 and amounts(xml).ttc >= 4000  # 40 € indemnity + interest, outside VAT


# ---------------------------------------- the chain: quote → deposit → final → credit note


def _quote(logged_in, client_id) -> int:
    r = logged_in.post("/quotes/new", data=document_form(client_id, RENOVATION_ROWS, token="quote-1",
                                                         site_name="Maison Dupont",
                                                         site_address="3 chemin du Moulin\n38200 Vienne"))
    assert r.status_code == 303
    quote = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert logged_in.post(f"/quotes/{quote}/issue", data={"token": "quote-issue"}).status_code == 303
    assert logged_in.post(f"/quotes/{quote}/accept").status_code == 303
    return quote


def _created(response) -> int:
    assert response.status_code == 303, page_text(response)[:2000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _same_amounts_everywhere(logged_in, app, doc_id, checker) -> tuple[bytes, object]:
    """The totals in the XML are the ones printed on the PDF and shown on the invoice page."""
    pdf, xml = frozen_einvoice(logged_in, app, doc_id, checker)
    figures = amounts(xml)
    printed, page = pdf_text(pdf), page_of(logged_in, doc_id)
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        stored = (doc.total_ht_cents, doc.total_vat_cents, doc.total_ttc_cents, doc.net_cents, doc.kind)
    assert (figures.ht, figures.vat, figures.ttc) == stored[:3]
    shown = [figures.ht, figures.ttc, *figures.vat_by_rate.values()]
    if stored[4] != Kind.CREDIT_NOTE:
        assert figures.due == stored[3]
        shown.append(figures.due)
    for cents in shown:
        assert format_money(cents) in printed, (doc_id, format_money(cents), "PDF")
        assert format_money(cents) in page, (doc_id, format_money(cents), "page")
    return xml, figures


def test_deposit_final_credit_note_chain_says_the_same_everywhere(logged_in, app, company, einvoice_checker):
    client_id = business_client(logged_in)
    quote = _quote(logged_in, client_id)
    deposit = _created(logged_in.post(f"/quotes/{quote}/deposits", data={"token": "deposit", "percent": "30"}))
    issue(logged_in, deposit)
    final = _created(logged_in.post(f"/quotes/{quote}/final", data={"token": "final"}))
    issue(logged_in, final)
    note = _created(logged_in.post(f"/invoices/{final}/credit-notes/new", data=document_form(
        client_id, [{"label": "Geste commercial", "quantity": "1", "unit": "forfait", "unit_price": "100",
                     "vat_rate": "1000"}], token="credit", reason="Geste commercial")))
    issue(logged_in, note)
    with app.app_context():
        numbers = {d.id: (d.number, d.issue_date) for d in db.session.scalars(select(Document))}
        quote_number = numbers[quote][0]

    xml, figures = _same_amounts_everywhere(logged_in, app, deposit, einvoice_checker)
    assert text(xml, f"{DOCUMENT}/ram:TypeCode") == "386"  # prepayment invoice
    assert text(xml, f"{AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID") == quote_number
    deposit_ttc = figures.ttc

    xml, figures = _same_amounts_everywhere(logged_in, app, final, einvoice_checker)
    assert text(xml, f"{DOCUMENT}/ram:TypeCode") == "380"
    assert text(xml, FRAMEWORK) == "S4"  # final invoice after deposits (BR-FR-08)
    # The deposit invoice is referenced (BG-3) and what it asked is deducted (BT-113).
    assert text(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == numbers[deposit][0]
    assert figures.prepaid == deposit_ttc and figures.due == figures.ttc - deposit_ttc
    assert f"− {format_money(deposit_ttc)}" in page_of(logged_in, final)

    xml, figures = _same_amounts_everywhere(logged_in, app, note, einvoice_checker)
    assert text(xml, f"{DOCUMENT}/ram:TypeCode") == "381"
    assert text(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == numbers[final][0]
    assert figures.ttc == 11000 and figures.vat_by_rate == {"10.00": 1000}
    # The final invoice's balance went down by the credit note.
    with app.app_context():
        final_doc = db.session.get(Document, final)
        assert final_doc.remaining_cents == final_doc.net_cents - 11000


def test_full_credit_note_of_a_deposit(logged_in, app, company, einvoice_checker):
    client_id = business_client(logged_in)
    quote = _quote(logged_in, client_id)
    deposit = _created(logged_in.post(f"/quotes/{quote}/deposits", data={"token": "deposit", "amount": "1000"}))
    issue(logged_in, deposit)
    note = _created(logged_in.post(f"/invoices/{deposit}/credit-notes", data={"token": "full", "reason": "Annulé"}))
    issue(logged_in, note)
    xml, figures = _same_amounts_everywhere(logged_in, app, note, einvoice_checker)
    assert figures.ttc == 100000


# ------------------------------------------------------------- what blocks an issue


def test_missing_siren_and_iban_are_said_and_linked_and_no_number_is_used(logged_in, app, company):
    set_company(app, company, iban="")
    client_id = business_client(logged_in, siren="")
    draft = new_invoice(logged_in, client_id)
    page = logged_in.get(f"/invoices/{draft}").text
    block = page[page.index('id="einvoice-missing"'):]
    assert f'href="/clients/{client_id}/edit#field-siren"' in block and 'href="/settings/#field-iban"' in block
    assert re.search(r'<button type="submit"[^>]*disabled[^>]*>Émettre la facture', page)

    r = logged_in.post(f"/invoices/{draft}/issue", data={"token": "blocked"}, headers={"HX-Request": "true"})
    said = page_text(r)
    assert "Pour émettre cette facture électronique, complétez d'abord : le SIREN (ou SIRET) du client " \
           "« Bâtir Rhône SAS », l'IBAN de votre entreprise." in said
    assert "aucun numéro n'a été utilisé" in said
    with app.app_context():
        doc = db.session.get(Document, draft)
        assert doc.number is None and doc.issued_at is None
        assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    assert numbers_used(app) == 0

    # Filled in where the links lead: the next issue takes the first number, no gap.
    r = logged_in.post(f"/clients/{client_id}/edit", data={
        "kind": "professionnel", "name": "Bâtir Rhône SAS", "siren": "552100554", "vat_number": "",
        "address_line1": "22 avenue Lionel Terray", "postal_code": "69330", "city": "Meyzieu", "country": "France"})
    assert r.status_code == 303
    set_company(app, company, iban="FR7630006000011234567890189")
    assert 'id="einvoice-missing"' not in logged_in.get(f"/invoices/{draft}").text
    issue(logged_in, draft)
    with app.app_context():
        assert db.session.get(Document, draft).number == f"F-{TODAY.year}-0001"


def test_company_without_siret_is_sent_to_its_settings(logged_in, app, company):
    set_company(app, company, siret="")
    draft = new_invoice(logged_in, consumer(logged_in))
    assert 'href="/settings/#field-siret"' in logged_in.get(f"/invoices/{draft}").text
    said = page_text(logged_in.post(f"/invoices/{draft}/issue", data={"token": "t"}))
    assert "le SIRET de votre entreprise" in said
    assert numbers_used(app) == 0


def test_consumer_without_email_is_advised_not_refused(logged_in, app, company, einvoice_checker):
    person = consumer(logged_in, name="Jeanne Martin", email="")
    draft = new_invoice(logged_in, person)
    page = page_of(logged_in, draft)
    assert "Ajoutez l'e-mail du client" in page and 'id="einvoice-missing"' not in page
    issue(logged_in, draft)
    data = logged_in.get(f"/invoices/{draft}/pdf").data
    report = einvoice_checker.check(data)
    # What an e-mail would fix, and nothing else: the invoice is not exchanged between platforms.
    assert report.rule_ids() == {"BR-FR-12_BT-49"} and not report.xsd_errors


def test_an_xml_the_xsd_rejects_is_refused_and_numbers_nothing(logged_in, app, company, monkeypatch):
    draft = new_invoice(logged_in, consumer(logged_in))
    real = einvoicing.cii_xml

    def without_number(view):
        return real(view).replace(f"<ram:ID>{view.number}</ram:ID>".encode(), b"", 1)

    monkeypatch.setattr(einvoicing, "cii_xml", without_number)
    said = page_text(logged_in.post(f"/invoices/{draft}/issue", data={"token": "xsd"}))
    assert "ne respecte pas le format Factur-X (schéma XSD)" in said and "n'a pas été émis" in said
    with app.app_context():
        assert db.session.get(Document, draft).number is None
        assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    assert numbers_used(app) == 0
    monkeypatch.undo()
    issue(logged_in, draft)
    with app.app_context():
        assert db.session.get(Document, draft).number == f"F-{TODAY.year}-0001"


# --------------------------------------------------------------------------- hostile text


def test_hostile_text_stays_text_in_the_xml(logged_in, app, company, einvoice_checker):
    hostile = '</ram:Name><ram:ID>666</ram:ID> & "quotes" \'apos\' <![CDATA[x]]> ]]> &amp; &#x41;'
    client_id = business_client(logged_in, name=f"Client {hostile}"[:200])
    draft = new_invoice(logged_in, client_id, subject=hostile[:200], notes=f"Note {hostile}", rows=[
        {"label": hostile, "description": f"<script>alert(1)</script>\u0007{hostile}", "quantity": "1",
         "unit": hostile[:20], "unit_price": "100", "vat_rate": "2000"}])
    issue(logged_in, draft)
    _, xml = frozen_einvoice(logged_in, app, draft, einvoice_checker)
    names = xpath(xml, "//ram:SpecifiedTradeProduct/ram:Name")
    assert [n.text for n in names] == [hostile]
    description = text(xml, "//ram:SpecifiedTradeProduct/ram:Description")
    assert description == f"<script>alert(1)</script>{hostile}"  # the bell character is dropped
    assert text(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:Name") == f"Client {hostile}"
    assert b"<ram:ID>666</ram:ID>" not in xml and b"<script>" not in xml
    assert len(xpath(xml, f"{DOCUMENT}/ram:ID")) == 1


# ------------------------------------------------ downloads, the client link, old documents


def test_client_link_serves_the_same_frozen_bytes(logged_in, app, company, einvoice_checker):
    draft = new_invoice(logged_in, business_client(logged_in))
    issue(logged_in, draft)
    pdf, _ = frozen_einvoice(logged_in, app, draft, einvoice_checker)
    with app.app_context():
        link = portal.ensure_link(db.session.get(Document, draft), secret=link_secret())
        db.session.commit()
        token = link.token
    logged_in.post("/logout")
    r = logged_in.get(f"/c/{token}/pdf")
    assert r.status_code == 200 and r.data == pdf


def _issued_before_einvoices(app, company_id) -> int:
    """An invoice frozen the way Encaisse did before e-invoices: a plain PDF, no XML."""
    def build(c, u):
        client = make_client(c, name="Bâtir Ancien SAS", kind="professionnel", siren="552100554",
                             vat_number="FR96552100554")
        doc = issued(make_invoice(c, client, u, today=TODAY - timedelta(days=400)), u, TODAY - timedelta(days=400))
        data = pdf_output.render_document(printing.document_view(doc, today=doc.issue_date))
        db.session.add(StoredFile(company_id=c.id, document_id=doc.id, purpose=printing.PDF_PURPOSE,
                                  filename=printing.pdf_filename(doc), sha256="0" * 64, size=len(data), data=data))
        doc.einvoice_format = None
        return doc.id
    return with_company(app, company_id, build)


def test_documents_issued_before_einvoices_stay_as_they_were(logged_in, app, company, einvoice_checker, tmp_path):
    old = _issued_before_einvoices(app, company)
    with app.app_context():
        before = printing.stored_pdf(db.session.get(Document, old)).data
        number = db.session.get(Document, old).number
    r = logged_in.get(f"/invoices/{old}/pdf")
    assert r.data == before and b"factur-x.xml" not in r.data
    page = page_of(logged_in, old)
    assert "émise avant la facture électronique" in page and 'id="xml-download"' not in page
    assert logged_in.get(f"/invoices/{old}/factur-x.xml").status_code == 404

    # The export builds its XML from what was issued, and touches nothing.
    out = tmp_path / "ancienne.xml"
    result = app.test_cli_runner().invoke(args=["einvoice", "export-xml", number, "-o", str(out), "--check"])
    assert result.exit_code == 0, result.output
    assert "émis avant la facture électronique" in result.output and "Résultat : CONFORME" in result.output
    assert_valid(einvoice_checker, out.read_bytes(), number)
    with app.app_context():
        doc = db.session.get(Document, old)
        assert printing.stored_pdf(doc).data == before and doc.einvoice_format is None
        assert db.session.scalar(select(func.count(StoredFile.id)).where(
            StoredFile.purpose == einvoicing.XML_PURPOSE)) == 0


def test_an_invoice_issued_without_files_is_frozen_as_a_facturx_on_first_download(logged_in, app, company,
                                                                                  einvoice_checker):
    """Imported data: issued, never frozen. Its first download freezes it, as a Factur-X."""
    def build(c, u):
        client = make_client(c, name="Importée SAS", kind="professionnel", siren="552100554")
        return issued(make_invoice(c, client, u, today=TODAY), u, TODAY).id
    doc_id = with_company(app, company, build)
    with app.app_context():
        assert printing.stored_pdf(db.session.get(Document, doc_id)) is None
    frozen_einvoice(logged_in, app, doc_id, einvoice_checker)


def test_export_of_a_factur_x_gives_its_frozen_xml(logged_in, app, company, einvoice_checker):
    draft = new_invoice(logged_in, consumer(logged_in))
    issue(logged_in, draft)
    _, xml = frozen_einvoice(logged_in, app, draft, einvoice_checker)
    with app.app_context():
        number = db.session.get(Document, draft).number
    result = app.test_cli_runner().invoke(args=["einvoice", "export-xml", number])
    assert result.exit_code == 0 and result.stdout_bytes.endswith(xml)
    result = app.test_cli_runner().invoke(args=["einvoice", "export-xml", "F-1999-0001"])
    assert result.exit_code == 1 and "Aucun document émis sous le numéro F-1999-0001" in result.output


# --------------------------------------------------------------------- the check command


def test_check_command_on_a_good_and_a_bad_file(logged_in, app, company, einvoice_checker, tmp_path):
    draft = new_invoice(logged_in, business_client(logged_in))
    issue(logged_in, draft)
    pdf, xml = frozen_einvoice(logged_in, app, draft, einvoice_checker)
    runner = app.test_cli_runner()
    good = tmp_path / "facture.pdf"
    good.write_bytes(pdf)
    result = runner.invoke(args=["einvoice", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "PDF : PDF/A-3b, Factur-X EN 16931" in result.output
    assert "0 erreur(s) bloquante(s)" in result.output and "Résultat : CONFORME" in result.output

    # The buyer's SIREN removed: the rules that need it fail, each printed with id, place, message.
    bad = tmp_path / "rejetee.xml"
    bad.write_bytes(re.sub(rb"<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">552100554</ram:ID>"
                           rb"</ram:SpecifiedLegalOrganization>", b"", xml))
    result = runner.invoke(args=["einvoice", "check", str(bad)])
    assert result.exit_code == 1
    assert "[bloquant] BR-FR-11_BT-47 (BR-FR)" in result.output
    assert "où : /CrossIndustryInvoice[1]" in result.output
    assert "le SIREN de l’acheteur (BT-47, ram:ID) est obligatoire" in result.output
    assert "Résultat : NON CONFORME" in result.output

    junk = tmp_path / "notes.txt"
    junk.write_text("pas une facture")
    result = runner.invoke(args=["einvoice", "check", str(junk)])
    assert result.exit_code == 2 and "Illisible comme facture électronique" in result.output


def test_check_command_reads_ubl_too(app, tmp_path):
    sample = (Path(__file__).resolve().parents[1] / "data" / "einvoice" / "ubl-invoice.xml").read_bytes()
    good = tmp_path / "ubl-invoice.xml"
    good.write_bytes(sample)
    result = app.test_cli_runner().invoke(args=["einvoice", "check", str(good)])
    assert result.exit_code == 0 and "Fichier : ubl-invoice.xml (UBL, profil EN16931)" in result.output
    # Without its invoice number (BT-1) the same file fails, and says which rules.
    bad = tmp_path / "ubl-sans-numero.xml"
    bad.write_bytes(re.sub(rb"<cbc:ID>[^<]*</cbc:ID>", b"", sample, count=1))
    result = app.test_cli_runner().invoke(args=["einvoice", "check", str(bad)])
    assert result.exit_code == 1 and "Résultat : NON CONFORME" in result.output
    assert re.search(r"\[bloquant\] (BR-02|BR-FR-\S+) \((EN16931|BR-FR)\)", result.output), result.output


def test_quotes_stay_plain_pdfs(logged_in, app, company):
    quote = _quote(logged_in, business_client(logged_in))
    data = logged_in.get(f"/quotes/{quote}/pdf").data
    assert b"factur-x.xml" not in data and b"/EmbeddedFile" not in data
    with app.app_context():
        assert db.session.get(Document, quote).einvoice_format is None
        assert db.session.scalar(select(func.count(StoredFile.id)).where(
            StoredFile.purpose == einvoicing.XML_PURPOSE)) == 0


def test_issue_refusals_keep_drafts_editable(logged_in, app, company):
    """A refused issue leaves a draft that edits as before (nothing frozen half-way)."""
    set_company(app, company, iban="")
    client_id = business_client(logged_in, siren="")
    draft = new_invoice(logged_in, client_id)
    logged_in.post(f"/invoices/{draft}/issue", data={"token": "x"})
    assert logged_in.get(f"/invoices/{draft}/edit").status_code == 200
    with app.app_context():
        docs.delete_draft(db.session.get(Document, draft), None)
        db.session.commit()
