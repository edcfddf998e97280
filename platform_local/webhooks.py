"""Webhook deliveries of the local platform: signed, retried, replayable.

The definition gives the body (`{"flowInfo": Flow}`) and nothing else; the signature follows
Standard Webhooks (headers webhook-id / webhook-timestamp / webhook-signature, HMAC-SHA256 over
"id.timestamp.body", see output/platform/webhook.py and platform_local/README.md). A delivery keeps
its id across retries and is re-signed at each attempt; after the last attempt it is "failed".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field

import requests


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def signature(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks "v1," signature of one attempt."""
    digest = hmac.new(_key(secret), f"{delivery_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class Delivery:
    delivery_id: str
    client_id: str
    url: str
    secret: str = field(repr=False)
    body: bytes
    flow_id: str
    state: str = "pending"  # pending | delivered | failed
    attempts: list[dict] = field(default_factory=list)
    next_attempt_at: float = 0.0
    in_flight: bool = False
    last_headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"deliveryId": self.delivery_id, "clientId": self.client_id, "url": self.url,
                "flowId": self.flow_id, "state": self.state, "attempts": self.attempts,
                "body": json.loads(self.body)}


def new_delivery(client_id: str, url: str, secret: str, flow_json: dict) -> Delivery:
    body = json.dumps({"flowInfo": flow_json}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Delivery(delivery_id=f"msg_{uuid.uuid4().hex}", client_id=client_id, url=url, secret=secret,
                    body=body, flow_id=flow_json["flowId"])


def attempt(delivery: Delivery, timeout: float, *, now: float | None = None) -> dict:
    """POST the delivery once, signed now; return what happened (status or error)."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(delivery.secret, delivery.delivery_id, timestamp, delivery.body),
        "User-Agent": "platform-local-webhooks",
    }
    delivery.last_headers = headers
    return send(delivery.url, headers, delivery.body, timeout)


def send(url: str, headers: dict[str, str], body: bytes, timeout: float) -> dict:
    """One HTTP POST; {"at", "status"} or {"at", "error"}."""
    result: dict = {"at": time.time()}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=(timeout, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        result["error"] = type(exc).__name__
        return result
    result["status"] = response.status_code
    response.close()
    return result
