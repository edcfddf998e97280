"""Authenticating the platform's webhook calls.

The AFNOR Flow definition describes the callback body (`{"flowInfo": Flow}`, schema
WebhookCallbackContent) but says nothing about authenticating it: no security on the callback, no
signature header, and its callback URL expression points at a request field that does not exist.
So the scheme is ours to choose, and we follow the published "Standard Webhooks" one
(standardwebhooks.com), which several webhook senders implement:

    webhook-id:        a delivery id, the same on every retry of the same event
    webhook-timestamp: Unix seconds when this attempt was signed
    webhook-signature: "v1,<base64 HMAC-SHA256(secret, f'{id}.{timestamp}.{body}')>"
                       (several space-separated signatures are allowed, for secret rotation)

The shared secret is either raw text or "whsec_" + base64 of the key bytes. The receiver:
1. recomputes the HMAC over the exact body bytes and compares in constant time (forgery);
2. refuses a timestamp more than `tolerance` seconds away from its clock (replay of an old capture);
3. remembers the ids it has processed and ignores a second delivery of one (retry or replay) —
   that step needs storage, so `verify_webhook` returns the id and the caller checks it.
Even then, the body is a hint: fetch the flow from the API before acting on it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .models import Flow

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
DEFAULT_TOLERANCE = 300  # seconds, as Standard Webhooks recommends


class WebhookRejected(Exception):
    """The call does not come from the platform, or is too old: answer 401 and do nothing.
    Its message says why (for the log, never for the caller)."""


@dataclass(frozen=True)
class WebhookDelivery:
    delivery_id: str
    timestamp: int
    flow: Flow


def secret_key(secret: str) -> bytes:
    """The HMAC key: base64-decoded after a "whsec_" prefix, else the text's UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except binascii.Error:
            raise ValueError("malformed whsec_ secret") from None
    if not secret:
        raise ValueError("empty webhook secret")
    return secret.encode("utf-8")


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one attempt."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None,
                   tolerance: int = DEFAULT_TOLERANCE) -> WebhookDelivery:
    """Check signature and freshness; return the delivery (id, timestamp, flow) or raise WebhookRejected."""
    delivery_id = _header(headers, HEADER_ID)
    stamp = _header(headers, HEADER_TIMESTAMP)
    signatures = _header(headers, HEADER_SIGNATURE)
    if not delivery_id or not stamp or not signatures:
        raise WebhookRejected("missing webhook headers")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookRejected("malformed webhook-timestamp") from None
    expected = sign(secret, delivery_id, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, candidate.encode())
               for candidate in signatures.split() if candidate.startswith("v1,")):
        raise WebhookRejected("bad signature")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookRejected("timestamp outside tolerance")
    try:
        payload = json.loads(body)
        flow = Flow.from_json(payload.get("flowInfo") if isinstance(payload, dict) else None)
    except (TypeError, ValueError):
        raise WebhookRejected("body is not a WebhookCallbackContent") from None
    return WebhookDelivery(delivery_id=delivery_id, timestamp=timestamp, flow=flow)
