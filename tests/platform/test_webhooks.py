"""Webhooks: body as the definition's callback says, signed, retried; forged and replayed calls refused."""

from __future__ import annotations

import json
import time

import pytest
import requests

from output.platform import flow_info_for_invoice, tracking_id
from output.platform.webhook import WebhookRejected, sign, verify_webhook
from platform_local.webhooks import signature as platform_signature
from tests.support.platform import WEBHOOK_SECRET


@pytest.fixture
def pa_config():
    """Two retries after the first attempt, without waiting (deliveries are forced by the tests)."""
    return {"webhook_backoff": (0.0, 0.0)}


@pytest.fixture
def registered(pa, receiver):
    pa.control("POST", "/webhooks", {"url": receiver.url, "secret": WEBHOOK_SECRET})
    return receiver


def _send(client, make_cii, number="F-2027-0700"):
    data = make_cii(number)
    info = flow_info_for_invoice(data, tracking=tracking_id("c", 1, number), filename=f"{number}.xml")
    return client.submit_flow(info, data, f"{number}.xml")


def test_each_change_is_pushed_signed(pa, client, registered, make_cii):
    submitted = _send(client, make_cii)
    result = pa.advance()  # ack Ok + 200 Déposée: two changes, two deliveries
    assert [d["status"] for d in result["deliveries"]] == [200, 200]
    flows = [d.flow for d in registered.accepted]
    assert (flows[0].flow_id, flows[0].ack_status) == (submitted.flow_id, "Ok")
    assert flows[1].flow_type == "CustomerInvoiceLC" and flows[1].flow_direction == "In"
    assert registered.rejected == [] and registered.duplicates == []
    # the status itself is fetched from the API, the webhook being only a signal
    assert client.get_flow(flows[1].flow_id).flow_id == flows[1].flow_id


def test_both_sides_compute_the_same_signature():
    body = b'{"flowInfo":{"flowId":"f"}}'
    assert sign(WEBHOOK_SECRET, "msg_1", 1700000000, body) == platform_signature(WEBHOOK_SECRET, "msg_1",
                                                                                  1700000000, body)
    assert sign("plain-text-secret", "msg_1", 1, body).startswith("v1,")


def _post(receiver, body: bytes, headers: dict) -> int:
    return requests.post(receiver.url, data=body, headers=headers, timeout=5).status_code


def test_a_forged_call_is_refused(receiver):
    body = json.dumps({"flowInfo": {"flowId": "f-forged", "acknowledgement": {"status": "Ok"}}}).encode()
    now = int(time.time())
    wrong_key = {"webhook-id": "msg_forged", "webhook-timestamp": str(now),
                 "webhook-signature": sign("whsec_" + "b3V0cm8tY2xlZg==", "msg_forged", now, body)}
    assert _post(receiver, body, wrong_key) == 401
    genuine = {"webhook-id": "msg_x", "webhook-timestamp": str(now),
               "webhook-signature": sign(WEBHOOK_SECRET, "msg_x", now, body)}
    tampered = body.replace(b"f-forged", b"f-other!")
    assert _post(receiver, tampered, genuine) == 401
    assert _post(receiver, body, {"webhook-id": "msg_y"}) == 401
    assert receiver.rejected == ["bad signature", "bad signature", "missing webhook headers"]
    assert receiver.accepted == []


def test_a_replayed_call_is_handled_once(pa, client, registered, make_cii):
    _send(client, make_cii)
    pa.advance()
    delivery_id = pa.control("GET", "/webhooks")["deliveries"][0]["deliveryId"]
    before = len(registered.accepted)
    assert pa.control("POST", f"/webhooks/{delivery_id}/replay")["status"] == 200  # same bytes, same signature
    assert registered.duplicates == [delivery_id]
    assert len(registered.accepted) == before


def test_an_old_capture_replayed_later_is_refused(pa, client, registered, make_cii):
    _send(client, make_cii)
    pa.advance()
    delivery_id = pa.control("GET", "/webhooks")["deliveries"][0]["deliveryId"]
    registered.clock_offset = 600  # ten minutes later
    assert pa.control("POST", f"/webhooks/{delivery_id}/replay")["status"] == 401
    assert registered.rejected == ["timestamp outside tolerance"]


def test_a_failed_delivery_is_retried_with_the_same_id(pa, client, registered, make_cii):
    registered.fail_next = 1
    _send(client, make_cii)
    first = pa.advance(deliver=False)
    assert first["deliveries"] == []
    attempts = pa.control("POST", "/webhooks/deliver")["deliveries"]
    assert [a.get("status") for a in attempts] == [500, 200]
    retry = pa.control("POST", "/webhooks/deliver")["deliveries"]
    assert [(a["status"], a["state"]) for a in retry] == [(200, "delivered")]
    assert retry[0]["deliveryId"] == attempts[0]["deliveryId"]
    assert len(registered.accepted) == 2 and registered.duplicates == []
    [delivery] = [d for d in pa.control("GET", "/webhooks")["deliveries"] if d["deliveryId"] == retry[0]["deliveryId"]]
    assert len(delivery["attempts"]) == 2


def test_a_delivery_gives_up_after_the_last_retry(pa, client, registered, make_cii):
    registered.fail_next = 99
    _send(client, make_cii)
    pa.advance(deliver=False)
    for _ in range(3):
        pa.control("POST", "/webhooks/deliver")
    states = {d["state"] for d in pa.control("GET", "/webhooks")["deliveries"]}
    assert states == {"failed"}
    assert pa.control("POST", "/webhooks/deliver")["deliveries"] == []


def test_every_body_matches_the_callback_schema(pa, client, registered, make_cii):
    _send(client, make_cii, "F-2027-0701")
    pa.advance(all=True)
    assert registered.wait_for(lambda r: len(r.accepted) == 6)  # ack + 5 statuses
    assert not [e for e in pa.store.validation_log if e["operation"] == "WebhookCallback"]
    for delivery in registered.accepted:
        assert set(json.loads(json.dumps(delivery.flow.raw))) <= {
            "submittedAt", "updatedAt", "flowId", "trackingId", "flowType", "processingRule",
            "processingRuleSource", "flowDirection", "flowSyntax", "flowProfile", "acknowledgement"}


def test_verify_refuses_a_body_that_is_not_a_callback():
    body = b'{"something": "else"}'
    now = int(time.time())
    headers = {"webhook-id": "m", "webhook-timestamp": str(now),
               "webhook-signature": sign(WEBHOOK_SECRET, "m", now, body)}
    with pytest.raises(WebhookRejected, match="not a WebhookCallbackContent"):
        verify_webhook(body, headers, WEBHOOK_SECRET, now=now)
