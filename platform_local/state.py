"""Everything the local platform remembers, and what it does with a flow over time.

One `Store` per app, in memory, guarded by one lock (the compliance check runs outside it).

A flow's life:
- POST /v1/flows records it with acknowledgement Pending (the 202 answer has no ack);
- integration checks it: duplicate trackingId (AlreadyExistingFlow), sha256 (ChecksumMismatch),
  empty file, syntax against content (FlowTypeError), XML schema (InvalidSchema), EN 16931/BR-FR
  rules (REJ_SEMAN), duplicate invoice number (REJ_UNI); the ack becomes Ok or Error with details;
- an accepted invoice then plays its buyer's script of statuses (200 Déposée first, at
  integration), one per step; a rejected invoice whose identity is readable gets 213 Rejetée;
- each status is a new flow (direction In, flowType CustomerInvoiceLC, syntax CDAR) whose Original
  is the CDAR message; every change is pushed to the account's webhook, if one is registered.
A step happens when `advance()` is called (tests, POST /_control/advance) or, when
`status_interval` is set, by the scheduler thread every `status_interval` seconds (the demo).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import cdar, invoices
from .config import PlatformConfig
from .directory import Directory, Step
from .spec import webhook_body_errors
from .webhooks import Delivery, attempt, new_delivery, send

log = logging.getLogger("platform_local")

INTEGRATE = "integrate"
FRR_RULES = {"B2C": "AggregatedCustomerTransactionReport", "B2BInt": "UnitaryCustomerTransactionReport"}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FlowRecord:
    flow_id: str
    client_id: str
    syntax: str
    flow_type: str
    direction: str
    processing_rule: str
    rule_source: str  # Input | Computed
    submitted_at: str
    updated_at: str
    data: bytes = field(repr=False)
    name: str = ""
    content_type: str = "application/octet-stream"
    tracking_id: str | None = None
    profile: str | None = None
    sha256: str | None = None
    ack_status: str = "Pending"
    ack_details: list[dict] = field(default_factory=list)
    invoice: invoices.Invoice | None = None
    converted: bytes | None = field(default=None, repr=False)  # Factur-X: the embedded XML
    todo: list[Any] = field(default_factory=list)  # INTEGRATE, then Steps
    due_at: float | None = None  # monotonic time of the next step (timed mode)
    busy: bool = False
    statuses: list[int] = field(default_factory=list)  # lifecycle codes so far (invoice flows)
    about_flow_id: str | None = None  # for a status flow: the invoice flow it is about

    def to_json(self) -> dict:
        """The schema Flow of the definition."""
        flow: dict[str, Any] = {
            "submittedAt": self.submitted_at, "updatedAt": self.updated_at, "flowId": self.flow_id,
            "flowType": self.flow_type, "processingRule": self.processing_rule,
            "processingRuleSource": self.rule_source, "flowDirection": self.direction,
            "flowSyntax": self.syntax, "acknowledgement": {"status": self.ack_status},
        }
        if self.tracking_id:
            flow["trackingId"] = self.tracking_id
        if self.profile:
            flow["flowProfile"] = self.profile
        if self.ack_details:
            flow["acknowledgement"]["details"] = [dict(d) for d in self.ack_details]
        return flow


@dataclass
class Fault:
    """An injected failure: `kind` status (answer `status` at once), hold (record, then keep the
    answer back until released), invalid_response (break the answer so its validation fails)."""

    operation: str  # an operationId of the definitions, "token", or "*"
    kind: str
    status: int = 500
    retry_after: int | None = None
    times: int = 1  # how many requests it hits; -1: until cleared

    def to_json(self) -> dict:
        return {"operation": self.operation, "kind": self.kind, "status": self.status,
                "retryAfter": self.retry_after, "times": self.times}


class Rejection(Exception):
    """Integration failed: the flow's acknowledgement becomes Error with these details."""

    def __init__(self, reason_code: str, message: str, item: str = "file", more: list[dict] | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.item = item
        self.more = more or []  # further AcknowledgementDetails (other failed rules)

    def details(self) -> list[dict]:
        first = {"level": "Error", "item": self.item[:200], "reasonCode": self.reason_code,
                 "reasonMessage": str(self)[:1000]}
        return [first, *self.more]


class Store:
    def __init__(self, config: PlatformConfig):
        self.config = config
        self.lock = threading.RLock()
        self.directory = Directory.seeded()
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (client_id, expires at, wall clock)
        self.tokens_issued: Counter[str] = Counter()
        self.flows: dict[str, FlowRecord] = {}
        self.received_statuses: list[dict] = []  # seller statuses accepted (212...)
        self.ereports: list[dict] = []
        self.faults: list[Fault] = []
        self._holds: list[threading.Event] = []
        self.holding = threading.Semaphore(0)  # released once per answer being held (tests wait on it)
        self.webhooks: dict[str, dict] = {k: dict(v) for k, v in config.webhooks.items()}
        self.deliveries: dict[str, Delivery] = {}
        self.validation_log: list[dict] = []
        self.violations: list[dict] = []
        self._last_stamp = dt.datetime.now(dt.UTC)
        self.wakeup = threading.Event()  # nudges the scheduler when there is new work
        if config.state_file and os.path.exists(config.state_file):
            self._load(config.state_file)

    # -- clock ------------------------------------------------------------------------------------

    def stamp(self) -> str:
        """The platform's time, strictly increasing, so updatedAt orders every change."""
        with self.lock:
            now = dt.datetime.now(dt.UTC)
            if now <= self._last_stamp:
                now = self._last_stamp + dt.timedelta(microseconds=1)
            self._last_stamp = now
            return _iso(now)

    # -- OAuth2 -----------------------------------------------------------------------------------

    def issue_token(self, client_id: str, secret: str) -> str | None:
        """A new bearer token for valid client credentials, None otherwise."""
        expected = self.config.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected.encode(), secret.encode()):
            return None
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (client_id, time.time() + self.config.token_ttl)
            self.tokens_issued[client_id] += 1
        return token

    def client_for_token(self, token: str) -> str | None:
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None or entry[1] < time.time():
                return None
            return entry[0]

    def revoke_tokens(self, client_id: str | None = None) -> int:
        with self.lock:
            doomed = [t for t, (c, _) in self.tokens.items() if client_id in (None, c)]
            for token in doomed:
                del self.tokens[token]
            return len(doomed)

    # -- faults -----------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, operation: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first fault for this operation and kind, consumed once."""
        with self.lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.operation in (operation, "*"):
                    if fault.times > 0:
                        fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def hold(self) -> None:
        """Keep the current answer back until release_holds() (or max_hold seconds)."""
        event = threading.Event()
        with self.lock:
            self._holds.append(event)
        self.holding.release()
        event.wait(self.config.max_hold)

    def release_holds(self) -> int:
        with self.lock:
            held, self._holds = self._holds, []
        for event in held:
            event.set()
        return len(held)

    # -- validation records -----------------------------------------------------------------------

    def record_validation(self, entry: dict) -> None:
        with self.lock:
            self.validation_log.append(entry)
            if entry.get("response_errors"):
                self.violations.append(entry)

    # -- flows ------------------------------------------------------------------------------------

    def submit(self, client_id: str, info: dict, data: bytes, filename: str, content_type: str) -> FlowRecord:
        """Record a posted flow (ack Pending); integration happens at the next step."""
        syntax = info["flowSyntax"]
        rule = info.get("processingRule")
        if syntax == "CDAR":
            flow_type = "CustomerInvoiceLC"
        elif syntax == "FRR":
            flow_type = FRR_RULES.get(rule or "B2C", "MultiFlowReport")
        else:
            flow_type = "CustomerInvoice"
        now = self.stamp()
        record = FlowRecord(
            flow_id=str(uuid.uuid4()), client_id=client_id, syntax=syntax, flow_type=flow_type, direction="Out",
            processing_rule=rule or ("B2C" if syntax == "FRR" else "B2B"),
            rule_source="Input" if rule else "Computed", submitted_at=now, updated_at=now, data=data,
            name=info.get("name") or filename or "flow", content_type=content_type or "application/octet-stream",
            tracking_id=info.get("trackingId"), profile=info.get("flowProfile"), sha256=info.get("sha256"),
            todo=[INTEGRATE], due_at=time.monotonic() if self.config.status_interval is not None else None,
        )
        with self.lock:
            self.flows[record.flow_id] = record
        self.wakeup.set()
        self._save()
        return record

    def get(self, client_id: str, flow_id: str) -> FlowRecord | None:
        with self.lock:
            record = self.flows.get(flow_id)
            return record if record is not None and record.client_id == client_id else None

    def search(self, client_id: str, where: dict, limit: int) -> list[dict]:
        """Flows of this account matching every criterion, oldest update first (updatedAfter is strict)."""
        after = _parse(where.get("updatedAfter"))
        before = _parse(where.get("updatedBefore"))
        with self.lock:
            found = []
            for record in self.flows.values():
                if record.client_id != client_id:
                    continue
                updated = _parse(record.updated_at)
                assert updated is not None
                if after and not updated > after:
                    continue
                if before and not updated < before:
                    continue
                if where.get("trackingId") and record.tracking_id != where["trackingId"]:
                    continue
                if where.get("ackStatus") and record.ack_status != where["ackStatus"]:
                    continue
                if where.get("flowType") and record.flow_type not in where["flowType"]:
                    continue
                if where.get("flowDirection") and record.direction not in where["flowDirection"]:
                    continue
                if where.get("processingRule") and record.processing_rule not in where["processingRule"]:
                    continue
                found.append(record)
            found.sort(key=lambda r: r.updated_at)
            return [r.to_json() for r in found[:limit]]

    # -- time passing -----------------------------------------------------------------------------

    def advance(self, *, flow_id: str | None = None, steps: int = 1, client_id: str | None = None,
                deliver: bool = True) -> dict:
        """Move flows `steps` steps along their timeline; deliver the webhooks it causes."""
        events: list[dict] = []
        for _ in range(steps):
            with self.lock:
                targets = [r for r in self.flows.values() if r.todo and not r.busy
                           and flow_id in (None, r.flow_id) and client_id in (None, r.client_id)]
                for record in targets:
                    record.busy = True
            if not targets:
                break
            for record in sorted(targets, key=lambda r: r.submitted_at):
                try:
                    events.extend(self._step(record))
                finally:
                    with self.lock:
                        record.busy = False
        deliveries = self.deliver_webhooks(force=True) if deliver else []
        self._save()
        return {"events": events, "deliveries": deliveries}

    def run_due(self) -> None:
        """Timed mode: one step for each flow whose time has come (called by the scheduler)."""
        now = time.monotonic()
        with self.lock:
            targets = [r for r in self.flows.values() if r.todo and not r.busy and r.due_at is not None
                       and r.due_at <= now]
            for record in targets:
                record.busy = True
        for record in targets:
            try:
                self._step(record)
            except Exception:  # a bug in one flow must not stop the demo's clock
                log.exception("step failed for flow %s", record.flow_id)
            finally:
                with self.lock:
                    record.busy = False
                    record.due_at = (time.monotonic() + (self.config.status_interval or 0)) if record.todo else None
        if targets:
            self._save()
        self.deliver_webhooks()

    def _step(self, record: FlowRecord) -> list[dict]:
        with self.lock:
            item = record.todo.pop(0)
        if item == INTEGRATE:
            return self._integrate(record)
        return [self._emit(record, item)]

    # -- integration ------------------------------------------------------------------------------

    def _integrate(self, record: FlowRecord) -> list[dict]:
        events: list[dict] = []
        details: list[dict] = []
        try:
            self._common_checks(record)
            if record.syntax == "CDAR":
                self._integrate_status(record)
            elif record.syntax == "FRR":
                self._integrate_report(record)
            else:
                details = self._integrate_invoice(record)
        except Rejection as rejection:
            # A rejected invoice that could be identified keeps a 213 Rejetée in its todo: next step.
            self._set_ack(record, "Error", rejection.details())
            events.append({"flowId": record.flow_id, "event": "ack", "status": "Error",
                           "reasonCode": rejection.reason_code})
            return events
        except Exception:  # a bug or a crashed checker must not leave the flow Pending forever
            log.exception("integration of flow %s failed", record.flow_id)
            with self.lock:
                record.todo = []
            self._set_ack(record, "Error",
                          Rejection("OtherTechnicalError", "erreur interne de la plateforme").details())
            events.append({"flowId": record.flow_id, "event": "ack", "status": "Error",
                           "reasonCode": "OtherTechnicalError"})
            return events
        self._set_ack(record, "Ok", details)
        events.append({"flowId": record.flow_id, "event": "ack", "status": "Ok"})
        if record.todo and isinstance(record.todo[0], Step) and record.todo[0].code == 200:
            # 200 Déposée is the acceptance itself: it goes out with the Ok acknowledgement.
            with self.lock:
                step = record.todo.pop(0)
            events.append(self._emit(record, step))
        return events

    def _common_checks(self, record: FlowRecord) -> None:
        with self.lock:
            earlier = [r for r in self.flows.values() if r.client_id == record.client_id and r.tracking_id
                       and r.tracking_id == record.tracking_id and r.submitted_at < record.submitted_at
                       and r.direction == "Out"]
        if earlier:
            raise Rejection("AlreadyExistingFlow", f"trackingId déjà reçu dans le flux {earlier[0].flow_id}",
                            "trackingId")
        if not record.data:
            raise Rejection("EmptyFlow", "le fichier est vide")
        computed = hashlib.sha256(record.data).hexdigest()
        if record.sha256 and record.sha256 != computed:
            raise Rejection("ChecksumMismatch", f"sha256 annoncé {record.sha256}, calculé {computed}", "sha256")
        record.sha256 = computed

    def _integrate_invoice(self, record: FlowRecord) -> list[dict]:
        try:
            xml = invoices.xml_of(record.data, record.syntax)
        except invoices.NotAnInvoice as exc:
            raise Rejection("FlowTypeError", str(exc), "flowSyntax") from None
        if record.syntax == "Factur-X":
            record.converted = xml
        try:
            invoice = invoices.read_invoice(xml)
        except invoices.NotAnInvoice as exc:
            raise Rejection("InvalidSchema", str(exc)) from None
        if not _root_is(xml, "CII" if record.syntax in ("CII", "Factur-X") else "UBL"):
            raise Rejection("FlowTypeError", f"le fichier n'est pas un document {record.syntax}", "flowSyntax")
        record.invoice = invoice
        identified = bool(invoice.number and invoice.seller_siren)
        result = invoices.check_invoice(record.data, record.name)
        warnings = [{"level": "Warning", "item": f"{f.rule_id} {f.location}".strip()[:200],
                     "reasonCode": "REJ_SEMAN", "reasonMessage": f.message[:1000]}
                    for f in result.failures if f.flag != "fatal"][:20]
        if not result.ok:
            fatal = [f for f in result.failures if f.flag == "fatal"] or list(result.failures)
            code = "InvalidSchema" if result.schema_invalid else "REJ_SEMAN"
            if identified:
                with self.lock:
                    record.todo = [Step(213, "REJ_SEMAN", f"{fatal[0].rule_id} : {fatal[0].message}"[:500])]
            more = [{"level": "Error", "item": f"{f.rule_id} {f.location}".strip()[:200], "reasonCode": code,
                     "reasonMessage": f.message[:1000]} for f in fatal[1:20]]
            raise Rejection(code, fatal[0].message, f"{fatal[0].rule_id} {fatal[0].location}".strip(), more)
        with self.lock:
            duplicate = [r for r in self.flows.values() if r is not record and r.client_id == record.client_id
                         and r.invoice and r.ack_status == "Ok" and r.invoice.number == invoice.number
                         and r.invoice.seller_siren == invoice.seller_siren
                         and (r.invoice.issue_date and invoice.issue_date
                              and r.invoice.issue_date.year == invoice.issue_date.year)]
            if duplicate:
                record.todo = [Step(213, "REJ_UNI", f"Facture {invoice.number} déjà reçue")]
        if duplicate:
            raise Rejection("REJ_UNI", f"facture {invoice.number} déjà déposée (flux {duplicate[0].flow_id})",
                            "BT-1")
        with self.lock:
            record.todo = list(self.directory.script_for(invoice.buyer_siren))
        return warnings

    def _integrate_status(self, record: FlowRecord) -> None:
        try:
            status = cdar.read_seller_status(record.data)
        except cdar.BadStatus as exc:
            raise Rejection("InvalidSchema" if exc.field == "file" else "InvoiceLCRuleError", str(exc),
                            exc.field or "file") from None
        if status.code not in cdar.SELLER_STATUSES:
            raise Rejection("InvoiceLCStatusError", f"le statut {status.code} n'est pas émis par le vendeur",
                            "ProcessConditionCode")
        with self.lock:
            if any(s["messageId"] == status.message_id and s["clientId"] == record.client_id
                   for s in self.received_statuses):
                raise Rejection("AlreadyExistingFlow", f"message {status.message_id} déjà reçu",
                                "ExchangedDocument/ID")
            candidates = [r for r in self.flows.values() if r.client_id == record.client_id and r.invoice
                          and r.invoice.number == status.invoice_number
                          and r.invoice.seller_siren == status.seller_siren]
            accepted = [r for r in candidates if r.ack_status == "Ok"]
            if not candidates:
                raise Rejection("InvoiceLCRuleError", f"facture {status.invoice_number} inconnue de la plateforme",
                                "IssuerAssignedID")
            if not accepted or any(code in (210, 213) for code in accepted[0].statuses):
                raise Rejection("InvoiceLCInvalidStatus",
                                f"facture {status.invoice_number} rejetée ou refusée : pas d'encaissement possible",
                                "ProcessConditionCode")
            invoice_flow = accepted[0]
            invoice = invoice_flow.invoice
            assert invoice is not None
            unknown_rates = sorted({rate for rate, _ in status.amounts} - set(invoice.rates))
            if unknown_rates:
                raise Rejection("InvoiceLCAmountError", f"taux absents de la facture : {', '.join(unknown_rates)}",
                                "ValuePercent")
            already = sum(c for s in self.received_statuses if s["invoiceFlowId"] == invoice_flow.flow_id
                          for _, c in s["amounts"])
            received = sum(c for _, c in status.amounts)
            if invoice.total_cents is not None and already + received > invoice.total_cents:
                raise Rejection("InvoiceLCAmountError", "encaissements supérieurs au montant TTC de la facture",
                                "ValueAmount")
            self.received_statuses.append({
                "flowId": record.flow_id, "clientId": record.client_id, "trackingId": record.tracking_id,
                "messageId": status.message_id, "code": status.code, "invoiceNumber": status.invoice_number,
                "invoiceFlowId": invoice_flow.flow_id, "sellerSiren": status.seller_siren,
                "receivedOn": status.at.date().isoformat() if status.at else None,
                "amounts": [list(a) for a in status.amounts],
            })
            invoice_flow.statuses.append(status.code)

    def _integrate_report(self, record: FlowRecord) -> None:
        if record.processing_rule not in FRR_RULES:
            raise Rejection("FlowTypeError", "l'e-reporting relève des règles B2C ou B2BInt", "processingRule")
        try:
            root = etree.fromstring(record.data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise Rejection("InvalidSchema", f"XML mal formé : {exc}") from None
        if len(root) == 0:
            raise Rejection("InvalidSchema", "rapport vide")
        with self.lock:
            self.ereports.append({"flowId": record.flow_id, "clientId": record.client_id,
                                  "trackingId": record.tracking_id, "processingRule": record.processing_rule,
                                  "root": etree.QName(root).localname, "size": len(record.data)})

    def _set_ack(self, record: FlowRecord, status: str, details: list[dict]) -> None:
        with self.lock:
            record.ack_status = status
            record.ack_details = details
            record.updated_at = self.stamp()
        self._notify(record)

    # -- statuses ---------------------------------------------------------------------------------

    def _emit(self, invoice_flow: FlowRecord, step: Step) -> dict:
        """Create the status flow (In, CustomerInvoiceLC) for `step` about `invoice_flow`."""
        invoice = invoice_flow.invoice
        assert invoice is not None
        status_flow = self._status_flow(invoice_flow.client_id, invoice, step, about=invoice_flow.flow_id)
        with self.lock:
            invoice_flow.statuses.append(step.code)
        return {"flowId": invoice_flow.flow_id, "event": "status", "code": step.code,
                "statusFlowId": status_flow.flow_id}

    def _status_flow(self, client_id: str, invoice: invoices.Invoice, step: Step, about: str | None) -> FlowRecord:
        now = self.stamp()
        message = cdar.platform_status(
            message_id=f"CDV-{uuid.uuid4().hex[:20]}", code=step.code, invoice_number=invoice.number,
            invoice_issue_date=invoice.issue_date, invoice_type_code=invoice.type_code,
            seller_siren=invoice.seller_siren, buyer_siren=invoice.buyer_siren,
            at=dt.datetime.now(dt.UTC), platform_id=self.config.platform_id, reason_code=step.reason_code,
            reason=step.reason)
        record = FlowRecord(
            flow_id=str(uuid.uuid4()), client_id=client_id, syntax="CDAR", flow_type="CustomerInvoiceLC",
            direction="In", processing_rule="B2B", rule_source="Computed", submitted_at=now, updated_at=now,
            data=message, name=f"CDV-{invoice.number}-{step.code}.xml"[:255], content_type="application/xml",
            ack_status="Ok", about_flow_id=about,
        )
        with self.lock:
            self.flows[record.flow_id] = record
        self._notify(record)
        return record

    def emit_now(self, client_id: str, flow_id: str, step: Step) -> dict | None:
        """A status for an invoice flow right now, outside its script (POST /_control/flows/.../statuses)."""
        record = self.get(client_id, flow_id)
        if record is None or record.invoice is None:
            return None
        event = self._emit(record, step)
        self._save()
        return event

    def inject_status(self, client_id: str, invoice: invoices.Invoice, step: Step) -> FlowRecord:
        """A status about an invoice this platform never saw (to test the receiver's handling)."""
        record = self._status_flow(client_id, invoice, step, about=None)
        self._save()
        return record

    def set_scenario(self, buyer_siren: str, steps: list[Step]) -> None:
        with self.lock:
            self.directory.scenarios[buyer_siren] = tuple(steps)
        self._save()

    # -- webhooks ---------------------------------------------------------------------------------

    def _notify(self, record: FlowRecord) -> None:
        """Queue a webhook for this change when the account registered a callback."""
        body = record.to_json()
        errors = webhook_body_errors({"flowInfo": body})
        if errors:
            self.record_validation({"api": "flow", "operation": "WebhookCallback", "method": "POST",
                                    "path": "(callback)", "status": None, "request_errors": [],
                                    "response_errors": errors})
        with self.lock:
            hook = self.webhooks.get(record.client_id)
            if not hook:
                return
            delivery = new_delivery(record.client_id, hook["url"], hook["secret"], body)
            self.deliveries[delivery.delivery_id] = delivery
        self.wakeup.set()

    def deliver_webhooks(self, *, force: bool = False) -> list[dict]:
        """Attempt every pending delivery that is due (all of them with force); return the attempts."""
        now = time.monotonic()
        with self.lock:
            due = [d for d in self.deliveries.values() if d.state == "pending" and not d.in_flight
                   and (force or d.next_attempt_at <= now)]
            for delivery in due:
                delivery.in_flight = True
        results = []
        for delivery in due:
            outcome = attempt(delivery, self.config.webhook_timeout)
            with self.lock:
                delivery.in_flight = False
                delivery.attempts.append(outcome)
                if 200 <= outcome.get("status", 0) < 300:
                    delivery.state = "delivered"
                elif len(delivery.attempts) > len(self.config.webhook_backoff):
                    delivery.state = "failed"
                else:
                    delivery.next_attempt_at = (time.monotonic()
                                                + self.config.webhook_backoff[len(delivery.attempts) - 1])
            results.append({"deliveryId": delivery.delivery_id, "flowId": delivery.flow_id, **outcome,
                            "state": delivery.state})
        return results

    def replay(self, delivery_id: str) -> dict | None:
        """Send a past delivery again exactly as it was last sent (same id, timestamp, signature)."""
        with self.lock:
            delivery = self.deliveries.get(delivery_id)
        if delivery is None or not delivery.last_headers:
            return None
        return send(delivery.url, delivery.last_headers, delivery.body, self.config.webhook_timeout)

    # -- persistence (demo) -----------------------------------------------------------------------

    def _save(self) -> None:
        path = self.config.state_file
        if not path:
            return
        with self.lock:
            snapshot = {
                "flows": [_record_json(r) for r in self.flows.values()],
                "receivedStatuses": self.received_statuses,
                "ereports": self.ereports,
                "scenarios": {k: [s.to_json() for s in v] for k, v in self.directory.scenarios.items()},
                "webhooks": self.webhooks,
                "lastStamp": _iso(self._last_stamp),
            }
            temporary = f"{path}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(snapshot, handle, ensure_ascii=False)
            os.replace(temporary, path)

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            snapshot = json.load(handle)
        for item in snapshot.get("flows", []):
            record = _record_from_json(item)
            if record.todo and self.config.status_interval is not None:
                record.due_at = time.monotonic()
            self.flows[record.flow_id] = record
        self.received_statuses = snapshot.get("receivedStatuses", [])
        self.ereports = snapshot.get("ereports", [])
        for siren, steps in snapshot.get("scenarios", {}).items():
            self.directory.scenarios[siren] = tuple(Step.parse(s) for s in steps)
        self.webhooks.update(snapshot.get("webhooks", {}))
        if snapshot.get("lastStamp"):
            self._last_stamp = _parse(snapshot["lastStamp"]) or self._last_stamp


def _root_is(xml: bytes, kind: str) -> bool:
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    if kind == "CII":
        return root.tag == f"{{{invoices.CII_NS['rsm']}}}CrossIndustryInvoice"
    return root.tag in (f"{{{invoices.UBL_NS['inv']}}}Invoice", f"{{{invoices.UBL_NS['cn']}}}CreditNote")


def _parse(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _record_json(record: FlowRecord) -> dict:
    data = {k: v for k, v in record.__dict__.items() if k not in ("data", "converted", "invoice", "todo", "due_at",
                                                                   "busy")}
    data["data"] = base64.b64encode(record.data).decode()
    data["converted"] = base64.b64encode(record.converted).decode() if record.converted else None
    data["todo"] = [t if t == INTEGRATE else t.to_json() for t in record.todo]
    if record.invoice:
        invoice = dict(record.invoice.__dict__)
        invoice["issue_date"] = invoice["issue_date"].isoformat() if invoice["issue_date"] else None
        invoice["rates"] = sorted(invoice["rates"])
        data["invoice"] = invoice
    return data


def _record_from_json(item: dict) -> FlowRecord:
    item = dict(item)
    item["data"] = base64.b64decode(item["data"])
    item["converted"] = base64.b64decode(item["converted"]) if item.get("converted") else None
    item["todo"] = [t if t == INTEGRATE else Step.parse(t) for t in item.get("todo", [])]
    invoice = item.pop("invoice", None)
    record = FlowRecord(**item)
    if invoice:
        invoice["issue_date"] = dt.date.fromisoformat(invoice["issue_date"]) if invoice["issue_date"] else None
        invoice["rates"] = frozenset(invoice["rates"])
        record.invoice = invoices.Invoice(**invoice)
    return record
