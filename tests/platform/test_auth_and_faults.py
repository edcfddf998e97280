"""Tokens (cache, refresh) and every failure the platform can produce, each with its typed error."""

from __future__ import annotations

import logging
import threading

import pytest
import requests

from output.platform import (
    AuthenticationFailed,
    PlatformClient,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    flow_info_for_invoice,
)
from output.platform.transport import parse_retry_after


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_token_serves_many_calls(pa, client):
    for _ in range(4):
        client.healthcheck()
        client.directory_healthcheck()
    assert client.token_fetches == 1
    assert pa.store.tokens_issued["encaisse-demo"] == 1


def test_a_token_is_renewed_before_it_expires(pa):
    clock = FakeClock()
    with PlatformClient(pa.settings(), clock=clock) as client:
        client.healthcheck()
        clock.now += 300 - 31  # token_ttl 300 s, renewed 30 s before the end
        client.healthcheck()
        assert client.token_fetches == 1
        clock.now += 2
        client.healthcheck()
        assert client.token_fetches == 2


def test_a_revoked_token_is_refreshed_once(pa, client):
    client.find_by_tracking_id("t")
    assert pa.control("POST", "/tokens/revoke")["revoked"] == 1
    assert client.find_by_tracking_id("t") == []  # 401, new token, same call again
    assert client.token_fetches == 2
    statuses = [e["status"] for e in pa.store.validation_log if e["operation"] == "searchFlow"]
    assert statuses == [200, 401, 200]


def test_the_healthcheck_takes_any_bearer_token(pa, client):
    """The definition gives getHealth no 401 answer: a stale token cannot be refused there."""
    client.healthcheck()
    pa.control("POST", "/tokens/revoke")
    assert client.healthcheck() is True
    assert client.token_fetches == 1


def test_a_token_the_api_keeps_refusing_is_an_authentication_failure(pa, client):
    pa.fault("searchFlow", "status", status=401, times=2)
    with pytest.raises(AuthenticationFailed) as caught:
        client.find_by_tracking_id("t")
    assert client.token_fetches == 2  # exactly one refresh, no loop
    assert "identifiants" in caught.value.message_fr


@pytest.mark.parametrize("method", ["basic", "post"])
def test_bad_credentials(pa, method):
    settings = pa.settings(client_secret="pas-le-bon", token_auth_method=method)
    with PlatformClient(settings) as client, pytest.raises(AuthenticationFailed) as caught:
        client.healthcheck()
    assert caught.value.status == 401
    assert "Vérifiez l'identifiant client et le secret" in caught.value.message_fr


def test_credentials_in_the_form_body(pa):
    with PlatformClient(pa.settings(token_auth_method="post")) as client:
        assert client.healthcheck() is True


def test_the_secret_is_never_shown(pa, caplog):
    settings = pa.settings(client_secret="tres-secret-1234")
    assert "tres-secret-1234" not in repr(settings)
    caplog.set_level(logging.DEBUG)
    with PlatformClient(settings) as client, pytest.raises(AuthenticationFailed) as caught:
        client.healthcheck()
    assert "tres-secret-1234" not in caplog.text
    assert "tres-secret-1234" not in str(caught.value)


def test_platform_down(pa, closed_port):
    down = pa.settings(flow_base_url=f"http://127.0.0.1:{closed_port}/flow-service",
                       token_url=f"http://127.0.0.1:{closed_port}/oauth/token")
    with PlatformClient(down) as client, pytest.raises(PlatformUnavailable) as caught:
        client.healthcheck()
    assert "injoignable" in caught.value.message_fr


def test_unknown_host(pa):
    settings = pa.settings(token_url="http://plateforme.invalid/oauth/token")
    with PlatformClient(settings) as client, pytest.raises(PlatformUnavailable):
        client.healthcheck()


def test_too_many_requests(pa, client, make_cii):
    client.healthcheck()
    pa.fault("createFlow", "status", status=429, retryAfter=7)
    data = make_cii()
    with pytest.raises(RateLimited) as caught:
        client.submit_flow(flow_info_for_invoice(data, tracking="t-429", filename="f.xml"), data, "f.xml")
    assert caught.value.retry_after == 7
    assert caught.value.message_fr == "La plateforme reçoit trop de demandes. Nouvel essai dans 7 s."
    assert pa.store.flows == {}


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(pa, client, status):
    pa.fault("searchFlow", "status", status=status, retryAfter=30 if status == 503 else None)
    with pytest.raises(PlatformUnavailable) as caught:
        client.find_by_tracking_id("t")
    assert caught.value.status == status
    assert caught.value.retry_after == (30 if status == 503 else None)


def test_retry_after_as_an_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("bientôt") is None


def test_timeout_after_the_platform_recorded_the_flow(pa, make_cii):
    """The answer is held past the client's read timeout, after the flow was recorded: the
    client gets PlatformTimeout, and its next attempt finds the flow instead of sending twice."""
    data = make_cii()
    info = flow_info_for_invoice(data, tracking="t-timeout", filename="f.xml")
    pa.fault("createFlow", "hold")
    with PlatformClient(pa.settings(read_timeout=0.5)) as impatient:
        with pytest.raises(PlatformTimeout) as caught:
            impatient.submit_flow(info, data, "f.xml")
        assert caught.value.may_have_been_accepted
        assert "peut-être été pris en compte" in caught.value.message_fr
        assert pa.store.holding.acquire(timeout=10)  # the answer is really being held
        assert len(pa.store.flows) == 1  # ...after the flow was recorded
        pa.control("POST", "/faults/release")

        again = impatient.submit_flow_once(info, data, "f.xml")
    assert again.already_submitted
    assert [f.flow_id for f in impatient_search(pa, "t-timeout")] == [again.flow_id]
    assert len(pa.store.flows) == 1


def impatient_search(pa, tracking: str):
    with PlatformClient(pa.settings()) as client:
        return client.find_by_tracking_id(tracking)


def test_a_blind_second_post_is_flagged_already_existing(pa, client, make_cii):
    data = make_cii()
    info = flow_info_for_invoice(data, tracking="t-twice", filename="f.xml")
    first = client.submit_flow(info, data, "f.xml")
    second = client.submit_flow(info, data, "f.xml")
    pa.advance()
    flows = {f.flow_id: f for f in client.find_by_tracking_id("t-twice")}
    assert flows[first.flow_id].ack_status == "Ok"
    assert flows[second.flow_id].ack_status == "Error"
    assert flows[second.flow_id].ack_details[0].reason_code == "AlreadyExistingFlow"
    # and the duplicate plays no lifecycle: only the first invoice got 200 Déposée
    assert [r.about_flow_id for r in pa.store.flows.values() if r.direction == "In"] == [first.flow_id]


def test_submit_once_does_not_post_what_is_already_there(pa, client, make_cii):
    data = make_cii()
    info = flow_info_for_invoice(data, tracking="t-once", filename="f.xml")
    first = client.submit_flow_once(info, data, "f.xml")
    assert not first.already_submitted
    second = client.submit_flow_once(info, data, "f.xml")
    assert second.already_submitted and second.flow_id == first.flow_id
    assert len(pa.store.flows) == 1


def test_the_held_answer_does_not_block_other_requests(pa, client, make_cii):
    """While one answer is held, the platform keeps serving (threaded server)."""
    data = make_cii()
    pa.fault("createFlow", "hold")
    errors: list[Exception] = []

    def post():
        with PlatformClient(pa.settings(read_timeout=10)) as other:
            try:
                other.submit_flow(flow_info_for_invoice(data, tracking="t-held", filename="f.xml"), data, "f.xml")
            except Exception as exc:  # noqa: BLE001 -- collected and asserted below
                errors.append(exc)

    worker = threading.Thread(target=post)
    worker.start()
    assert pa.store.holding.acquire(timeout=10)
    assert client.healthcheck() is True
    pa.control("POST", "/faults/release")
    worker.join(timeout=10)
    assert errors == [] and not worker.is_alive()


def test_control_endpoints_answer_json(pa):
    assert requests.get(f"{pa.base_url}/_control/state", timeout=5).json()["flows"] == []
