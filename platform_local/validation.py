"""Every request and every answer of the AFNOR paths checked against the definitions (openapi-core).

- A request that does not match its definition gets the definition's error answer: 400 (401 when
  the bearer token is missing), with the validator's reasons in the message, and is not handled.
- An answer that does not match is a bug of this platform: it is recorded in `Store.violations`
  and, in strict mode (the default), replaced by a 500 so the test that caused it fails loudly.
- Everything is logged in `Store.validation_log`, so a test can prove its requests were checked.

Two gaps of the definitions are handled, not hidden: the healthchecks declare no 401 although the
API requires a bearer token, so any bearer token is accepted there; and when a request is refused
with a status its operation does not declare (e.g. 401 on a healthcheck sent without token), the
answer is logged under `definition_gaps` instead of counting as this platform's violation.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, request
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import SecurityValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from .spec import DIRECTORY_PREFIX, FLOW_PREFIX, directory_api, flow_api
from .state import Store


class _AnsweredRequest(WerkzeugOpenAPIRequest):
    """The request as seen when checking its answer: a body too large to read counts as empty
    (the answer is then the 413, and finding its operation does not need the body)."""

    @property
    def body(self) -> bytes | None:
        try:
            return super().body
        except RequestEntityTooLarge:
            return b""


def api_of(path: str) -> str | None:
    """'flow', 'directory' or None (OAuth token endpoint, control endpoints)."""
    if path == FLOW_PREFIX or path.startswith(FLOW_PREFIX + "/"):
        return "flow"
    if path == DIRECTORY_PREFIX or path.startswith(DIRECTORY_PREFIX + "/"):
        return "directory"
    return None


def describe(error: BaseException) -> list[str]:
    """The validator's reasons, schema errors included, as short sentences."""
    reasons = [f"{type(error).__name__}: {error}"]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for item in schema_errors:
                path = "/".join(str(p) for p in getattr(item, "absolute_path", []))
                reasons.append(f"{path or '(value)'}: {getattr(item, 'message', item)}")
        else:
            reasons.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return reasons


def error_response(api: str, status: int, code: str, message: str, headers: dict | None = None) -> Response:
    """The definition's error body: Error {errorCode, errorMessage} (flow) or problem+json (directory)."""
    if api == "directory":
        body: dict[str, Any] = {"type": "about:blank", "status": status, "message": message[:2000]}
        response = Response(json.dumps(body, ensure_ascii=False), status=status,
                            mimetype="application/problem+json")
    else:
        # errorMessage is a string in the schema (the examples' null would not validate).
        body = {"errorCode": code, "errorMessage": message[:2000]}
        response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def install(app: Flask, store: Store) -> None:
    """Hook request and response validation, token checks and fault injection into `app`."""

    @app.before_request
    def validate_request():
        return _check_request(store)

    @app.after_request
    def validate_response(response: Response) -> Response:
        return _check_response(app, store, response)


def _check_request(store: Store) -> Response | None:
    """Before an AFNOR call: log it, refuse it when it breaks its definition, then require a known
    bearer token, then answer with the fault a test injected for this operation, if any."""
    api = api_of(request.path)
    if api is None:
        return None
    g.api = api
    g.operation = (request.endpoint or "").rsplit(".", 1)[-1] or None
    g.entry = {"api": api, "operation": g.operation, "method": request.method, "path": request.path,
               "request_errors": [], "response_errors": [], "status": None}
    openapi = flow_api() if api == "flow" else directory_api()
    result = openapi.unmarshal_request(WerkzeugOpenAPIRequest(request))
    if result.errors:
        return _refuse_invalid_request(api, result.errors)
    client_id = _client_of_token(store)
    if client_id is None:
        return error_response(api, 401, "INVALID_TOKEN", "Unknown or expired access token")
    g.client_id = client_id
    return _injected_fault(api, store)


def _refuse_invalid_request(api: str, errors) -> Response:
    """The definition's answer to a request that breaks it: 401 without a bearer token, 405 or 404
    for an operation it does not define (that answer is not checked), else 400 with the reasons."""
    g.entry["request_errors"] = [reason for e in errors for reason in describe(e)]
    if any(isinstance(e, SecurityValidationError) for e in errors):
        return error_response(api, 401, "MISSING_TOKEN", "Bearer token required")
    if any(isinstance(e, PathError) for e in errors):
        g.skip_response_check = True
        status = 405 if any(isinstance(e, OperationNotFound) for e in errors) else 404
        return error_response(api, status, "MISSING_RESOURCE", "No such operation in the definition")
    return error_response(api, 400, "INVALID_REQUEST", "; ".join(g.entry["request_errors"]))


def _client_of_token(store: Store) -> str | None:
    """The client the request's bearer token was issued to (None if unknown); on the healthcheck,
    any caller will do."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client_id = store.client_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if g.operation == "getHealth":
        client_id = client_id or "(healthcheck)"  # the definitions declare no 401 there
    return client_id


def _injected_fault(api: str, store: Store) -> Response | None:
    """The error answer a test injected for this operation (with its Retry-After), if any."""
    fault = store.take_fault(g.operation or "", ("status",))
    if fault is not None:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        code = {401: "INVALID_TOKEN", 429: "TOO_MANY_REQUESTS", 503: "RESOURCE_ERROR"}.get(
            fault.status, "INTERNAL_ERROR")
        return error_response(api, fault.status, code, "Injected fault", headers)
    return None


def _check_response(app: Flask, store: Store, response: Response) -> Response:
    """After an AFNOR call: check the answer against the definition (broken first if a test asks),
    log the check, answer 500 instead of a broken answer in strict mode, and hold the answer if asked."""
    api = getattr(g, "api", None)
    if api is None:
        return response
    entry = g.entry
    if store.take_fault(g.operation or "", ("invalid_response",)) is not None:
        response = _broken(response)
    if not getattr(g, "skip_response_check", False):
        _validate_answer(api, response, entry)
    entry["status"] = response.status_code
    store.record_validation(entry)
    if entry["response_errors"] and store.config.strict:
        app.logger.error("invalid response to %s %s: %s", request.method, request.path, entry["response_errors"])
        response = error_response(api, 500, "INVALID_RESPONSE",
                                  "The platform's answer broke the definition: "
                                  + "; ".join(entry["response_errors"]))
    if getattr(g, "client_id", None) and store.take_fault(g.operation or "", ("hold",)) is not None:
        # The request is handled (a submitted flow is recorded); only the answer is late.
        store.hold()
    return response


def _validate_answer(api: str, response: Response, entry: dict) -> None:
    """Check the answer against its operation's definition and note what breaks it in `entry`; an
    undeclared status for refusing an invalid request is a gap of the definition, not a violation."""
    openapi = flow_api() if api == "flow" else directory_api()
    try:
        openapi.validate_response(_AnsweredRequest(request), WerkzeugOpenAPIResponse(response))
    except ResponseNotFound as exc:
        if entry["request_errors"]:
            entry["definition_gaps"] = describe(exc)  # refusing an invalid request
        else:
            entry["response_errors"] = describe(exc)
    except Exception as exc:  # noqa: BLE001 -- every validation failure is reported the same way
        entry["response_errors"] = describe(exc)


def _broken(response: Response) -> Response:
    """The same answer with a field of the wrong type, to prove the response check can fail."""
    try:
        body = json.loads(response.get_data())
    except ValueError:
        body = None
    if isinstance(body, dict):
        body["flowId" if "flowId" in body else next(iter(body), "x")] = 12345
        response.set_data(json.dumps(body))
    else:
        response.status_code = 299
    return response
