"""The platform's webhook calls: authenticated, idempotent, and only a hint.

The AFNOR Flow definition gives the callback body (`{"flowInfo": Flow}`) and one answer, 200
(components.callbacks.WebhookCallback); it says nothing of authentication, so calls are signed
the Standard Webhooks way (output/platform/webhook.py). Here:
- a bad signature or a stale timestamp → 401, nothing done (forgery, or a replay of an old capture);
- a delivery id already handled → 200, nothing done (the platform's retry, or a replay);
- otherwise the flow is read again from the API (the body is a hint) and applied like a polled
  one; a flow that is not ours, or a status about an invoice we do not know → logged, 200 (the only
  answer the definition allows, and a retry would not help);
- the platform unreachable while we read the flow → 503, so that it delivers again later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.core.models import Company
from domain.core.orm import utcnow
from domain.einvoicing.lifecycle import apply_flow
from domain.einvoicing.models import EinvoicingSettings, WebhookDelivery
from extensions import db
from output.platform import DocType, Flow, NotFound, PlatformClient, PlatformError, WebhookRejected, verify_webhook

log = logging.getLogger("encaisse.einvoicing")


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    outcome: str  # applied | duplicate | unknown | rejected | retry


def receive(row: EinvoicingSettings, body: bytes, headers: dict[str, str], *, secret: str | None,
            client: PlatformClient, now: datetime | None = None, clock: float | None = None) -> WebhookAnswer:
    """Handle one webhook call for the company of `row`; commits what it applied."""
    now = now or utcnow()
    if not secret:
        log.warning("company %s: webhook received but no webhook secret is set", row.company_id)
        return WebhookAnswer(401, "rejected")
    try:
        delivery = verify_webhook(body, headers, secret, now=clock)
    except WebhookRejected as exc:
        log.warning("company %s: webhook refused (%s)", row.company_id, exc)
        return WebhookAnswer(401, "rejected")
    company_id = row.company_id
    if db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.company_id == company_id,
                                                          WebhookDelivery.delivery_id == delivery.delivery_id)):
        return WebhookAnswer(200, "duplicate")
    company = db.session.get_one(Company, company_id)
    db.session.commit()
    try:
        current = client.get_flow(delivery.flow.flow_id, DocType.METADATA)
        assert isinstance(current, Flow)
        applied = apply_flow(company, current, client, source="webhook", now=now)
        outcome = "unknown" if applied.unknown else "applied"
    except NotFound:
        log.warning("company %s: webhook about flow %s, which the platform does not have; ignored",
                    company_id, delivery.flow.flow_id)
        outcome = "unknown"
    except PlatformError as exc:
        db.session.rollback()
        log.warning("company %s: webhook flow %s could not be read (%s); the platform will retry",
                    company_id, delivery.flow.flow_id, exc)
        return WebhookAnswer(503, "retry")
    try:
        with db.session.begin_nested():
            db.session.add(WebhookDelivery(company_id=company_id, delivery_id=delivery.delivery_id[:100],
                                           flow_id=delivery.flow.flow_id[:36], outcome=outcome, received_at=now))
    except IntegrityError:
        outcome = "duplicate"  # the same delivery handled by a parallel request; statuses are stored once anyway
    db.session.commit()
    return WebhookAnswer(200, outcome)
