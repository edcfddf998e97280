"""Lifecycle statuses: produced by the platform as CDAR flows, read by the client, steered by tests."""

from __future__ import annotations

import pytest

from output.platform import (
    AckStatus,
    DocType,
    FlowType,
    LifecycleMessage,
    flow_info_for_invoice,
    parse_status_message,
    tracking_id,
)
from tests.support.platform import APPROVING_BUYER, DISPUTING_BUYER, REFUSING_BUYER, SELLER_SIREN, UNROUTABLE_BUYER


def _send(client, data: bytes, number: str):
    info = flow_info_for_invoice(data, tracking=tracking_id("company", 1, number), filename=f"{number}.xml")
    return client.submit_flow(info, data, f"{number}.xml")


def _statuses(client, cursor):
    """New lifecycle messages since `cursor`, read the way the domain will: poll, download, parse."""
    flows, cursor = client.poll(cursor, flowType=[FlowType.CUSTOMER_INVOICE_LC], flowDirection=["In"])
    messages = [parse_status_message(client.get_flow(f.flow_id, DocType.ORIGINAL).data) for f in flows]
    return messages, cursor


def _codes(messages: list[LifecycleMessage]) -> list[int]:
    return [m.statuses[0].status for m in messages]


def test_an_approved_invoice_step_by_step(pa, client, make_cii):
    submitted = _send(client, make_cii("F-2027-0100"), "F-2027-0100")
    cursor = None
    seen = []
    for expected in ([200], [202], [203], [204], [205]):
        pa.advance()
        messages, cursor = _statuses(client, cursor)
        assert _codes(messages) == expected
        seen.extend(messages)
    assert pa.advance()["events"] == []  # nothing more to play
    assert client.get_flow(submitted.flow_id).ack_status == AckStatus.OK

    deposit = seen[0]
    report = deposit.statuses[0]
    assert (report.invoice_number, report.seller_siren, report.status_label) == ("F-2027-0100", SELLER_SIREN,
                                                                                  "Déposée")
    assert report.invoice_issue_date.isoformat() == "2027-09-15"
    assert deposit.type_code == "305" and deposit.issuer_role == "WK"  # set by the platform
    approved = seen[-1]
    assert approved.type_code == "23" and approved.issuer_role == "BY"  # set by the buyer


@pytest.mark.parametrize(("buyer", "codes", "reason"), [
    (REFUSING_BUYER, [200, 202, 203, 204, 210], "TX_TVA_ERR"),
    (DISPUTING_BUYER, [200, 202, 203, 207], "QTE_ERR"),
    (UNROUTABLE_BUYER, [200, 213], "REJ_ADR"),  # known company, no platform in the directory
    ("900000001", [200, 213], "REJ_ADR"),  # not in the directory at all
])
def test_the_buyer_decides_the_script(pa, client, make_cii, buyer, codes, reason):
    _send(client, make_cii("F-2027-0200", buyer=buyer), "F-2027-0200")
    pa.advance(all=True)
    messages, _ = _statuses(client, None)
    assert _codes(messages) == codes
    assert messages[-1].statuses[0].reason_code == reason


def test_an_invoice_that_breaks_the_schema_is_rejected_then_213(pa, client, make_cii):
    broken = make_cii("F-2027-0300", extra="<ram:Inconnu>x</ram:Inconnu>")
    submitted = _send(client, broken, "F-2027-0300")
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.ERROR
    assert flow.ack_details[0].level == "Error"
    assert flow.ack_details[0].reason_code in ("InvalidSchema", "REJ_SEMAN")
    assert _statuses(client, None)[0] == []  # 213 comes later, as its own status
    pa.advance()
    [rejected] = _statuses(client, None)[0]
    assert (rejected.statuses[0].status, rejected.statuses[0].reason_code) == (213, "REJ_SEMAN")
    assert rejected.statuses[0].invoice_number == "F-2027-0300"


def test_an_invoice_that_breaks_en16931_is_rejected(pa, client, make_cii):
    submitted = _send(client, make_cii("F-2027-0301", grand_total="1300.00"), "F-2027-0301")
    pa.advance(all=True)
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.ERROR
    assert any("BR-CO-15" in d.item for d in flow.ack_details)
    assert _codes(_statuses(client, None)[0]) == [213]


def test_a_second_invoice_with_the_same_number_is_rejected(pa, client, make_cii):
    _send(client, make_cii("F-2027-0400"), "F-2027-0400")
    pa.advance()
    again = client.submit_flow(flow_info_for_invoice(make_cii("F-2027-0400"), tracking="another-tracking-id",
                                                     filename="F-2027-0400.xml"), make_cii("F-2027-0400"), "x.xml")
    pa.advance(flowId=again.flow_id, steps=2)
    flow = client.get_flow(again.flow_id)
    assert flow.ack_details[0].reason_code == "REJ_UNI"
    rejected = [m for m in _statuses(client, None)[0] if m.statuses[0].status == 213]
    assert [m.statuses[0].reason_code for m in rejected] == ["REJ_UNI"]


def test_scenarios_and_statuses_can_be_steered(pa, client, make_cii):
    pa.control("POST", "/scenarios", {"buyerSiren": APPROVING_BUYER,
                                      "statuses": [200, {"code": 208, "reasonCode": "JUSTIF_ABS"}]})
    submitted = _send(client, make_cii("F-2027-0500"), "F-2027-0500")
    pa.advance(all=True)
    pa.control("POST", f"/flows/{submitted.flow_id}/statuses",
               {"code": 207, "reasonCode": "PU_ERR", "reason": "Prix unitaire contesté"})
    messages, _ = _statuses(client, None)
    assert _codes(messages) == [200, 208, 207]
    assert messages[-1].statuses[0].reason == "Prix unitaire contesté"


def test_a_status_about_an_invoice_we_never_sent(pa, client):
    """The platform may send a status for a flow we do not know: it still parses, and the domain
    sees an invoice number that is not one of its own."""
    pa.control("POST", "/inject-status", {"invoiceNumber": "F-INCONNUE-1", "issueDate": "2027-01-02",
                                          "sellerSiren": SELLER_SIREN, "code": 205})
    [message], _ = _statuses(client, None)
    ours = {"F-2027-0042"}
    assert message.statuses[0].invoice_number not in ours
    assert message.statuses[0].status == 205


def test_statuses_show_up_in_search_in_order(pa, client, make_cii):
    for n in range(3):
        _send(client, make_cii(f"F-2027-06{n:02d}"), f"F-2027-06{n:02d}")
    pa.advance(all=True)
    flows = client.search_flows({"flowType": [FlowType.CUSTOMER_INVOICE_LC]}, page_size=4)
    assert len(flows) == 15  # 3 invoices x 5 statuses, over several pages, none twice
    assert [f.updated_at for f in flows] == sorted(f.updated_at for f in flows)
    assert all(f.is_lifecycle and f.flow_direction == "In" and f.ack_status == "Ok" for f in flows)
