"""The client against the local platform, for every Flow Service operation."""

from __future__ import annotations

import json

import pytest

from output.platform import (
    AckStatus,
    DocType,
    Flow,
    FlowDocument,
    FlowSyntax,
    NotFound,
    PlatformClient,
    RequestRejected,
    flow_info_for_invoice,
    sha256_hex,
    tracking_id,
)


def _send(client, data: bytes, number: str = "F-2027-0042", filename: str = "facture.xml"):
    info = flow_info_for_invoice(data, tracking=tracking_id("company", 1, "invoice", number), filename=filename)
    return client.submit_flow(info, data, filename)


def test_healthcheck(client):
    assert client.healthcheck() is True


def test_submit_a_cii_invoice(pa, client, make_cii):
    data = make_cii()
    submitted = _send(client, data)
    assert submitted.tracking_id == tracking_id("company", 1, "invoice", "F-2027-0042")
    assert submitted.sha256 == sha256_hex(data)
    assert submitted.flow_syntax == FlowSyntax.CII
    assert submitted.submitted_at
    flow = client.get_flow(submitted.flow_id)
    assert isinstance(flow, Flow)
    assert (flow.flow_type, flow.flow_direction, flow.ack_status) == ("CustomerInvoice", "Out", AckStatus.PENDING)
    assert flow.updated_at == flow.submitted_at == submitted.submitted_at

    pa.advance()  # the platform checks it
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.OK and flow.updated_at > flow.submitted_at

    original = client.get_flow(submitted.flow_id, DocType.ORIGINAL)
    assert isinstance(original, FlowDocument)
    assert (original.data, original.filename) == (data, "facture.xml")
    with pytest.raises(NotFound):
        client.get_flow(submitted.flow_id, DocType.READABLE_VIEW)  # a bare CII has none


def test_submit_a_facturx_pdf(pa, client, make_facturx, make_cii):
    pdf = make_facturx("F-2027-0043")
    info = flow_info_for_invoice(pdf, tracking=tracking_id("c", 1, "F-2027-0043"), filename="F-2027-0043.pdf")
    assert info["flowSyntax"] == FlowSyntax.FACTUR_X
    submitted = client.submit_flow(info, pdf, "F-2027-0043.pdf")
    pa.advance()
    assert client.get_flow(submitted.flow_id).ack_status == AckStatus.OK
    assert client.get_flow(submitted.flow_id, DocType.CONVERTED).data == make_cii("F-2027-0043")
    assert client.get_flow(submitted.flow_id, DocType.READABLE_VIEW).data == pdf


def test_a_pdf_announced_as_cii_is_a_flow_type_error(pa, client, make_facturx):
    pdf = make_facturx()
    info = flow_info_for_invoice(pdf, tracking="t-pdf-as-cii", filename="f.pdf", syntax=FlowSyntax.CII)
    submitted = client.submit_flow(info, pdf, "f.pdf", content_type="application/pdf")
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert flow.ack_status == AckStatus.ERROR
    assert flow.ack_details[0].reason_code == "FlowTypeError"


def test_a_wrong_sha256_is_a_checksum_mismatch(pa, client, make_cii):
    data = make_cii()
    info = flow_info_for_invoice(data, tracking="t-sha", filename="f.xml")
    tampered = data.replace(b"Client SAS", b"Client SAR")
    info_for_tampered = dict(info)  # the sha256 of the original, the bytes of another file
    # The client refuses to send a file that does not match its own fingerprint...
    with pytest.raises(ValueError, match="sha256"):
        client.submit_flow(info_for_tampered, tampered, "f.xml")
    # ...and the platform checks it too, when something else sends such a pair.
    client._http.call("POST", f"{client._flow}/v1/flows", "raw", files={
        "flowInfo": (None, json.dumps(info), "application/json"),
        "file": ("f.xml", tampered, "application/xml")})
    pa.advance()
    [flow] = client.find_by_tracking_id("t-sha")
    assert flow.ack_details[0].reason_code == "ChecksumMismatch"


def test_search_filters_and_pages_with_updated_after(pa, client, make_cii):
    sent = [_send(client, make_cii(f"F-2027-{n:04d}"), f"F-2027-{n:04d}").flow_id for n in range(1, 8)]
    flows = client.search_flows({"flowDirection": ["Out"]}, page_size=3)
    assert [f.flow_id for f in flows] == sent  # every one, once, in updatedAt order, over three pages
    searches = [e for e in pa.store.validation_log if e["operation"] == "searchFlow"]
    # Each page restarts one microsecond before the last updatedAt seen (the definition does not
    # say whether updatedAfter is strict), so pages overlap by one flow: 3 + 2 + 2 + 0 new.
    assert len(searches) == 4
    assert client.search_flows({"ackStatus": "Ok"}) == []
    assert len(client.search_flows({"flowType": ["CustomerInvoice"], "processingRule": ["B2B"]})) == 7


def test_poll_returns_what_changed_since_the_cursor(pa, client, make_cii):
    first = _send(client, make_cii("F-1"), "F-1")
    flows, cursor = client.poll(None)
    assert [f.flow_id for f in flows] == [first.flow_id]
    again, same = client.poll(cursor)
    assert again == [] and same == cursor
    pa.advance()  # ack Ok on F-1 and its 200 Déposée (a new In flow)
    changed, newer = client.poll(cursor)
    assert {f.flow_id for f in changed if f.flow_direction == "Out"} == {first.flow_id}
    assert [f.flow_type for f in changed if f.flow_direction == "In"] == ["CustomerInvoiceLC"]
    assert newer > cursor


def test_unknown_flow_is_not_found(client):
    with pytest.raises(NotFound) as caught:
        client.get_flow("no-such-flow")
    assert caught.value.status == 404
    assert caught.value.error_code == "MISSING_RESOURCE"
    assert caught.value.message_fr == "La plateforme ne trouve pas l'élément demandé."


def test_another_account_cannot_see_my_flows(pa, client, make_cii):
    pa.store.config.clients["autre-logiciel"] = "autre-secret"
    submitted = _send(client, make_cii())
    with PlatformClient(pa.settings(client_id="autre-logiciel", client_secret="autre-secret")) as other:
        assert other.find_by_tracking_id(submitted.tracking_id) == []
        with pytest.raises(NotFound):
            other.get_flow(submitted.flow_id)


def test_a_rejected_request_carries_the_platform_reason(pa, client):
    with pytest.raises(RequestRejected) as caught:
        client._http.call_json("POST", f"{client._flow}/v1/flows/search", "raw", json={"where": {}})
    assert caught.value.status == 400
    assert caught.value.error_code == "MISSING_CRITERIA"
    assert "At least one search criterion" in caught.value.message_fr


def test_client_side_checks_before_sending(client):
    with pytest.raises(ValueError):
        client.submit_flow({"flowSyntax": "PDF"}, b"x", "x.pdf")
    with pytest.raises(ValueError):
        client.submit_flow({"flowSyntax": "CII"}, b"", "x.xml")
    with pytest.raises(ValueError):
        client.get_flow("f", "Pdf")
    with pytest.raises(ValueError):
        client.search_flows({"flowId": "x"})  # not a criterion since 1.1.0


@pytest.fixture
def pa_config(request):
    """A small upload limit for the 413 test; the defaults elsewhere."""
    return {"max_upload_bytes": 4000} if request.node.name.startswith("test_too_large") else {}


def test_too_large_a_file_gets_the_definition_413(pa, client, make_cii):
    pa.expect_invalid_requests = True
    data = make_cii() + b"<!--" + b"x" * 5000 + b"-->"
    with pytest.raises(RequestRejected) as caught:
        client.submit_flow(flow_info_for_invoice(data, tracking="t-big", filename="f.xml"), data, "f.xml")
    assert caught.value.status == 413
    assert caught.value.error_code == "FILE_SIZE_EXCEEDED"
    assert caught.value.message_fr == "Le fichier est trop volumineux pour la plateforme."
    assert pa.store.flows == {}


def test_a_crashing_check_is_an_error_not_a_stuck_flow(pa, client, make_cii, monkeypatch):
    def crash(data, filename):
        raise RuntimeError("Saxon est tombé")

    monkeypatch.setattr("platform_local.invoices.check_invoice", crash)
    submitted = _send(client, make_cii())
    pa.advance()
    flow = client.get_flow(submitted.flow_id)
    assert (flow.ack_status, flow.ack_details[0].reason_code) == (AckStatus.ERROR, "OtherTechnicalError")
