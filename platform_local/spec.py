"""The two AFNOR XP Z12-013 definitions (annexes A and B, version 1.1.0) loaded for validation.

`spec/` holds byte-identical copies of the official files (`SHA256` below is checked by the tests
against the copies and, when present, against /work/shared/einvoicing/). They are never edited;
the few corrections needed to use them are applied in memory by `errata()`, each one listed and
justified there, and a test shows each one is still needed.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_DIR = Path(__file__).parent / "spec"
FLOW_FILE = "afnor-flow-service-1.1.0.json"
DIRECTORY_FILE = "afnor-directory-service-1.1.0.json"
SHA256 = {
    FLOW_FILE: "4b7c8197160f013dd5d3ecf82f4a2085ff72a514df71d678587f5b8f32e1f96e",
    DIRECTORY_FILE: "d9abab791874aff09b36ae402a30d9ab934fffc41c825291ff47b93ecc34d724",
}
# The path part of each definition's server URL (https://{sub-domain}.{domain}/flow-service and
# .../directory-service): the local platform serves each API under it, like a real PA would.
FLOW_PREFIX = "/flow-service"
DIRECTORY_PREFIX = "/directory-service"


def load_official(name: str) -> dict:
    """The definition exactly as published (parsed JSON)."""
    with open(SPEC_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def errata(name: str, spec: dict) -> tuple[dict, list[str]]:
    """A corrected deep copy of a definition and the list of corrections applied.

    1. servers: the definitions name the production URL template of "a" PA; the local platform is
       served elsewhere, so the server becomes the relative path of that template (the paths,
       operations and schemas are untouched).
    2. Flow, ReasonCode: `oneOf: [ReasonCodeEnum, {type: string}]` makes every *standard* reason
       code invalid (it matches both branches, and oneOf wants exactly one); the description says
       "a predefined set of reason code values + ability to extend this set", i.e. anyOf.
    3. Enums whose values are longer than their own maxLength (Directory: platformStatus
       "Disabled" is 8 > 7, facilityNature "Private" is 7 > 5): maxLength is raised to the longest
       value, otherwise those values could never be sent.
    """
    fixed = copy.deepcopy(spec)
    notes = []
    prefix = FLOW_PREFIX if name == FLOW_FILE else DIRECTORY_PREFIX
    fixed["servers"] = [{"url": prefix}]
    notes.append(f"servers replaced by the relative URL {prefix}")
    if name == FLOW_FILE:
        reason = fixed["components"]["schemas"]["ReasonCode"]
        if "oneOf" in reason:
            reason["anyOf"] = reason.pop("oneOf")
            notes.append("ReasonCode oneOf -> anyOf (a standard code matched both branches)")
    for schema_name, schema in fixed["components"]["schemas"].items():
        values = schema.get("enum")
        if values and "maxLength" in schema:
            longest = max(len(str(v)) for v in values)
            if longest > schema["maxLength"]:
                notes.append(f"{schema_name}: maxLength {schema['maxLength']} -> {longest} (its enum is longer)")
                schema["maxLength"] = longest
    return fixed, notes


@functools.cache
def flow_api() -> OpenAPI:
    """openapi-core validator of the Flow Service (with the errata)."""
    return OpenAPI.from_dict(errata(FLOW_FILE, load_official(FLOW_FILE))[0])


@functools.cache
def directory_api() -> OpenAPI:
    """openapi-core validator of the Directory Service (with the errata)."""
    return OpenAPI.from_dict(errata(DIRECTORY_FILE, load_official(DIRECTORY_FILE))[0])


@functools.cache
def _webhook_validator() -> OAS30Validator:
    # openapi-core does not validate OpenAPI 3.0 callbacks: validate the callback body against its
    # schema (WebhookCallbackContent) with the same OpenAPI 3.0 schema dialect.
    spec = errata(FLOW_FILE, load_official(FLOW_FILE))[0]
    schema = {"$ref": "#/components/schemas/WebhookCallbackContent", "components": spec["components"]}
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def webhook_body_errors(body: Any) -> list[str]:
    """Why `body` is not a valid webhook callback body of the Flow definition ([] when it is)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in _webhook_validator().iter_errors(body)]
