"""A small seeded directory (annuaire) behind the Directory Service, and the scenarios it steers.

Every SIREN below is fictitious (valid Luhn keys; 100000009 and 200000008 are the seller and buyer
of the DGFiP's own samples). The scenario of a buyer decides which lifecycle statuses an invoice
addressed to it receives; `POST /_control/scenarios` changes or adds one.

| SIREN     | name                      | directory                              | invoices to it            |
|-----------|---------------------------|----------------------------------------|---------------------------|
| 812345676 | Martin Plomberie Chauffage| SIREN line, PA (WK) enabled            | approved                  |
| 100000009 | Vendeur Démo              | SIREN line, PA enabled                 | approved                  |
| 200000008 | Acheteur Approuve SAS     | SIREN line, PA enabled                 | 200 202 203 204 205       |
| 300000007 | Acheteur Refuse SARL      | SIREN line, PA enabled                 | ... 204 210 Refusée       |
| 400000006 | Acheteur Litige SA        | SIREN line, PA enabled                 | ... 203 207 En litige     |
| 500000005 | Acheteur Payeur SAS       | SIREN line, PA enabled                 | ... 205 211 Paiement transmis |
| 600000004 | Commune de Test (public)  | SIRET line + routing code line         | approved                  |
| 700000003 | Sans Plateforme SARL      | known company, no directory line       | 200 then 213 (REJ_ADR)    |
| 800000002 | Plateforme Coupée SAS     | SIREN line, platform Disabled          | 200 then 213 (REJ_ADR)    |
| (other)   |                           | unknown: 404                           | 200 then 213 (REJ_ADR)    |
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

APPROVED = (200, 202, 203, 204, 205)


@dataclass(frozen=True)
class Step:
    """One lifecycle status to emit, with its reason for 207/210/213."""

    code: int
    reason_code: str = ""
    reason: str = ""

    def to_json(self) -> dict:
        return {"code": self.code, "reasonCode": self.reason_code, "reason": self.reason}

    @classmethod
    def parse(cls, value: Any) -> Step:
        if isinstance(value, int):
            return cls(value)
        if isinstance(value, dict) and isinstance(value.get("code"), int):
            return cls(value["code"], str(value.get("reasonCode") or ""), str(value.get("reason") or ""))
        raise ValueError(f"not a status step: {value!r}")


UNROUTABLE = (Step(200), Step(213, "REJ_ADR", "Destinataire absent de l'annuaire ou sans plateforme active"))

SEED: list[dict] = [
    {"siren": "812345676", "name": "Martin Plomberie Chauffage", "siret": "81234567600017",
     "city": "Lyon", "postcode": "69007", "line": "Enabled"},
    {"siren": "100000009", "name": "Vendeur Démo", "siret": "10000000900017", "city": "Paris",
     "postcode": "75001", "line": "Enabled"},
    {"siren": "200000008", "name": "Acheteur Approuve SAS", "siret": "20000000800017", "city": "Nantes",
     "postcode": "44000", "line": "Enabled", "scenario": list(APPROVED)},
    {"siren": "300000007", "name": "Acheteur Refuse SARL", "siret": "30000000700017", "city": "Lille",
     "postcode": "59000", "line": "Enabled",
     "scenario": [200, 202, 203, 204, {"code": 210, "reasonCode": "TX_TVA_ERR",
                                       "reason": "Taux de TVA erroné"}]},
    {"siren": "400000006", "name": "Acheteur Litige SA", "siret": "40000000600017", "city": "Rennes",
     "postcode": "35000", "line": "Enabled",
     "scenario": [200, 202, 203, {"code": 207, "reasonCode": "QTE_ERR",
                                  "reason": "Quantité facturée incorrecte"}]},
    {"siren": "500000005", "name": "Acheteur Payeur SAS", "siret": "50000000500017", "city": "Bordeaux",
     "postcode": "33000", "line": "Enabled", "scenario": [*APPROVED, 211]},
    {"siren": "600000004", "name": "Commune de Test", "siret": "60000000400017", "city": "Grenoble",
     "postcode": "38100", "entity": "Public", "line": "Enabled", "line_level": "siret",
     "routing": {"id": "SERVICES-TECHNIQUES", "name": "Services techniques"}},
    {"siren": "700000003", "name": "Sans Plateforme SARL", "siret": "70000000300017", "city": "Dijon",
     "postcode": "21000", "line": None},
    {"siren": "800000002", "name": "Plateforme Coupée SAS", "siret": "80000000200017", "city": "Nancy",
     "postcode": "54000", "line": "Disabled"},
]


@dataclass
class Directory:
    """Legal units, facilities, routing codes and directory lines, with the id-instances the API uses."""

    units: dict[str, dict] = field(default_factory=dict)  # siren -> legalUnitPayloadHistory
    facilities: dict[str, dict] = field(default_factory=dict)  # siret -> facilityPayloadHistory
    routing_codes: dict[tuple[str, str], dict] = field(default_factory=dict)  # (siret, id) -> payload
    lines: dict[str, dict] = field(default_factory=dict)  # addressingIdentifier -> line payload
    instances: dict[int, tuple[str, Any]] = field(default_factory=dict)  # idInstance -> (kind, key)
    scenarios: dict[str, tuple[Step, ...]] = field(default_factory=dict)  # buyer siren -> script
    _next_instance: int = 1000

    @classmethod
    def seeded(cls) -> Directory:
        directory = cls()
        for entry in SEED:
            directory.add_company(entry)
        return directory

    def _instance(self, kind: str, key: Any) -> int:
        self._next_instance += 1
        self.instances[self._next_instance] = (kind, key)
        return self._next_instance

    def add_company(self, entry: dict) -> None:
        """Register a legal unit, its main facility, and its directory line(s) as described by `entry`."""
        siren, siret = entry["siren"], entry["siret"]
        self.units[siren] = {"siren": siren, "businessName": entry["name"],
                             "entityType": entry.get("entity", "PrivateVatRegistered"), "administrativeStatus": "A",
                             "_id": self._instance("siren", siren)}
        self.facilities[siret] = {
            "siret": siret, "siren": siren, "name": entry["name"][:100], "facilityType": "P", "diffusible": "O",
            "administrativeStatus": "A",
            "address": {"addressLine1": "1 rue de la Démo", "postalCode": entry["postcode"],
                        "locality": entry["city"], "countryCode": "FR", "countryName": "France"},
            "_id": self._instance("siret", siret),
        }
        if entry.get("routing"):
            routing = entry["routing"]
            self.routing_codes[(siret, routing["id"])] = {
                "routingIdentifier": routing["id"], "siret": siret, "routingIdentifierType": "0224",
                "routingCodeName": routing["name"], "managesLegalCommitmentCode": False,
                "administrativeStatus": "A", "_id": self._instance("routing", (siret, routing["id"])),
            }
        if entry.get("line"):
            status = entry["line"]
            if entry.get("line_level") == "siret":
                self.add_line(f"{siren}_{siret}", siren, siret=siret, platform_status=status)
                if entry.get("routing"):
                    rid = entry["routing"]["id"]
                    self.add_line(f"{siren}_{siret}_{rid}", siren, siret=siret, routing_identifier=rid,
                                  platform_status=status)
            else:
                self.add_line(siren, siren, platform_status=status)
        if entry.get("scenario"):
            self.scenarios[siren] = tuple(Step.parse(s) for s in entry["scenario"])

    def add_line(self, addressing_identifier: str, siren: str, *, siret: str | None = None,
                 routing_identifier: str | None = None, suffix: str | None = None,
                 platform_status: str = "Enabled", date_from: dt.date | None = None) -> dict:
        line: dict[str, Any] = {"addressingIdentifier": addressing_identifier, "siren": siren,
                "platform": {"platformType": "WK", "platformStatus": platform_status},
                "_dateFrom": (date_from or dt.date(2026, 9, 1)).isoformat()}
        if siret:
            line["siret"] = siret
        if routing_identifier:
            line["_routing"] = (siret, routing_identifier)
        if suffix:
            line["addressingSuffix"] = suffix
        line["_id"] = self._instance("line", addressing_identifier)
        self.lines[addressing_identifier] = line
        return line

    # -- reading, in the shapes of the definition's schemas --------------------------------------

    @staticmethod
    def public(payload: dict) -> dict:
        """A payload without the private (underscore) keys, with its idInstance."""
        view = {k: copy.deepcopy(v) for k, v in payload.items() if not k.startswith("_")}
        view["idInstance"] = payload["_id"]
        return view

    def line_view(self, line: dict, include: set[str] | None = None) -> dict:
        """directoryLinePayloadHistoryLegalUnitFacilityRoutingCode, relations included on demand."""
        view = self.public(line)
        include = include if include is not None else {"platform", "routingCode"}
        if "platform" not in include:
            view.pop("platform", None)
        routing = self.routing_codes.get(line.get("_routing") or ("", ""))
        if routing and "routingCode" in include:
            nested = {k: v for k, v in self.public(routing).items() if k not in ("siret", "idInstance")}
            # The line's nested routing code calls it managesLegalCommitment (the routing code
            # resource itself says managesLegalCommitmentCode).
            nested["managesLegalCommitment"] = nested.pop("managesLegalCommitmentCode", False)
            view["routingCode"] = nested
        if "siren" in include and line["siren"] in self.units:
            view["legalUnit"] = {k: v for k, v in self.public(self.units[line["siren"]]).items() if k != "siren"}
        if "siret" in include and line.get("siret") in self.facilities:
            view["facility"] = self.public(self.facilities[line["siret"]])
        return view

    def receiving_line(self, siren: str) -> dict | None:
        """An enabled line of this SIREN (any level), None when invoices cannot be routed to it."""
        for line in self.lines.values():
            if line["siren"] == siren and line["platform"]["platformStatus"] == "Enabled":
                return line
        return None

    def script_for(self, buyer_siren: str) -> tuple[Step, ...]:
        """The statuses an invoice to this buyer goes through after it is accepted."""
        if self.receiving_line(buyer_siren) is None:
            return UNROUTABLE
        return self.scenarios.get(buyer_siren, tuple(Step(c) for c in APPROVED))


def matches(value: str | None, criterion: dict | None) -> bool:
    """A search filter of the definition: {op: contains|strict, value}."""
    if not criterion or criterion.get("value") in (None, ""):
        return True
    wanted = str(criterion["value"])
    if value is None:
        return False
    if criterion.get("op") == "strict":
        return value == wanted
    return wanted.lower() in value.lower()


def select_fields(payload: dict, fields: list[str] | None) -> dict:
    """Keep only the requested fields (the `fields` parameter); idInstance comes from the private id."""
    if not fields:
        return payload
    return {k: v for k, v in payload.items() if k in fields}
