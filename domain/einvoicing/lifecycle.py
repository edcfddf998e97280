"""Statuses coming back from the platform, by webhook or by polling, each applied once.

Both paths end in `apply_flow`: a flow we sent (its acknowledgement Pending → Ok | Error, with
reason codes) or a lifecycle status about one of our invoices (a CDAR flow, flowType
CustomerInvoiceLC, read from its Original). A status is stored once per status flow
(UNIQUE company_id + flow_id), so the same flow seen by the webhook and by the next poll, or a
webhook retried, changes nothing the second time. Each new status:
- becomes a "platform_status" event in the document's history (the lifecycle panel reads it);
- 213 Rejetée and 210 Refusée switch the invoice's reminders off and drop its pending 212
  reports (a rejected invoice must be corrected, a refused one is disputed: XP Z12-012);
- 207 En litige pauses the reminders; a later status that settles it (205, 206, 209, 211)
  resumes them.
A status about an invoice we do not know is logged and ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.billing.models import Document
from domain.collections import reminders
from domain.core import events
from domain.core.clock import today_in
from domain.core.conditional import rows_changed
from domain.core.models import Company
from domain.core.orm import utcnow
from domain.einvoicing import rules
from domain.einvoicing.models import (
    CANCELLED,
    QUEUED,
    CashReport,
    EinvoicingSettings,
    EReport,
    LifecycleStatus,
    Transmission,
)
from extensions import db
from output.platform import (
    STATUS_LABELS,
    DocType,
    Flow,
    FlowDirection,
    FlowDocument,
    PlatformClient,
    parse_status_message,
)

log = logging.getLogger("encaisse.einvoicing")


@dataclass
class Applied:
    """What one flow changed: new statuses, acknowledgements, or nothing (known or unknown flow)."""

    statuses: list[int] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    unknown: bool = False


def _ack_details(flow: Flow) -> list[dict]:
    return [{"level": d.level, "item": d.item, "reason_code": d.reason_code, "reason": d.reason_message}
            for d in flow.ack_details]


def _apply_ack(company: Company, flow: Flow, result: Applied) -> bool:
    """The acknowledgement of a flow we sent; False when the flow is not one of ours."""
    models: tuple[Any, ...] = (Transmission, CashReport, EReport)
    for model in models:
        row = db.session.scalar(select(model).where(
            model.company_id == company.id,
            (model.flow_id == flow.flow_id) | (model.tracking_id == (flow.tracking_id or "-"))))
        if row is None:
            continue
        if flow.ack_status and flow.ack_status != row.ack_status:
            row.ack_status, row.ack_details = flow.ack_status, _ack_details(flow)
            if row.flow_id is None:
                row.flow_id = flow.flow_id
            result.acks.append(flow.ack_status)
            if model is Transmission:
                doc = db.session.get_one(Document, row.document_id)
                reasons = "; ".join(rules.reason_fr(d.reason_code, d.reason_message) for d in flow.ack_details[:3])
                events.record(company.id, "einvoice_ack", document=doc, actor_label="plateforme",
                              ack=flow.ack_status, label=rules.ACK_LABELS.get(flow.ack_status, flow.ack_status),
                              reason=reasons, flow_id=flow.flow_id)
        return True
    return False


def apply_flow(company: Company, flow: Flow, client: PlatformClient, *, source: str,
               now: datetime | None = None) -> Applied:
    """Apply one flow from the platform (downloads a status's CDAR first); the caller commits."""
    now = now or utcnow()
    result = Applied()
    if flow.flow_direction == FlowDirection.OUT or not flow.is_lifecycle:
        if not _apply_ack(company, flow, result):
            result.unknown = True
            log.info("company %s: flow %s is not one of ours; ignored", company.id, flow.flow_id)
        return result
    if db.session.scalar(select(LifecycleStatus.id).where(LifecycleStatus.company_id == company.id,
                                                          LifecycleStatus.flow_id == flow.flow_id)):
        return result  # already applied (webhook and poll, or a retry)
    db.session.commit()  # no transaction held during the download
    document = client.get_flow(flow.flow_id, DocType.ORIGINAL)
    assert isinstance(document, FlowDocument)
    try:
        message = parse_status_message(document.data)
    except ValueError as exc:
        log.warning("company %s: status flow %s unreadable (%s); ignored", company.id, flow.flow_id, exc)
        result.unknown = True
        return result
    for report in message.statuses:
        if report.seller_siren and company.siren and report.seller_siren != company.siren:
            log.info("company %s: status about another seller's invoice (%s); ignored", company.id, report.seller_siren)
            result.unknown = True
            continue
        doc = db.session.scalar(select(Document).where(Document.company_id == company.id,
                                                       Document.number == report.invoice_number))
        if doc is None:
            log.warning("company %s: status %s for unknown invoice %r (flow %s); ignored",
                        company.id, report.status, report.invoice_number, flow.flow_id)
            result.unknown = True
            continue
        at = report.status_at or message.created_at or now
        if record_status(doc, code=report.status, flow_id=flow.flow_id, at=at, reason_code=report.reason_code,
                         reason=report.reason, source=source, now=now):
            result.statuses.append(report.status)
    return result


def record_status(doc: Document, *, code: int, flow_id: str, at: datetime, reason_code: str = "",
                  reason: str = "", source: str = "", now: datetime | None = None) -> bool:
    """Store one status of an invoice and apply its consequences; False when already stored."""
    now = now or utcnow()
    company = doc.company
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        with db.session.begin_nested():
            db.session.add(LifecycleStatus(company_id=doc.company_id, document_id=doc.id, flow_id=flow_id, code=code,
                                           reason_code=reason_code[:60], reason=reason[:2000], status_at=at,
                                           received_at=now, source=source))
    except IntegrityError:
        return False  # the same status flow, applied by a concurrent webhook or poll
    why = rules.reason_fr(reason_code, reason) if (reason_code or reason) else ""
    transmission = db.session.scalar(select(Transmission).where(Transmission.document_id == doc.id))
    previous = transmission.status_code if transmission is not None else None
    if transmission is not None and (transmission.status_at is None or at >= transmission.status_at):
        transmission.status_code, transmission.status_at, transmission.status_reason = code, at, why
    events.record(doc.company_id, "platform_status", document=doc, actor_label="plateforme", at=now,
                  code=code, label=STATUS_LABELS.get(code, str(code)), reason=why, status_at=at.isoformat(),
                  flow_id=flow_id)
    today = today_in(company.timezone, now)
    if code in rules.STOPS_REMINDERS:
        if not doc.reminders_disabled:
            doc.reminders_disabled = True
            events.record(doc.company_id, "reminders_disabled", document=doc, actor_label="plateforme", at=now,
                          reason=f"{rules.status_label(code)}" + (f" : {why}" if why else ""))
        # Nothing was cashed on an invoice that does not stand: drop the 212 reports still waiting.
        rows_changed(update(CashReport).where(CashReport.document_id == doc.id, CashReport.state == QUEUED)
                     .values(state=CANCELLED, last_error=f"Facture {rules.status_label(code)}"))
    elif code in rules.PAUSES_REMINDERS:
        until = today + timedelta(days=rules.DISPUTE_PAUSE_DAYS)
        if doc.reminders_paused_until is None or doc.reminders_paused_until < until:
            reminders.pause(doc, None, until, reason=f"{rules.status_label(code)}" + (f" : {why}" if why else ""))
    elif code in rules.SETTLES_DISPUTE and previous in rules.PAUSES_REMINDERS and doc.reminders_paused_until:
        reminders.pause(doc, None, None, reason=f"litige réglé ({rules.status_label(code)})")
    return True


def statuses_of(doc: Document) -> list[LifecycleStatus]:
    """The document's platform statuses, oldest first."""
    return list(db.session.scalars(select(LifecycleStatus).where(LifecycleStatus.document_id == doc.id)
                                   .order_by(LifecycleStatus.status_at, LifecycleStatus.id)))


# --- polling ------------------------------------------------------------------------------------

SYNC_LEASE = timedelta(minutes=10)


def claim_sync(row: EinvoicingSettings, now: datetime) -> bool:
    """Claim the company's polling for this runner (a conditional update on its lease) and commit."""
    won = rows_changed(update(EinvoicingSettings).where(
        EinvoicingSettings.company_id == row.company_id,
        (EinvoicingSettings.sync_lease_until.is_(None)) | (EinvoicingSettings.sync_lease_until < now))
        .values(sync_lease_until=now + SYNC_LEASE))
    db.session.commit()
    return won == 1


@dataclass
class SyncResult:
    flows: int = 0
    statuses: int = 0
    acks: int = 0
    unknown: int = 0
    error: str = ""


def sync_company(row: EinvoicingSettings, client: PlatformClient, *, now: datetime | None = None) -> SyncResult:
    """Poll the platform for flows updated since the stored cursor (`updatedAfter`, the platform's
    clock), apply each one, then store the new cursor. Call after `claim_sync` won."""
    now = now or utcnow()
    company = db.session.get_one(Company, row.company_id)
    cursor = row.poll_cursor
    company_id = row.company_id
    db.session.commit()
    result = SyncResult()
    flows, new_cursor = client.poll(cursor)
    for flow in flows:
        applied = apply_flow(company, flow, client, source="sync", now=now)
        db.session.commit()
        result.flows += 1
        result.statuses += len(applied.statuses)
        result.acks += len(applied.acks)
        result.unknown += int(applied.unknown)
    db.session.execute(update(EinvoicingSettings).where(EinvoicingSettings.company_id == company_id)
                       .values(poll_cursor=new_cursor, last_synced_at=now, last_sync_error="", sync_lease_until=None))
    db.session.commit()
    return result


def release_sync(company_id: int, error: str = "") -> None:
    db.session.rollback()
    db.session.execute(update(EinvoicingSettings).where(EinvoicingSettings.company_id == company_id)
                       .values(sync_lease_until=None, last_sync_error=error[:2000]))
    db.session.commit()
