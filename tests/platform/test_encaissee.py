"""212 Encaissée sent by the seller: built as CDAR, checked by the platform, received exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from output.platform import (
    AckStatus,
    Party,
    PlatformClient,
    PlatformTimeout,
    build_encaissee,
    build_status_message,
    flow_info_for_invoice,
    flow_info_for_lifecycle,
    parse_status_message,
    tracking_id,
)
from platform_local.cdar import read_seller_status
from tests.support.platform import SELLER_SIREN

SELLER = Party(SELLER_SIREN, "Martin Plomberie Chauffage")
NOW = dt.datetime(2027, 10, 2, 8, 30, tzinfo=dt.UTC)


def _encaissee(message_id: str, cents: int = 120000, *, number: str = "F-2027-0042", rate: str = "20") -> bytes:
    return build_encaissee(message_id=message_id, invoice_number=number, invoice_issue_date=dt.date(2027, 9, 15),
                           seller=SELLER, received_on=dt.date(2027, 10, 1), amounts_by_rate={rate: cents},
                           created_at=NOW)


@pytest.fixture
def invoice(pa, client, make_cii):
    """F-2027-0042, 1 200 € TTC at 20 %, accepted and approved by its buyer."""
    data = make_cii("F-2027-0042")
    client.submit_flow(flow_info_for_invoice(data, tracking=tracking_id("c", 1, "F-2027-0042"), filename="f.xml"),
                       data, "f.xml")
    pa.advance(all=True)


def _send(client, cdar: bytes, tracking: str):
    return client.submit_flow(flow_info_for_lifecycle(cdar, tracking=tracking, filename=f"{tracking}.xml"), cdar,
                              f"{tracking}.xml")


def test_the_message_reads_back_on_both_sides():
    data = build_encaissee(message_id="ENC-1", invoice_number="F-2027-0042", invoice_issue_date=dt.date(2027, 9, 15),
                           seller=SELLER, buyer=Party("200000008"), received_on=dt.date(2027, 10, 1),
                           amounts_by_rate={"20": 60000, "5.5": 10550}, created_at=NOW)
    message = parse_status_message(data)
    [report] = message.statuses
    assert (message.message_id, message.type_code, message.issuer_role) == ("ENC-1", "23", "SE")
    assert (report.status, report.status_label, report.invoice_number) == (212, "Encaissée", "F-2027-0042")
    assert report.amounts_by_rate == (("5.50", 10550), ("20.00", 60000))
    assert report.status_at == dt.datetime(2027, 10, 1, tzinfo=dt.UTC)
    assert report.seller_siren == SELLER_SIREN
    seen_by_platform = read_seller_status(data)  # the platform's own, independent reader
    assert (seen_by_platform.code, seen_by_platform.amounts) == (212, (("5.50", 10550), ("20.00", 60000)))
    assert b"<ram:ValueAmount currencyID=\"EUR\">105.50</ram:ValueAmount>" in data


def test_the_builder_refuses_an_incomplete_212():
    with pytest.raises(ValueError, match="per VAT rate"):
        build_status_message(message_id="m", status=212, invoice_number="F-1", invoice_issue_date=dt.date(2027, 1, 1),
                             seller=SELLER, status_date=dt.date(2027, 2, 1), created_at=NOW)
    with pytest.raises(ValueError, match="SIREN"):
        _encaissee_for(Party("81234567"))
    with pytest.raises(TypeError):
        build_encaissee(message_id="m", invoice_number="F-1", invoice_issue_date=dt.date(2027, 1, 1), seller=SELLER,
                        received_on=dt.date(2027, 2, 1), amounts_by_rate={"20": 12.5}, created_at=NOW)


def _encaissee_for(seller: Party) -> bytes:
    return build_encaissee(message_id="m", invoice_number="F-1", invoice_issue_date=dt.date(2027, 1, 1), seller=seller,
                           received_on=dt.date(2027, 2, 1), amounts_by_rate={"20": 100}, created_at=NOW)


def test_212_is_received_exactly_once_despite_a_timeout_and_a_repost(pa, client, invoice):
    cdar = _encaissee("ENC-2027-0042-1")
    info = flow_info_for_lifecycle(cdar, tracking="enc-0042-1", filename="enc.xml")
    pa.fault("createFlow", "hold")
    with PlatformClient(pa.settings(read_timeout=0.5)) as impatient:
        with pytest.raises(PlatformTimeout):
            impatient.submit_flow(info, cdar, "enc.xml")
        assert pa.store.holding.acquire(timeout=10)
        pa.control("POST", "/faults/release")
        again = impatient.submit_flow_once(info, cdar, "enc.xml")  # the doubt is lifted by a search
    assert again.already_submitted
    client.submit_flow(info, cdar, "enc.xml")  # and even a blind repost...
    other_tracking = flow_info_for_lifecycle(cdar, tracking="enc-0042-1-bis", filename="enc.xml")
    client.submit_flow(other_tracking, cdar, "enc.xml")  # ...or the same message under another trackingId
    pa.advance(all=True)

    received = pa.control("GET", "/received-statuses")["statuses"]
    assert len(received) == 1
    assert received[0]["amounts"] == [["20.00", 120000]] and received[0]["receivedOn"] == "2027-10-01"
    reasons = sorted(f.ack_details[0].reason_code for f in client.search_flows({"flowType": ["CustomerInvoiceLC"],
                                                                                "flowDirection": ["Out"]})
                     if f.ack_status == AckStatus.ERROR)
    assert reasons == ["AlreadyExistingFlow", "AlreadyExistingFlow"]


def test_partial_receipts_add_up_to_the_invoice_total(pa, client, invoice):
    for n, cents in enumerate((60000, 60000, 1), start=1):
        _send(client, _encaissee(f"ENC-{n}", cents), f"enc-{n}")
    pa.advance(all=True)
    flows = client.search_flows({"flowType": ["CustomerInvoiceLC"], "flowDirection": ["Out"]})
    assert [f.ack_status for f in flows] == ["Ok", "Ok", "Error"]
    assert flows[2].ack_details[0].reason_code == "InvoiceLCAmountError"
    assert len(pa.control("GET", "/received-statuses")["statuses"]) == 2


@pytest.mark.parametrize(("cdar", "reason"), [
    (lambda: _encaissee("E-unknown", number="F-2027-9999"), "InvoiceLCRuleError"),  # a status for an unknown invoice
    (lambda: _encaissee("E-rate", rate="10"), "InvoiceLCAmountError"),  # a rate the invoice does not have
    (lambda: build_status_message(message_id="E-205", status=205, invoice_number="F-2027-0042",
                                  invoice_issue_date=dt.date(2027, 9, 15), seller=SELLER,
                                  status_date=dt.date(2027, 10, 1), created_at=NOW), "InvoiceLCStatusError"),
    (lambda: _encaissee("E-nosiren").replace(f'schemeID="0002">{SELLER_SIREN}<'.encode(), b'schemeID="0002"><'),
     "InvoiceLCRuleError"),  # required data missing
    (lambda: b"<pas-du-tout>du CDAR</pas-du-tout>", "InvalidSchema"),
])
def test_the_platform_refuses_a_wrong_status(pa, client, invoice, cdar, reason):
    submitted = _send(client, cdar(), "enc-wrong")
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.ERROR
    assert flow.ack_details[0].reason_code == reason
    assert pa.control("GET", "/received-statuses")["statuses"] == []


def test_no_receipt_on_a_refused_invoice(pa, client, make_cii):
    data = make_cii("F-2027-0800", buyer="300000007")  # this buyer refuses (210)
    client.submit_flow(flow_info_for_invoice(data, tracking="inv-0800", filename="f.xml"), data, "f.xml")
    pa.advance(all=True)
    submitted = _send(client, _encaissee("E-0800", number="F-2027-0800"), "enc-0800")
    pa.advance()
    assert client.get_flow(submitted.flow_id).ack_details[0].reason_code == "InvoiceLCInvalidStatus"
