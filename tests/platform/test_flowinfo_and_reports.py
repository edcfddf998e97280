"""flowInfo helpers (sha256, trackingId, syntax) and e-reporting flows (FRR)."""

from __future__ import annotations

import hashlib

import pytest

from output.platform import (
    AckStatus,
    FlowSyntax,
    ProcessingRule,
    detect_syntax,
    flow_info_for_ereporting,
    flow_info_for_invoice,
    flow_info_for_lifecycle,
    sha256_hex,
    tracking_id,
)
from output.platform.flowinfo import safe_name

REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Report><ReportDocument><Id>ER-2027-09</Id><Declarant><Siren>812345676</Siren></Declarant></ReportDocument>
<Transaction><Date>20270915</Date><TaxBasisTotalAmount>100.00</TaxBasisTotalAmount></Transaction></Report>"""


def test_sha256_is_the_lowercase_hex_the_definition_wants():
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert sha256_hex(b"abc").islower() and len(sha256_hex(b"abc")) == 64


def test_tracking_ids_are_stable_short_and_distinct():
    first = tracking_id("company", 12, "invoice", 345)
    assert first == tracking_id("company", 12, "invoice", 345)
    assert first != tracking_id("company", 12, "invoice", 346)
    assert len(first) == 36  # NotOnlyUuid maxLength
    with pytest.raises(ValueError):
        tracking_id()


def test_syntax_is_detected_from_the_content(make_cii, make_facturx):
    assert detect_syntax(make_cii()) == FlowSyntax.CII
    assert detect_syntax(make_facturx()) == FlowSyntax.FACTUR_X
    ubl = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    assert detect_syntax(ubl) == FlowSyntax.UBL
    with pytest.raises(ValueError):
        detect_syntax(b"bonjour")


def test_flow_info_for_an_invoice(make_cii):
    data = make_cii()
    info = flow_info_for_invoice(data, tracking="t-1", filename="dossier/F-2027-0042.xml")
    assert info == {"trackingId": "t-1", "name": "F-2027-0042.xml", "processingRule": "B2B", "flowSyntax": "CII",
                    "sha256": sha256_hex(data)}
    with pytest.raises(ValueError):
        flow_info_for_invoice(data, tracking="x" * 37, filename="f.xml")
    with pytest.raises(ValueError):
        flow_info_for_invoice(b"", tracking="t", filename="f.xml", syntax="CII")
    with pytest.raises(ValueError):
        flow_info_for_invoice(data, tracking="t", filename="f.xml", syntax=FlowSyntax.CDAR)


def test_names_are_made_acceptable():
    assert safe_name("C:\\factures\\F-1.pdf") == "F-1.pdf"
    assert safe_name("\x00\x1f") == "document"
    long = safe_name("x" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_flow_info_for_a_status_and_a_report():
    assert flow_info_for_lifecycle(b"<a/>", tracking="s", filename="s.xml")["flowSyntax"] == "CDAR"
    report = flow_info_for_ereporting(REPORT, tracking="r", filename="r.xml", processing_rule=ProcessingRule.B2B_INT)
    assert (report["flowSyntax"], report["processingRule"]) == ("FRR", "B2BInt")
    with pytest.raises(ValueError):
        flow_info_for_ereporting(REPORT, tracking="r", filename="r.xml", processing_rule=ProcessingRule.B2B)


@pytest.mark.parametrize(("rule", "flow_type"), [("B2C", "AggregatedCustomerTransactionReport"),
                                                  ("B2BInt", "UnitaryCustomerTransactionReport")])
def test_an_ereporting_flow_is_accepted_and_recorded(pa, client, rule, flow_type):
    submitted = client.submit_flow(flow_info_for_ereporting(REPORT, tracking=f"er-{rule}", filename="er.xml",
                                                            processing_rule=rule), REPORT, "er.xml")
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert (flow.ack_status, flow.flow_type, flow.flow_syntax) == (AckStatus.OK, flow_type, "FRR")
    [report] = pa.control("GET", "/ereports")["reports"]
    assert (report["trackingId"], report["processingRule"], report["root"]) == (f"er-{rule}", rule, "Report")


@pytest.mark.parametrize(("data", "rule", "reason"), [
    (REPORT, "B2B", "FlowTypeError"),  # e-reporting is for B2C and international B2B
    (b"<Report>", "B2C", "InvalidSchema"),
    (b"<Report/>", "B2C", "InvalidSchema"),
])
def test_a_wrong_ereporting_flow_is_refused(pa, client, data, rule, reason):
    info = {"trackingId": "er-bad", "name": "er.xml", "flowSyntax": "FRR", "processingRule": rule,
            "sha256": sha256_hex(data)}
    submitted = client.submit_flow(info, data, "er.xml")
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.ERROR and flow.ack_details[0].reason_code == reason
    assert pa.control("GET", "/ereports")["reports"] == []
