"""The Factur-X XML read back: every figure is the view's, every mention has its place.

The official schematrons run in test_check.py; these tests read the XML itself, so they
say which business term is wrong when something moves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from output.einvoice import cii
from output.einvoice.check import check_xsd
from output.einvoice.cii import EInvoiceError, cii_xml
from output.views import Line

from . import cases
from .cases import section
from .reading import cents, parse, text, texts, xpath

SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
AGREEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
SELLER = f"{AGREEMENT}/ram:SellerTradeParty"
BUYER = f"{AGREEMENT}/ram:BuyerTradeParty"
DELIVERY = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery"
LINES = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
NOTES = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote"


def _xml(name: str):
    view = cases.ALL[name]()
    return view, parse(cii_xml(view))


def _notes(root, subject: str) -> list[str]:
    return texts(root, f"{NOTES}[ram:SubjectCode='{subject}']/ram:Content")


# ------------------------------------------------------------------------- figures


@pytest.mark.parametrize("name", sorted(cases.ALL))
def test_every_amount_is_the_views_to_the_cent(name):
    view, root = _xml(name)
    items = [line for line in view.lines if line.kind == "item"]

    line_totals = [cents(v) for v in texts(root, f"{LINES}//ram:LineTotalAmount")]
    assert line_totals == [line.total_ht_cents for line in items]
    assert cents(text(root, f"{SUMMATION}/ram:LineTotalAmount")) == view.total_ht_cents  # BT-106
    assert cents(text(root, f"{SUMMATION}/ram:TaxBasisTotalAmount")) == view.total_ht_cents  # BT-109
    assert cents(text(root, f"{SUMMATION}/ram:TaxTotalAmount[@currencyID='EUR']")) == view.total_vat_cents  # BT-110
    assert cents(text(root, f"{SUMMATION}/ram:GrandTotalAmount")) == view.total_ttc_cents  # BT-112
    prepaid = sum(d.ttc_cents for d in view.deductions) + view.paid_cents
    assert [cents(v) for v in texts(root, f"{SUMMATION}/ram:TotalPrepaidAmount")] == ([prepaid] if prepaid else [])
    assert cents(text(root, f"{SUMMATION}/ram:DuePayableAmount")) == view.amount_to_pay_cents  # BT-115

    breakdown = [(text(tax, "ram:RateApplicablePercent"), cents(text(tax, "ram:BasisAmount")),
                  cents(text(tax, "ram:CalculatedAmount")))
                 for tax in xpath(root, f"{SETTLEMENT}/ram:ApplicableTradeTax")]
    if view.vat_regime == "normal":
        assert breakdown == [(cii.rate(r.rate_bp), r.base_cents, r.vat_cents) for r in view.vat_rows]
    else:
        assert breakdown == [("0.00", view.total_ht_cents, 0)]


@pytest.mark.parametrize("name", sorted(cases.ALL))
def test_each_line_is_quantity_times_net_price_rounded_once(name):
    _, root = _xml(name)
    for element in xpath(root, LINES):
        net = Decimal(text(element, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"))
        qty = Decimal(text(element, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"))
        total = Decimal(text(element, ".//ram:LineTotalAmount"))
        assert (qty * net).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") == total
        gross = xpath(element, "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice")
        if gross:  # BT-146 = BT-148 - BT-147, exactly
            assert Decimal(text(gross[0], "ram:ChargeAmount")) - Decimal(
                text(gross[0], "ram:AppliedTradeAllowanceCharge/ram:ActualAmount")) == net


def test_line_discount_travels_in_the_net_price_exactly():
    _, root = _xml("standard_multi_rate")
    lines = {text(e, "ram:SpecifiedTradeProduct/ram:Name"): e for e in xpath(root, LINES)}
    paroi = lines["Paroi de douche fixe 120 cm"]  # 525,00 € - 5 %
    assert text(paroi, ".//ram:GrossPriceProductTradePrice/ram:ChargeAmount") == "525.00"
    assert text(paroi, ".//ram:AppliedTradeAllowanceCharge/ram:ActualAmount") == "26.25"
    assert text(paroi, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount") == "498.75"
    raccords = lines["Lot de raccords à sertir"]  # 2 x 18,90 € - 3,33 %: a price with 5 decimals
    assert text(raccords, ".//ram:AppliedTradeAllowanceCharge/ram:ActualAmount") == "0.62937"
    assert text(raccords, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount") == "18.27063"
    assert text(raccords, ".//ram:LineTotalAmount") == "36.54"
    assert not xpath(lines["Location nacelle"], ".//ram:GrossPriceProductTradePrice")


def test_number_formats():
    assert (cii.amount(123456), cii.amount(-5), cii.amount(0)) == ("1234.56", "-0.05", "0.00")
    assert [cii.quantity(q) for q in (9500, 1000, 125, 12600)] == ["9.5", "1", "0.125", "12.6"]
    assert (cii.rate(2000), cii.rate(550), cii.rate(210), cii.rate(0)) == ("20.00", "5.50", "2.10", "0.00")
    with pytest.raises(TypeError):
        cii.amount(12.5)
    with pytest.raises(TypeError):
        cii.amount(True)


# ------------------------------------------------------------------- document kind


@pytest.mark.parametrize("name, type_code, framework", [
    ("consumer", "380", "S1"),
    ("goods", "380", "B1"),
    ("services", "380", "S1"),
    ("standard_multi_rate", "380", "M1"),
    ("deposit", "386", "M1"),
    ("final_after_two_deposits", "380", "M4"),
    ("credit_note", "381", "S1"),
])
def test_type_code_and_billing_framework(name, type_code, framework):
    _, root = _xml(name)
    assert text(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode") == type_code  # BT-3
    assert text(root, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == framework  # BT-23
    assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"


def test_units_are_recommendation_20_codes():
    view, root = _xml("standard_multi_rate")
    units = [line.unit for line in view.lines if line.kind == "item"]
    codes = [e.get("unitCode") for e in xpath(root, f"{LINES}//ram:BilledQuantity")]
    assert dict(zip(units, codes, strict=True)) == {"forfait": "LS", "u": "C62", "ml": "MTR", "m²": "MTK", "h": "HUR",
                                       "kg": "KGM", "lot": "LO", "ens.": "SET", "m³": "MTQ", "jour": "DAY"}


def test_a_unit_without_code_is_sent_as_one_and_printed_in_the_line_note():
    view = cases.consumer()
    line = dataclasses.replace(view.lines[1], unit="palette")
    root = parse(cii_xml(dataclasses.replace(view, lines=(section("Fournitures"), view.lines[0], line))))
    assert [e.get("unitCode") for e in xpath(root, f"{LINES}//ram:BilledQuantity")] == ["LS", "C62"]
    assert texts(root, f"{LINES}/ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content") == [
        "Fournitures", "Unité : palette"]


def test_section_titles_become_the_next_lines_note():
    _, root = _xml("standard_multi_rate")
    assert texts(root, f"{LINES}/ram:AssociatedDocumentLineDocument/ram:LineID") == [str(i) for i in range(1, 13)]
    assert texts(root, f"{LINES}/ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content") == [
        "Dépose et préparation", "Plomberie"]


# ---------------------------------------------------------------------------- notes


def test_professional_buyer_gets_the_printed_payment_mentions_once_each():
    _, root = _xml("business_siren_siret")
    assert _notes(root, "BAR") == ["B2B"]
    assert _notes(root, "PMD") == [cases.PENALTY_PRO]
    assert _notes(root, "PMT") == [cases.INDEMNITY_PRO]
    assert _notes(root, "AAB") == [cases.NO_DISCOUNT]
    assert cases.PENALTY_PRO not in _notes(root, "REG")


def test_consumer_notes_say_there_is_no_indemnity():
    _, root = _xml("consumer")
    assert _notes(root, "BAR") == ["B2C"]
    assert _notes(root, "PMD") == [cases.PENALTY_CONSUMER]
    assert _notes(root, "PMT") == [cii.CONSUMER_NO_INDEMNITY]
    assert _notes(root, "AAB") == [cases.NO_DISCOUNT]


def test_credit_note_notes_and_terms():
    _, root = _xml("credit_note")
    assert _notes(root, "PMD") == [cii.CREDIT_NOTE_NO_PENALTY]
    assert _notes(root, "PMT") == [cii.CREDIT_NOTE_NO_INDEMNITY]
    assert _notes(root, "AAB") == [cii.CREDIT_NOTE_NO_DISCOUNT]
    assert _notes(root, "AAI") == ["Avoir sur la facture F-2027-0042 du 15/09/2027", "Geste commercial."]
    # BR-CO-25: an amount due needs terms or a due date; no payment means on a credit note.
    assert text(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description") == \
        "Avoir sur la facture F-2027-0042 du 15/09/2027"
    assert not xpath(root, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans")


def test_explicit_payment_texts_win_over_the_mentions():
    view = dataclasses.replace(cases.business_siren_siret(), late_penalty_text="Pénalités : 3 fois le taux légal.",
                               recovery_indemnity_text="Indemnité : 40 €.", early_payment_discount_text="Escompte 2 %.")
    root = parse(cii_xml(view))
    assert (_notes(root, "PMD"), _notes(root, "PMT"), _notes(root, "AAB")) == (
        ["Pénalités : 3 fois le taux légal."], ["Indemnité : 40 €."], ["Escompte 2 %."])
    # The printed mentions are still all there.
    assert set(_notes(root, "REG")) >= {cases.PENALTY_PRO, cases.INDEMNITY_PRO, cases.NO_DISCOUNT}


def test_every_printed_text_is_in_a_note():
    view, root = _xml("reduced_rates")
    contents = texts(root, f"{NOTES}/ram:Content")
    for mention in view.mentions:
        assert mention in contents
    assert any("RCD 184 226 731 M" in c for c in _notes(root, "REG"))  # the décennale insurance


# -------------------------------------------------------------------------- parties


def test_seller_identifiers():
    _, root = _xml("business_siren_siret")
    assert text(root, f"{SELLER}/ram:Name") == "Martin Plomberie Chauffage"
    assert text(root, f"{SELLER}/ram:Description") == "SARL au capital de 8 000 € – RCS Lyon 812 345 676"  # BT-33
    assert text(root, f"{SELLER}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == "812345676"  # BT-30
    assert text(root, f"{SELLER}/ram:GlobalID[@schemeID='0009']") == "81234567600017"  # BT-29
    assert text(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "FR19812345676"  # BT-31
    assert text(root, f"{SELLER}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == "812345676"  # BT-34
    address = f"{SELLER}/ram:PostalTradeAddress"
    assert [text(root, f"{address}/ram:{tag}") for tag in ("PostcodeCode", "LineOne", "CityName", "CountryID")] == [
        "69007", "14 rue des Tanneurs", "Lyon", "FR"]


def test_business_buyer_with_siren_and_siret():
    _, root = _xml("business_siren_siret")
    assert text(root, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == "401234562"  # BT-47
    assert text(root, f"{BUYER}/ram:GlobalID[@schemeID='0009']") == "40123456200015"  # BT-46
    assert text(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "FR46401234562"  # BT-48
    # BR-FR-21: a B2B buyer's address starts with its SIREN, scheme 0225.
    assert text(root, f"{BUYER}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == "401234562"
    assert texts(root, f"{BUYER}/ram:PostalTradeAddress/*") == [
        "69330", "Parc Technologique", "22 avenue Lionel Terray", "Meyzieu", "FR"]


def test_consumer_has_no_siren_and_is_reached_by_email():
    _, root = _xml("consumer")
    assert not xpath(root, f"{BUYER}/ram:SpecifiedLegalOrganization")
    assert not xpath(root, f"{BUYER}/ram:GlobalID")
    assert text(root, f"{BUYER}/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']") == "claire.dubois@example.org"


def test_explicit_electronic_address_and_structured_address():
    buyer = dataclasses.replace(cases.BUSINESS, electronic_address="401234562_40123456200015",
                                address_lines=("Bât. A", "Zone des Peupliers", "Allée 3", "Porte 2"),
                                postcode="69330", city="Meyzieu")
    root = parse(cii_xml(dataclasses.replace(cases.business_siren_siret(), buyer=buyer)))
    endpoint = f"{BUYER}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']"
    assert text(root, endpoint) == "401234562_40123456200015"
    assert texts(root, f"{BUYER}/ram:PostalTradeAddress/*") == [
        "69330", "Bât. A", "Zone des Peupliers", "Allée 3, Porte 2", "Meyzieu", "FR"]


def test_foreign_business_buyer_is_b2bint():
    buyer = dataclasses.replace(cases.BUSINESS, siren=None, siret=None, country_code="BE", vat_number="BE0403170701",
                                address_lines=("Rue Royale 10", "1000 Bruxelles"),
                                electronic_address="0403170701", electronic_address_scheme="0208")
    root = parse(cii_xml(dataclasses.replace(cases.business_siren_siret(), buyer=buyer)))
    assert _notes(root, "BAR") == ["B2BINT"]
    assert text(root, f"{BUYER}/ram:PostalTradeAddress/ram:CountryID") == "BE"
    # No French postcode parsing abroad: the lines stay as printed.
    assert texts(root, f"{BUYER}/ram:PostalTradeAddress/*") == ["Rue Royale 10", "1000 Bruxelles", "BE"]


# ------------------------------------------------------------------------- delivery


def test_job_site_address_when_it_differs_from_billing():
    _, root = _xml("job_site")
    assert text(root, f"{DELIVERY}/ram:ShipToTradeParty/ram:Name") == "Agence de Villeurbanne"  # BT-70
    assert texts(root, f"{DELIVERY}/ram:ShipToTradeParty/ram:PostalTradeAddress/*") == [
        "69100", "40 cours Émile Zola", "Villeurbanne", "FR"]
    assert text(root, f"{DELIVERY}//udt:DateTimeString") == "20270910"  # BT-72
    assert text(root, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") == "20270906"
    assert text(root, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") == "20270910"


def test_printed_work_dates_are_a_note():
    view = dataclasses.replace(cases.job_site(), service_date_text="du 06/09/2027 au 10/09/2027")
    assert _notes(parse(cii_xml(view)), "AAI") == ["Date des travaux : du 06/09/2027 au 10/09/2027"]


def test_no_delivery_party_when_the_site_is_the_billing_address():
    view = dataclasses.replace(cases.consumer(), site_address_lines=("8 allée des Érables", "69130  écully"))
    root = parse(cii_xml(view))
    assert not xpath(root, f"{DELIVERY}/ram:ShipToTradeParty")
    assert not xpath(parse(cii_xml(cases.consumer())), f"{DELIVERY}/ram:ShipToTradeParty")


# ------------------------------------------------------------------------------ VAT


def test_franchise_en_base():
    _, root = _xml("franchise")
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert (text(root, f"{tax}/ram:CategoryCode"), text(root, f"{tax}/ram:ExemptionReasonCode"),
            text(root, f"{tax}/ram:ExemptionReason")) == ("E", "VATEX-FR-FRANCHISE", cases.FRANCHISE)
    assert set(texts(root, f"{LINES}//ram:ApplicableTradeTax/ram:CategoryCode")) == {"E"}
    assert not xpath(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
    assert text(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == "3812345678901"  # BT-32


def test_autoliquidation_btp():
    _, root = _xml("autoliquidation")
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == "AE"
    assert text(root, f"{tax}/ram:ExemptionReasonCode") == "VATEX-FR-AE"
    assert text(root, f"{tax}/ram:ExemptionReason") == cases.AUTOLIQUIDATION
    assert set(texts(root, f"{LINES}//ram:ApplicableTradeTax/ram:RateApplicablePercent")) == {"0.00"}
    # Both VAT numbers (CGI 242 nonies A, BR-AE-02).
    assert text(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID") == "FR19812345676"
    assert text(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == "FR23552081317"


def test_vat_on_debits_option():
    _, root = _xml("vat_on_debits")
    assert texts(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["5"]  # BT-8
    assert _notes(root, "REG").count(cases.DEBITS) == 1
    # Not for goods: the option concerns services; the printed mention is still carried.
    root = parse(cii_xml(dataclasses.replace(cases.goods(), vat_on_debits=True)))
    assert not xpath(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:DueDateTypeCode")
    assert _notes(root, "REG").count(cii.VAT_ON_DEBITS_TEXT) == 1


def test_zero_rate_line_under_the_normal_regime_is_zero_rated():
    _, root = _xml("reduced_rates")
    assert texts(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == ["S", "S", "S", "Z"]
    assert texts(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == [
        "10.00", "5.50", "2.10", "0.00"]


# ------------------------------------------------------------------------- payment


def test_sepa_credit_transfer():
    view, root = _xml("business_siren_siret")
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:TypeCode") == "58"
    assert text(root, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7630006000011234567890189"
    assert text(root, f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "AGRIFRPP"
    assert text(root, f"{means}/ram:Information") == view.payment_methods
    assert text(root, f"{SETTLEMENT}/ram:PaymentReference") == "F-2027-0042"  # BT-83
    due = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
    assert text(root, due) == "20271015"  # BT-9

    root = parse(cii_xml(dataclasses.replace(view, payment_reference="RF18539007547034")))
    assert text(root, f"{SETTLEMENT}/ram:PaymentReference") == "RF18539007547034"


def test_without_iban_the_printed_methods_remain():
    root = parse(cii_xml(dataclasses.replace(cases.consumer(), iban=None, bic=None,
                                             payment_methods="Chèque ou espèces (dans la limite légale).")))
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert (text(root, f"{means}/ram:TypeCode"), text(root, f"{means}/ram:Information")) == (
        "1", "Chèque ou espèces (dans la limite légale).")
    assert not xpath(root, f"{SETTLEMENT}/ram:PaymentReference")


def test_preceding_invoices():
    _, root = _xml("final_after_two_deposits")
    refs = xpath(root, f"{SETTLEMENT}/ram:InvoiceReferencedDocument")
    assert [(text(r, "ram:IssuerAssignedID"), text(r, ".//qdt:DateTimeString")) for r in refs] == [
        ("F-2027-0031", "20270602"), ("F-2027-0037", "20270701")]
    assert text(root, f"{AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID") == "D-2027-0003"  # BT-12
    _, root = _xml("credit_note")
    assert texts(root, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F-2027-0042"]


# --------------------------------------------------------------------------- hostile


HOSTILE = "<script>alert(\"x\")</script> ]]> &amp; 'q' \x00\x07\x1b\ud800\ufffe fin"
HOSTILE_CLEAN = "<script>alert(\"x\")</script> ]]> &amp; 'q'  fin"


def test_hostile_text_is_escaped_and_unrepresentable_characters_dropped():
    view = cases.consumer()
    line = dataclasses.replace(view.lines[0], label=HOSTILE, description=HOSTILE)
    buyer = dataclasses.replace(view.buyer, name=HOSTILE)
    xml = cii_xml(dataclasses.replace(view, lines=(line, *view.lines[1:]), buyer=buyer, notes=HOSTILE,
                                      references=(HOSTILE,)))
    assert b"<script>" not in xml and b"&lt;script&gt;" in xml
    assert b"]]>" not in xml  # ">" after "]]" must be escaped
    root = parse(xml)
    assert not root.xpath("//script")
    assert text(root, f"{LINES}[1]/ram:SpecifiedTradeProduct/ram:Name") == HOSTILE_CLEAN
    assert text(root, f"{BUYER}/ram:Name") == HOSTILE_CLEAN
    assert _notes(root, "AAI") == [HOSTILE_CLEAN, HOSTILE_CLEAN]
    assert check_xsd(xml) == []


# --------------------------------------------------------------------------- refusals


def test_refuses_drafts_quotes_and_numbers_the_rules_reject():
    view = cases.consumer()
    with pytest.raises(EInvoiceError, match="brouillon"):
        cii_xml(dataclasses.replace(view, is_draft=True, number=None))
    with pytest.raises(EInvoiceError, match="devis"):
        cii_xml(dataclasses.replace(view, kind="quote"))
    for number in ("F 2027 0042", "F-2027-0042-" + "9" * 30, "F-2027-004é"):  # BR-FR-01/02
        with pytest.raises(EInvoiceError, match="numéro"):
            cii_xml(dataclasses.replace(view, number=number))


def test_refuses_a_view_whose_figures_disagree():
    view = cases.consumer()
    for broken in (
        dataclasses.replace(view, total_ht_cents=view.total_ht_cents + 1, total_ttc_cents=view.total_ttc_cents + 1),
        dataclasses.replace(view, total_ttc_cents=view.total_ttc_cents - 1),
        dataclasses.replace(view, lines=(dataclasses.replace(view.lines[0], total_ht_cents=15001), view.lines[1])),
        dataclasses.replace(view, vat_rows=view.vat_rows[:1]),
        dataclasses.replace(view, remaining_cents=1),
        dataclasses.replace(view, vat_regime="franchise"),  # VAT rows under the franchise
    ):
        with pytest.raises(EInvoiceError, match="incohérents"):
            cii_xml(broken)
    with pytest.raises(TypeError):
        cii_xml(dataclasses.replace(view, lines=(Line("item", "Float", quantity_milli=1000, unit_price_cents=1.5,
                                                      total_ht_cents=2),)))


@pytest.mark.parametrize("name", sorted(cases.ALL))
def test_every_case_is_valid_against_the_factur_x_xsd(name, case_xml):
    assert check_xsd(case_xml[name]) == []


def test_issue_date_and_number():
    view, root = _xml("deposit")
    assert text(root, "//rsm:ExchangedDocument/ram:ID") == "F-2027-0031"
    assert text(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20270602"
    assert view.issue_date == dt.date(2027, 6, 2)
