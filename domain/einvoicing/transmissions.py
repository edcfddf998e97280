"""Issued B2B invoices and credit notes on their way to the approved platform, each exactly once.

Once, whatever happens:
- queued by the "issued" event's subscriber in the issuing transaction, one row per document
  (UNIQUE document_id), so an invoice is queued if and only if it was issued;
- claimed by one worker at a time (domain/einvoicing/work.py);
- posted with a trackingId derived from the company and the document (UUID v5, the same on every
  attempt) and the frozen file's SHA-256 (flowInfo.sha256, XP Z12-013 FlowInfo);
- an attempt after the first (a timeout, a crash after the POST, a lease that ran out) searches
  the platform for that trackingId before posting (`submit_flow_once`): a flow the platform
  recorded is adopted, never posted again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from domain.billing import einvoicing as facturx
from domain.billing import printing
from domain.billing.models import Document
from domain.core import events
from domain.core.models import Event
from domain.core.orm import utcnow
from domain.einvoicing import rules, work
from domain.einvoicing.models import (
    FAILED,
    QUEUED,
    SENT,
    SYNTAX_CII,
    EinvoicingSettings,
    Transmission,
)
from extensions import db
from output.platform import (
    PlatformClient,
    PlatformError,
    PlatformTimeout,
    RateLimited,
    RequestRejected,
    flow_info_for_invoice,
    sha256_hex,
    tracking_id,
)

log = logging.getLogger("encaisse.einvoicing")


def on_issued(event: Event, doc: Document | None) -> None:
    """Subscriber of "issued": queue a B2B invoice or credit note for the platform (same transaction)."""
    if doc is None or not rules.is_b2b_france(doc):
        return
    queue(doc)


def queue(doc: Document) -> Transmission:
    """The document's transmission row, created queued if it has none yet."""
    existing = db.session.scalar(select(Transmission).where(Transmission.document_id == doc.id))
    if existing is not None:
        return existing
    row = Transmission(company_id=doc.company_id, document_id=doc.id, state=QUEUED,
                       tracking_id=tracking_id("encaisse", doc.company_id, "document", doc.id),
                       next_attempt_at=utcnow(), ack_details=[])
    db.session.add(row)
    return row


def of_document(doc: Document) -> Transmission | None:
    return db.session.scalar(select(Transmission).where(Transmission.document_id == doc.id))


def waiting_count(company_id: int) -> int:
    """B2B invoices issued and not yet handed to the platform (shown on the dashboard)."""
    return db.session.scalar(select(func.count(Transmission.id)).where(
        Transmission.company_id == company_id, Transmission.state.in_((QUEUED, work.SENDING)))) or 0


def _payload(doc: Document, syntax: str) -> tuple[bytes, str, str]:
    """The frozen bytes to send: the Factur-X PDF, or its CII XML when the platform wants CII."""
    if syntax == SYNTAX_CII:
        stored = facturx.stored_xml(doc)
        if stored is not None:
            return stored.data, stored.filename, SYNTAX_CII
    else:
        stored = printing.stored_pdf(doc)
        if stored is not None and doc.einvoice_format:
            return stored.data, stored.filename, "Factur-X"
    raise ValueError("no e-invoice was frozen for this document")


def transmit_one(row: Transmission, client: PlatformClient, settings: EinvoicingSettings,
                 *, now: datetime | None = None) -> str:
    """Post one claimed transmission; returns its new state. Commits; no transaction spans the call."""
    now = now or utcnow()
    attempt = row.attempts
    doc = db.session.get_one(Document, row.document_id)
    try:
        data, filename, syntax = _payload(doc, settings.send_syntax)
    except ValueError:
        work.finish(row, attempt, state=FAILED, last_error="Cette facture a été émise sans facture électronique "
                    "(avant la mise en place) : transmettez-la depuis la plateforme ou réémettez-la.")
        db.session.commit()
        return FAILED
    info = flow_info_for_invoice(data, tracking=row.tracking_id, filename=filename, syntax=syntax)
    db.session.commit()  # nothing held while the platform answers
    try:
        if attempt > 1:
            submitted = client.submit_flow_once(info, data, filename)
        else:
            submitted = client.submit_flow(info, data, filename)
    except PlatformTimeout as exc:
        # It may have been accepted: the next attempt searches the trackingId before posting.
        log.warning("transmission %s timed out: %s", row.id, exc)
        work.retry_later(row, attempt, now, exc.message_fr, retry_after=5)
        db.session.commit()
        return QUEUED
    except RateLimited as exc:
        work.retry_later(row, attempt, now, exc.message_fr, retry_after=exc.retry_after)
        db.session.commit()
        return QUEUED
    except RequestRejected as exc:
        log.warning("transmission %s rejected: %s", row.id, exc)
        work.finish(row, attempt, state=FAILED, last_error=exc.message_fr)
        db.session.commit()
        return FAILED
    except PlatformError as exc:  # down, 5xx, bad credentials, unusable answer: later, with back-off
        log.warning("transmission %s failed: %s", row.id, exc)
        work.retry_later(row, attempt, now, exc.message_fr, retry_after=getattr(exc, "retry_after", None))
        db.session.commit()
        return QUEUED
    if work.finish(row, attempt, state=SENT, flow_id=submitted.flow_id, submitted_at=submitted.submitted_at,
                   ack_status="Pending", sha256=info["sha256"], syntax=syntax, sent_at=now, last_error=""):
        events.record(doc.company_id, "einvoice_transmitted", document=doc, actor_label="plateforme", at=now,
                      flow_id=submitted.flow_id, tracking_id=row.tracking_id, syntax=syntax, sha256=info["sha256"],
                      adopted=submitted.already_submitted)
    db.session.commit()
    return SENT


def reopen(row: Transmission, now: datetime | None = None) -> None:
    """Queue a failed transmission again (after the company fixed what was refused)."""
    row.state, row.next_attempt_at, row.last_error = QUEUED, now or utcnow(), ""


__all__ = ["FAILED", "QUEUED", "SENT", "of_document", "on_issued", "queue", "sha256_hex", "transmit_one",
           "waiting_count"]
