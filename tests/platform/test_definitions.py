"""The AFNOR definitions we validate against: the copies are the official files, the errata are
needed, and the validator really refuses what the definitions forbid (on requests and answers)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from platform_local import spec

SHARED = Path("/work/shared/einvoicing")


@pytest.mark.parametrize("name", [spec.FLOW_FILE, spec.DIRECTORY_FILE])
def test_copies_are_the_official_files(name):
    data = (spec.SPEC_DIR / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == spec.SHA256[name]
    if (SHARED / name).exists():  # on the team's machines; CI has only the copy
        assert (SHARED / name).read_bytes() == data


def test_standard_reason_code_needs_the_oneof_erratum():
    """As published, ReasonCode's oneOf rejects every standard code: the erratum is still needed."""
    flow = json.loads(json.dumps(spec.load_official(spec.FLOW_FILE)))
    flow["servers"] = [{"url": "/flow-service"}]
    body = {"flowId": "f1", "acknowledgement": {"status": "Error", "details": [
        {"level": "Error", "item": "file", "reasonCode": "InvalidSchema", "reasonMessage": "XSD"}]}}
    request = MockRequest("http://localhost", "get", "/flow-service/v1/flows/f1",
                          headers={"Authorization": "Bearer x"})
    response = MockResponse(json.dumps(body).encode(), status_code=200, content_type="application/json")
    with pytest.raises(Exception, match="valid under each of"):
        OpenAPI.from_dict(flow).validate_response(request, response)
    spec.flow_api().validate_response(request, response)  # with the erratum


def test_disabled_platform_needs_the_maxlength_erratum():
    fixed, notes = spec.errata(spec.DIRECTORY_FILE, spec.load_official(spec.DIRECTORY_FILE))
    assert any("platformStatus" in note for note in notes)
    assert any("facilityNature" in note for note in notes)
    assert spec.load_official(spec.DIRECTORY_FILE)["components"]["schemas"]["platformStatus"]["maxLength"] == 7
    assert fixed["paths"] == spec.load_official(spec.DIRECTORY_FILE)["paths"]  # paths untouched


def test_webhook_body_is_checked_against_the_callback_schema():
    assert spec.webhook_body_errors({"flowInfo": {"flowId": "f1", "updatedAt": "2027-09-15T10:00:00Z"}}) == []
    errors = spec.webhook_body_errors({"flowInfo": {"flowId": 7, "flowType": "Invoice"}})
    assert any("flowId" in e for e in errors) and any("flowType" in e for e in errors)


def _token(pa) -> str:
    response = requests.post(f"{pa.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(pa.settings().client_id, pa.settings().client_secret), timeout=5)
    return response.json()["access_token"]


@pytest.mark.parametrize("case", [
    "unknown flowSyntax", "missing file", "sha256 in capitals", "search date not a date",
    "SIREN of 8 digits", "docType unknown",
])
def test_the_platform_refuses_requests_that_break_the_definition(pa, case):
    pa.expect_invalid_requests = True
    headers = {"Authorization": f"Bearer {_token(pa)}"}
    flows = f"{pa.base_url}/flow-service/v1/flows"
    if case == "unknown flowSyntax":
        r = requests.post(flows, headers=headers, timeout=5, files={
            "flowInfo": (None, json.dumps({"flowSyntax": "PDF"}), "application/json"),
            "file": ("a.xml", b"<a/>", "application/xml")})
    elif case == "missing file":
        r = requests.post(flows, headers=headers, timeout=5, files={
            "flowInfo": (None, json.dumps({"flowSyntax": "CII"}), "application/json")})
    elif case == "sha256 in capitals":
        r = requests.post(flows, headers=headers, timeout=5, files={
            "flowInfo": (None, json.dumps({"flowSyntax": "CII", "sha256": "A" * 64}), "application/json"),
            "file": ("a.xml", b"<a/>", "application/xml")})
    elif case == "search date not a date":
        r = requests.post(f"{flows}/search", headers=headers, timeout=5,
                          json={"where": {"updatedAfter": "hier"}})
    elif case == "SIREN of 8 digits":
        r = requests.get(f"{pa.base_url}/directory-service/v1/siren/code-insee:12345678", headers=headers, timeout=5)
    else:
        r = requests.get(f"{flows}/abc?docType=Pdf", headers=headers, timeout=5)
    assert r.status_code == 400
    body = r.json()
    assert body.get("errorCode") == "INVALID_REQUEST" or body.get("status") == 400
    assert [e for e in pa.store.validation_log if e["request_errors"]], "the refusal is in the log"
    assert pa.store.flows == {}


def test_a_request_without_token_gets_the_definition_401(pa):
    pa.expect_invalid_requests = True
    r = requests.post(f"{pa.base_url}/flow-service/v1/flows/search", json={"where": {"trackingId": "x"}}, timeout=5)
    assert r.status_code == 401
    assert r.json()["errorCode"] == "MISSING_TOKEN"


def test_an_answer_that_breaks_the_definition_becomes_a_500_and_is_recorded(pa, client):
    pa.fault("getHealth", "invalid_response")
    r = requests.get(f"{pa.base_url}/flow-service/v1/healthcheck", headers={"Authorization": f"Bearer {_token(pa)}"},
                     timeout=5)
    assert r.status_code == 500
    assert r.json()["errorCode"] == "INVALID_RESPONSE"
    assert len(pa.store.violations) == 1
    pa.store.violations.clear()  # expected here; the fixture fails on any other


def test_search_needs_one_criterion(pa, client):
    r = requests.post(f"{pa.base_url}/flow-service/v1/flows/search", json={"where": {}}, timeout=5,
                      headers={"Authorization": f"Bearer {_token(pa)}"})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "MISSING_CRITERIA"
