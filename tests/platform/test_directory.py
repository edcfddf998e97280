"""Directory lookups: does this SIREN / SIRET / routing code receive e-invoices, and where."""

from __future__ import annotations

import pytest
import requests

from tests.support.platform import APPROVING_BUYER, UNROUTABLE_BUYER


def test_a_registered_company_receives(client):
    reception = client.lookup_siren(APPROVING_BUYER)
    assert reception.known and reception.active and reception.receives
    assert reception.name == "Acheteur Approuve SAS"
    line = reception.address_for()
    assert (line.addressing_identifier, line.platform_type, line.platform_status) == (APPROVING_BUYER, "WK", "Enabled")


def test_an_unknown_siren(client):
    reception = client.lookup_siren("900 000 001")  # spaces as people type them
    assert not reception.known and not reception.receives and reception.address_for() is None


def test_a_known_company_without_platform_does_not_receive(client):
    reception = client.lookup_siren(UNROUTABLE_BUYER)
    assert reception.known and not reception.receives and reception.lines == ()


def test_a_disabled_platform_does_not_receive(client):
    reception = client.lookup_siren("800000002")
    assert reception.known and len(reception.lines) == 1
    assert not reception.receives and reception.address_for() is None


def test_the_most_specific_line_wins(client):
    reception = client.lookup_siret("60000000400017")
    assert reception.known and reception.receives
    assert reception.address_for(siret="60000000400017").addressing_identifier == "600000004_60000000400017"
    routed = reception.address_for(siret="60000000400017", routing_identifier="SERVICES-TECHNIQUES")
    assert routed.addressing_identifier == "600000004_60000000400017_SERVICES-TECHNIQUES"
    assert routed.routing_identifier == "SERVICES-TECHNIQUES"


def test_a_routing_code(client):
    reception = client.lookup_routing_code("60000000400017", "SERVICES-TECHNIQUES")
    assert reception.known and reception.name == "Services techniques" and reception.receives
    assert not client.lookup_routing_code("60000000400017", "INCONNU").known


def test_an_unknown_siret(client):
    assert not client.lookup_siret("90000000300013").known


def test_client_refuses_malformed_identifiers(client):
    for bad in ("12345678", "1234567890", "ABCDEFGHI"):
        with pytest.raises(ValueError):
            client.lookup_siren(bad)
    with pytest.raises(ValueError):
        client.lookup_siret("123")
    with pytest.raises(ValueError):
        client.lookup_routing_code("60000000400017", "espace interdit")


def test_a_line_created_through_the_api_makes_the_company_receive(pa, client):
    """createDirectoryLine and deleteDirectoryLine, validated like the rest (a PA's own feature)."""
    token = requests.post(f"{pa.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(pa.settings().client_id, pa.settings().client_secret), timeout=5).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{pa.base_url}/directory-service/v1/directory-line", headers=headers, timeout=5,
                            json={"period": {"dateFrom": "2027-09-01"},
                                  "addressingInformation": {"siren": UNROUTABLE_BUYER}})
    assert created.status_code == 201
    assert client.lookup_siren(UNROUTABLE_BUYER).receives
    deleted = requests.delete(f"{pa.base_url}/directory-service/v1/directory-line/id-instance:"
                              f"{created.json()['idInstance']}", headers=headers, timeout=5)
    assert deleted.status_code == 204
    assert not client.lookup_siren(UNROUTABLE_BUYER).receives


def test_directory_searches_and_reads_validate(pa, client):
    token = requests.post(f"{pa.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(pa.settings().client_id, pa.settings().client_secret), timeout=5).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{pa.base_url}/directory-service/v1"
    units = requests.post(f"{base}/siren/search", headers=headers, timeout=5,
                          json={"filters": {"businessName": {"op": "contains", "value": "acheteur"}}, "limit": 2})
    assert units.json()["totalNumberOfResults"] == 4 and len(units.json()["results"]) == 2
    facilities = requests.post(f"{base}/siret/search", headers=headers, timeout=5, json={
        "filters": {"locality": {"op": "contains", "value": "Grenoble"}}, "include": ["siren"]})
    [facility] = facilities.json()["results"]
    assert facility["legalUnit"]["entityType"] == "Public"
    by_instance = requests.get(f"{base}/siret/id-instance:{facility['idInstance']}?fields=siret,name",
                               headers=headers, timeout=5)
    assert by_instance.json() == {"siret": "60000000400017", "name": "Commune de Test"}
    codes = requests.post(f"{base}/routing-code/search", headers=headers, timeout=5,
                          json={"filters": {"siret": {"op": "contains", "value": "600000004"}}})
    assert [c["routingIdentifier"] for c in codes.json()["results"]] == ["SERVICES-TECHNIQUES"]
    line = requests.get(f"{base}/directory-line/code:{APPROVING_BUYER}?include=siren,platform", headers=headers,
                        timeout=5)
    assert line.json()["legalUnit"]["businessName"] == "Acheteur Approuve SAS"
    assert requests.put(f"{base}/routing-code/id-instance:1", headers=headers, timeout=5, json={
        "routingIdentifierType": "0224", "routingCodeName": "x", "administrativeStatus": "A"}).status_code == 501
    assert not [e for e in pa.store.validation_log if e["response_errors"] or e["request_errors"]]
