"""The local approved platform as a Flask app: AFNOR Flow and Directory APIs, OAuth2, control.

    POST /oauth/token                          OAuth2 client credentials (RFC 6749 §4.4)
    /flow-service/v1/...                       Flow Service (afnor-flow-service-1.1.0.json)
    /directory-service/v1/...                  Directory Service (afnor-directory-service-1.1.0.json)
    /_control/...                              steering for tests and the demo (README.md)

View functions of the AFNOR paths are registered under the definitions' operationIds, which is
how validation, fault injection and the logs name them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .config import PlatformConfig
from .directory import Step, matches, select_fields
from .invoices import Invoice
from .spec import DIRECTORY_PREFIX, FLOW_PREFIX
from .state import Fault, Store
from .validation import api_of, error_response, install

flow = Blueprint("flow", __name__, url_prefix=FLOW_PREFIX)
directory = Blueprint("directory", __name__, url_prefix=DIRECTORY_PREFIX)
oauth = Blueprint("oauth", __name__)
control = Blueprint("control", __name__, url_prefix="/_control")


def create_platform_app(config: PlatformConfig | Mapping[str, Any] | None = None) -> Flask:
    """A new local platform with its own in-memory state (`store_of(app)`)."""
    settings = PlatformConfig.from_any(config)
    app = Flask("platform_local", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    store = Store(settings)
    app.extensions["platform_local"] = store
    install(app, store)
    for blueprint in (oauth, flow, directory, control):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    return app


def store_of(app: Flask) -> Store:
    """The state of a platform app."""
    return app.extensions["platform_local"]


def _store() -> Store:
    return store_of(current_app)  # type: ignore[arg-type]


def _http_error(error: HTTPException):
    api = api_of(request.path)
    status = error.code or 500
    if api is None:
        return jsonify({"error": error.name, "description": error.description}), status
    code = {404: "MISSING_RESOURCE", 405: "METHOD_NOT_ALLOWED", 413: "FILE_SIZE_EXCEEDED"}.get(status, "ERROR")
    if status in (404, 405):
        g.skip_response_check = True  # no operation of the definition was reached
    if status == 413 and "entry" in g:
        g.entry["request_errors"].append("request body larger than the platform accepts")
    return error_response(api, status, code, error.description or error.name)


# -- OAuth2 ----------------------------------------------------------------------------------------

@oauth.post("/oauth/token")
def token():
    """Client credentials grant; credentials by HTTP Basic (preferred) or in the form body."""
    store = _store()
    fault = store.take_fault("token", ("status",))
    if fault is not None:
        return jsonify({"error": "temporarily_unavailable"}), fault.status
    if request.form.get("grant_type") != "client_credentials":
        return jsonify({"error": "unsupported_grant_type"}), 400
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        client_id, secret = auth.username or "", auth.password or ""
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
    issued = store.issue_token(client_id, secret)
    if issued is None:
        response = jsonify({"error": "invalid_client"})
        response.status_code = 401
        if auth is not None:
            response.headers["WWW-Authenticate"] = 'Basic realm="platform-local"'
        return response
    response = jsonify({"access_token": issued, "token_type": "Bearer", "expires_in": store.config.token_ttl})
    response.headers["Cache-Control"] = "no-store"
    return response


# -- Flow Service ----------------------------------------------------------------------------------

def _flow_error(status: int, code: str, message: str) -> Response:
    return error_response("flow", status, code, message)


def _form_part(name: str) -> tuple[bytes | None, str, str]:
    """A multipart part's bytes, file name and media type, whether sent as a file or a field."""
    upload = request.files.get(name)
    if upload is not None:
        return upload.read(), upload.filename or "", upload.mimetype or ""
    value = request.form.get(name)
    return (value.encode("utf-8"), "", "") if value is not None else (None, "", "")


@flow.post("/v1/flows", endpoint="createFlow")
def create_flow():
    """Record a flow; it is checked (acknowledgement) at the next step."""
    raw_info, _, _ = _form_part("flowInfo")
    data, filename, content_type = _form_part("file")
    try:
        info = json.loads(raw_info or b"")
    except ValueError:
        return _flow_error(400, "INVALID_FLOW_INFO", "flowInfo is not JSON")
    record = _store().submit(g.client_id, info, data or b"", filename, content_type)
    full = {k: info[k] for k in ("trackingId", "name", "processingRule", "flowSyntax", "flowProfile") if k in info}
    full.update(flowId=record.flow_id, submittedAt=record.submitted_at,
                sha256=info.get("sha256") or _sha256(data or b""))
    return jsonify(full), 202


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@flow.post("/v1/flows/search", endpoint="searchFlow")
def search_flow():
    """Flows of the caller matching every criterion, in updatedAt order, `limit` at most."""
    body = request.get_json()
    where = body.get("where") or {}
    limit = body.get("limit", 25)
    if not any(v not in (None, "", []) for v in where.values()):
        return _flow_error(400, "MISSING_CRITERIA", "At least one search criterion is required")
    if limit < 1:
        return _flow_error(400, "INVALID_LIMIT", "limit must be at least 1")
    results = _store().search(g.client_id, where, limit)
    return jsonify({"limit": limit, "filters": where, "results": results})


@flow.get("/v1/flows/<flow_id>", endpoint="getFlow")
def get_flow(flow_id: str):
    """The flow's metadata (JSON) or one of its files (octet-stream)."""
    record = _store().get(g.client_id, flow_id)
    if record is None:
        return _flow_error(404, "MISSING_RESOURCE", "Requested resource is Not Found")
    doc_type = request.args.get("docType", "Metadata")
    if doc_type == "Metadata":
        return jsonify(record.to_json())
    name = record.name
    if doc_type == "Original":
        data = record.data
    elif doc_type == "Converted" and record.converted is not None:
        data, name = record.converted, f"{name.rsplit('.', 1)[0]}.xml"
    elif doc_type == "ReadableView" and record.syntax == "Factur-X":
        data = record.data  # a Factur-X is its own readable view
    else:
        return _flow_error(404, "MISSING_RESOURCE", f"No {doc_type} document for this flow")
    response = Response(data, mimetype="application/octet-stream")
    # The definition's header pattern is "attachment;filename=*": no space after the semicolon.
    safe = name.replace('"', "").replace("\r", "").replace("\n", "")
    response.headers["Content-Disposition"] = f'attachment;filename="{safe}"'
    return response


@flow.get("/v1/healthcheck", endpoint="getHealth")
def flow_health():
    return Response(status=200)


# -- Directory Service -----------------------------------------------------------------------------

def _dir_error(status: int, message: str) -> Response:
    return error_response("directory", status, "", message)


def _list_param(name: str) -> list[str] | None:
    value = request.args.get(name)
    return [v for v in value.split(",") if v] if value else None


def _page(items: list[dict], body: dict) -> Response:
    limit = body.get("limit") or 50
    ignore = body.get("ignore") or 0
    if limit < 1 or ignore < 0:
        return _dir_error(400, "limit must be positive and ignore not negative")
    fields = body.get("fields")
    page = [select_fields(item, fields) for item in items[ignore:ignore + limit]]
    return jsonify({"search": body, "totalNumberOfResults": len(items), "results": page})


@directory.get("/v1/healthcheck", endpoint="getHealth")
def directory_health():
    return Response(status=200)


@directory.get("/v1/siren/code-insee:<siren>", endpoint="getCompanyBySiren")
def company_by_siren(siren: str):
    unit = _store().directory.units.get(siren)
    if unit is None:
        return _dir_error(404, f"SIREN {siren} absent de l'annuaire")
    return jsonify(select_fields(_store().directory.public(unit), _list_param("fields")))


@directory.get("/v1/siren/id-instance:<int:id_instance>", endpoint="getCompanyById")
def company_by_id(id_instance: int):
    kind, key = _store().directory.instances.get(id_instance, ("", None))
    if kind != "siren":
        return _dir_error(404, "id-instance inconnu")
    return jsonify(select_fields(_store().directory.public(_store().directory.units[key]), _list_param("fields")))


@directory.post("/v1/siren/search", endpoint="searchCompanyBySiren")
def search_companies():
    body = request.get_json(silent=True) or {}
    filters = body.get("filters") or {}
    units = [_store().directory.public(u) for u in _store().directory.units.values()
             if matches(u["siren"], filters.get("siren")) and matches(u["businessName"], filters.get("businessName"))
             and matches(u["entityType"], filters.get("entityType"))
             and matches(u["administrativeStatus"], filters.get("administrativeStatus"))]
    return _page(units, body)


def _facility_view(facility: dict, include: list[str] | None) -> dict:
    view = _store().directory.public(facility)
    if include and "siren" in include and facility["siren"] in _store().directory.units:
        unit = _store().directory.public(_store().directory.units[facility["siren"]])
        view["legalUnit"] = {k: v for k, v in unit.items() if k in ("businessName", "entityType",
                                                                     "administrativeStatus")}
    return view


@directory.get("/v1/siret/code-insee:<siret>", endpoint="getFacilityBySiret")
def facility_by_siret(siret: str):
    facility = _store().directory.facilities.get(siret)
    if facility is None:
        return _dir_error(404, f"SIRET {siret} absent de l'annuaire")
    return jsonify(select_fields(_facility_view(facility, _list_param("include")), _list_param("fields")))


@directory.get("/v1/siret/id-instance:<int:id_instance>", endpoint="getFacilityById")
def facility_by_id(id_instance: int):
    kind, key = _store().directory.instances.get(id_instance, ("", None))
    if kind != "siret":
        return _dir_error(404, "id-instance inconnu")
    return jsonify(select_fields(_facility_view(_store().directory.facilities[key], None), _list_param("fields")))


@directory.post("/v1/siret/search", endpoint="searchFacilityBySiret")
def search_facilities():
    body = request.get_json(silent=True) or {}
    filters = body.get("filters") or {}
    found = []
    for facility in _store().directory.facilities.values():
        address = facility.get("address", {})
        if (matches(facility["siret"], filters.get("siret")) and matches(facility["siren"], filters.get("siren"))
                and matches(facility["name"], filters.get("name"))
                and matches(facility["facilityType"], filters.get("facilityType"))
                and matches(address.get("postalCode"), filters.get("postalCode"))
                and matches(address.get("locality"), filters.get("locality"))
                and matches(facility["administrativeStatus"], filters.get("administrativeStatus"))):
            found.append(_facility_view(facility, body.get("include")))
    return _page(found, body)


def _routing_view(code: dict) -> dict:
    return _store().directory.public(code)


@directory.get("/v1/routing-code/siret:<siret>/code:<routing_identifier>", endpoint="getRoutingCodeBySiretAndId")
def routing_code(siret: str, routing_identifier: str):
    code = _store().directory.routing_codes.get((siret, routing_identifier))
    if code is None:
        return _dir_error(404, "code de routage inconnu")
    return jsonify(select_fields(_routing_view(code), _list_param("fields")))


@directory.get("/v1/routing-code/id-instance:<int:id_instance>", endpoint="getRoutingCodeById")
def routing_code_by_id(id_instance: int):
    kind, key = _store().directory.instances.get(id_instance, ("", None))
    if kind != "routing":
        return _dir_error(404, "id-instance inconnu")
    return jsonify(select_fields(_routing_view(_store().directory.routing_codes[key]), _list_param("fields")))


@directory.post("/v1/routing-code/search", endpoint="searchRoutingCode")
def search_routing_codes():
    body = request.get_json(silent=True) or {}
    filters = body.get("filters") or {}
    found = [_routing_view(c) for c in _store().directory.routing_codes.values()
             if matches(c["routingIdentifier"], filters.get("routingIdentifier"))
             and matches(c["siret"], filters.get("siret"))
             and matches(c["routingCodeName"], filters.get("routingCodeName"))
             and matches(c["administrativeStatus"], filters.get("administrativeStatus"))]
    return _page(found, body)


@directory.post("/v1/routing-code", endpoint="createRoutingCode")
@directory.patch("/v1/routing-code/id-instance:<int:id_instance>", endpoint="updateRoutingCode")
@directory.put("/v1/routing-code/id-instance:<int:id_instance>", endpoint="replaceRoutingCode")
def routing_code_writes(id_instance: int | None = None):
    # A PA manages routing codes for its own customers; a sender like us never writes them. (And no
    # createRoutingCode request can be valid: facilityNature's enum values exceed its maxLength 5.)
    return _dir_error(501, "Gestion des codes de routage non proposée par cette plateforme")


@directory.post("/v1/directory-line/search", endpoint="searchDirectoryLine")
def search_lines():
    body = request.get_json(silent=True) or {}
    filters = body.get("filters") or {}
    store = _store()
    found = []
    for line in store.directory.lines.values():
        routing = (line.get("_routing") or (None, None))[1]
        if (matches(line["addressingIdentifier"], filters.get("addressingIdentifier"))
                and matches(line["siren"], filters.get("siren")) and matches(line.get("siret"), filters.get("siret"))
                and matches(routing, filters.get("routingIdentifier"))
                and matches(line.get("addressingSuffix"), filters.get("addressingSuffix"))):
            found.append(store.directory.line_view(line))
    return _page(found, body)


@directory.get("/v1/directory-line/code:<addressing_identifier>", endpoint="getDirectoryLineById")
def line_by_code(addressing_identifier: str):
    line = _store().directory.lines.get(addressing_identifier)
    if line is None:
        return _dir_error(404, "ligne d'annuaire inconnue")
    include = set(_list_param("include") or [])
    return jsonify(select_fields(_store().directory.line_view(line, include), _list_param("fields")))


def _line_by_instance(id_instance: int) -> dict | None:
    kind, key = _store().directory.instances.get(id_instance, ("", None))
    return _store().directory.lines.get(key) if kind == "line" else None


@directory.get("/v1/directory-line/id-instance:<int:id_instance>", endpoint="getDirectoryLineByCompanyId")
def line_by_instance(id_instance: int):
    line = _line_by_instance(id_instance)
    if line is None:
        return _dir_error(404, "ligne d'annuaire inconnue")
    return jsonify(select_fields(_store().directory.line_view(line, set()), _list_param("fields")))


@directory.post("/v1/directory-line", endpoint="createDirectoryLine")
def create_line():
    body = request.get_json(silent=True) or {}
    info = body.get("addressingInformation") or {}
    if not info.get("siren"):
        return _dir_error(422, "addressingInformation.siren est obligatoire")
    parts = [info["siren"], info.get("siret"), info.get("routingIdentifier"), info.get("addressingSuffix")]
    identifier = "_".join(p for p in parts if p)
    store = _store()
    with store.lock:
        if identifier in store.directory.lines:
            return _dir_error(422, "ligne d'annuaire déjà existante")
        date_from = dt.date.fromisoformat((body.get("period") or {}).get("dateFrom") or dt.date.today().isoformat())
        line = store.directory.add_line(identifier, info["siren"], siret=info.get("siret"),
                                        routing_identifier=info.get("routingIdentifier"),
                                        suffix=info.get("addressingSuffix"), date_from=date_from)
    return jsonify({"idInstance": line["_id"], "addressingIdentifier": identifier,
                    "dateFrom": line["_dateFrom"]}), 201


@directory.patch("/v1/directory-line/id-instance:<int:id_instance>", endpoint="updateDirectoryLine")
def update_line(id_instance: int):
    line = _line_by_instance(id_instance)
    if line is None:
        return _dir_error(404, "ligne d'annuaire inconnue")
    body = request.get_json(silent=True) or {}
    if body.get("dateTo"):
        line["_dateTo"] = body["dateTo"]
    return jsonify({"idInstance": id_instance, "addressingIdentifier": line["addressingIdentifier"],
                    "dateFrom": line["_dateFrom"]})


@directory.delete("/v1/directory-line/id-instance:<int:id_instance>", endpoint="deleteDirectoryLine")
def delete_line(id_instance: int):
    line = _line_by_instance(id_instance)
    if line is None:
        return _dir_error(404, "ligne d'annuaire inconnue")
    with _store().lock:
        _store().directory.lines.pop(line["addressingIdentifier"], None)
    return Response(status=204)


# -- control (outside the AFNOR paths) -------------------------------------------------------------

def _client(body: dict) -> str:
    return body.get("clientId") or next(iter(_store().config.clients))


def _steps(values: list) -> list[Step]:
    return [Step.parse(v) for v in values]


@control.get("/state")
def state_summary():
    store = _store()
    with store.lock:
        flows = [dict(r.to_json(), clientId=r.client_id, statuses=r.statuses, pendingSteps=len(r.todo),
                      aboutFlowId=r.about_flow_id) for r in store.flows.values()]
        return jsonify({"flows": flows, "tokensIssued": dict(store.tokens_issued),
                        "faults": [f.to_json() for f in store.faults],
                        "statusInterval": store.config.status_interval})


@control.post("/advance")
def advance():
    """Move flows along: {"flowId"?, "steps"? (1), "all"? (to the end), "deliver"? (true)}."""
    body = request.get_json(silent=True) or {}
    steps = 10_000 if body.get("all") else int(body.get("steps", 1))
    return jsonify(_store().advance(flow_id=body.get("flowId"), steps=steps, client_id=body.get("clientId"),
                                    deliver=body.get("deliver", True)))


@control.post("/flows/<flow_id>/statuses")
def add_status(flow_id: str):
    """Emit a status for an invoice flow now: {"code", "reasonCode"?, "reason"?, "clientId"?}."""
    body = request.get_json(silent=True) or {}
    event = _store().emit_now(_client(body), flow_id, Step.parse(body))
    if event is None:
        return jsonify({"error": "no invoice flow with this id"}), 404
    deliveries = _store().deliver_webhooks(force=True) if body.get("deliver", True) else []
    return jsonify({"event": event, "deliveries": deliveries})


@control.post("/inject-status")
def inject_status():
    """A status about an invoice the platform never received (a status for an unknown flow)."""
    body = request.get_json(silent=True) or {}
    invoice = Invoice(number=body["invoiceNumber"],
                      issue_date=dt.date.fromisoformat(body["issueDate"]) if body.get("issueDate") else None,
                      type_code=body.get("typeCode", "380"), seller_siren=body["sellerSiren"], seller_name="",
                      buyer_siren=body.get("buyerSiren", ""), buyer_name="", currency="EUR", total_cents=None)
    record = _store().inject_status(_client(body), invoice, Step.parse(body))
    deliveries = _store().deliver_webhooks(force=True) if body.get("deliver", True) else []
    return jsonify({"flowId": record.flow_id, "deliveries": deliveries})


@control.route("/scenarios", methods=["GET", "POST"])
def scenarios():
    """GET the scripts by buyer SIREN; POST {"buyerSiren", "statuses": [200, {"code": 210, ...}]}."""
    store = _store()
    if request.method == "POST":
        body = request.get_json(silent=True) or {}
        store.set_scenario(body["buyerSiren"], _steps(body["statuses"]))
    return jsonify({siren: [s.to_json() for s in steps] for siren, steps in store.directory.scenarios.items()})


@control.route("/webhooks", methods=["GET", "POST"])
def webhooks():
    """POST {"url", "secret", "clientId"?} registers the account's callback; GET lists deliveries."""
    store = _store()
    if request.method == "POST":
        body = request.get_json(silent=True) or {}
        with store.lock:
            store.webhooks[_client(body)] = {"url": body["url"], "secret": body["secret"]}
        return jsonify({"registered": _client(body)})
    with store.lock:
        return jsonify({"deliveries": [d.to_json() for d in store.deliveries.values()]})


@control.post("/webhooks/deliver")
def deliver():
    """Attempt pending deliveries now ({"force": false} waits for each one's back-off)."""
    body = request.get_json(silent=True) or {}
    return jsonify({"deliveries": _store().deliver_webhooks(force=body.get("force", True))})


@control.post("/webhooks/<delivery_id>/replay")
def replay(delivery_id: str):
    """Send a past delivery again, byte for byte (same id, timestamp and signature)."""
    outcome = _store().replay(delivery_id)
    if outcome is None:
        return jsonify({"error": "no such delivery, or never sent"}), 404
    return jsonify(outcome)


@control.route("/faults", methods=["POST", "DELETE"])
def faults():
    """POST {"operation", "kind": status|hold|invalid_response, "status"?, "retryAfter"?, "times"?}."""
    store = _store()
    if request.method == "DELETE":
        with store.lock:
            store.faults.clear()
        store.release_holds()
        return jsonify({"faults": []})
    body = request.get_json(silent=True) or {}
    if body.get("kind") not in ("status", "hold", "invalid_response"):
        return jsonify({"error": "kind is status, hold or invalid_response"}), 400
    store.add_fault(Fault(operation=body.get("operation", "*"), kind=body["kind"], status=int(body.get("status", 500)),
                          retry_after=body.get("retryAfter"), times=int(body.get("times", 1))))
    with store.lock:
        return jsonify({"faults": [f.to_json() for f in store.faults]})


@control.post("/faults/release")
def release():
    return jsonify({"released": _store().release_holds()})


@control.post("/tokens/revoke")
def revoke():
    body = request.get_json(silent=True) or {}
    return jsonify({"revoked": _store().revoke_tokens(body.get("clientId"))})


@control.get("/received-statuses")
def received_statuses():
    with _store().lock:
        return jsonify({"statuses": list(_store().received_statuses)})


@control.get("/ereports")
def ereports():
    with _store().lock:
        return jsonify({"reports": list(_store().ereports)})


@control.route("/validation", methods=["GET", "DELETE"])
def validation():
    """GET the validation log and the response violations; DELETE clears both."""
    store = _store()
    with store.lock:
        if request.method == "DELETE":
            store.validation_log.clear()
            store.violations.clear()
        return jsonify({"log": list(store.validation_log), "violations": list(store.violations)})
