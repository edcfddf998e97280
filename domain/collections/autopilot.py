"""The daily run (cron): automatic sending of newly issued invoices and reminder plan steps.

Safe to run twice, late, or twice at the same time:
- each invoice records the last plan step handled; a step is taken with a conditional
  UPDATE (and on PostgreSQL the batch is selected FOR UPDATE SKIP LOCKED so concurrent
  runners share the work instead of queueing), so a rerun sends nothing twice;
- after missed days only the latest due step is sent (domain.reminders.due_step);
- a send that fails gives its step back, so the next run retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from domain.billing.models import INVOICE_KINDS, Document
from domain.billing.terms import load_tables
from domain.collections import messages, reminders
from domain.collections.models import Send
from domain.collections.sending import SendRequest, send_all
from domain.core import events
from domain.core.clock import today_in, zone
from domain.core.models import Client, Company
from domain.core.orm import utcnow
from extensions import db
from output.mail import Deliver

log = logging.getLogger("encaisse.autopilot")

BATCH = 200


@dataclass
class RunLine:
    company: str
    number: str
    client: str
    template: str
    action: str  # sent | failed | would_send | skipped | to_confirm | no_email | auto_sent…
    detail: str = ""


@dataclass
class RunReport:
    dry_run: bool
    lines: list[RunLine] = field(default_factory=list)
    # Companies with an error (a message that could not be prepared, or a run stopped and
    # rolled back): logged, reported, and the command exits non-zero. The others ran.
    failed_companies: list[str] = field(default_factory=list)

    def company_failed(self, name: str) -> None:
        if name not in self.failed_companies:
            self.failed_companies.append(name)

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)


def auto_send_due(doc: Document, company: Company, now: datetime) -> bool:
    """Company setting: send a new invoice at the chosen hour on its issue day if issued before
    that hour, else at that hour on the next weekday."""
    if doc.issued_at is None:
        return False  # a draft is never sent
    local_issue = doc.issued_at.astimezone(zone(company.timezone))
    hour = company.auto_send_hour
    day = local_issue.date()
    if local_issue.hour >= hour:
        day += timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    scheduled = datetime(day.year, day.month, day.day, hour, tzinfo=zone(company.timezone))
    return now >= scheduled


def _companies(company_ids):
    stmt = select(Company.id, Company.name).order_by(Company.id)
    if company_ids:
        stmt = stmt.where(Company.id.in_(company_ids))
    return stmt


def run(*, deliver: Deliver, attachments_for: Callable, link_for: Callable[[Document], str], today: date | None = None,
        now: datetime | None = None, dry_run: bool = False, company_ids=None,
        html_extra_for: Callable[[Company, Send], str] | None = None,
        shard: tuple[int, int] | None = None, daily_quota: int | None = None) -> RunReport:
    """Handle every company; returns what was (or would be) done.

    `html_extra_for(company, send)`: HTML appended to each e-mail (the open-tracking pixel).
    `shard=(k, n)`: only the invoices whose id is k modulo n, so that n runners started together
    share the day's work instead of racing for the same invoices (each claim still holds alone).
    """
    now = now or utcnow()
    report = RunReport(dry_run=dry_run)
    send = partial(send_all, deliver=deliver, attachments_for=attachments_for, daily_quota=daily_quota, now=now)
    for company_id, name in db.session.execute(_companies(company_ids)).all():
        # Each company alone: whatever one company's data does (a template, a document), the
        # companies after it get their run. Its uncommitted work is rolled back and reported.
        try:
            company = db.session.get_one(Company, company_id)
            day = today or today_in(company.timezone, now)
            extra = (lambda send, company=company: html_extra_for(company, send)) if html_extra_for else None
            _auto_send(company, day, now, report, send, link_for, dry_run, extra, shard)
            if company.reminders_enabled:
                _plan_steps(company, day, now, report, send, link_for, dry_run, extra, shard)
        except Exception as exc:
            db.session.rollback()
            log.exception("daily run failed for company %s", company_id)
            report.company_failed(name)
            report.lines.append(RunLine(name, "", "", "", "company_failed", f"{exc.__class__.__name__}: {exc}"))
    return report


def _in_shard(stmt, shard: tuple[int, int] | None):
    return stmt if shard is None else stmt.where(Document.id % shard[1] == shard[0])


def _auto_send(company, day, now, report, send, link_for, dry_run, html_extra_for=None,
               shard=None) -> None:
    if not company.auto_send_invoices:
        return
    docs = db.session.scalars(_in_shard(
        select(Document).where(Document.company_id == company.id, Document.kind.in_(INVOICE_KINDS),
                               Document.issued_at.is_not(None), Document.sent_at.is_(None))
        .order_by(Document.id), shard)
    ).all()
    requests = []
    for doc in docs:
        if auto_send_due(doc, company, now):
            request = _auto_send_request(company, doc, day, report, link_for, dry_run)
            if request is not None:
                requests.append(request)
    if requests:
        for outcome in send(requests, None, html_extra_for=html_extra_for):
            doc = db.session.get_one(Document, outcome.send.document_id)
            report.lines.append(RunLine(company.name, doc.issued_number, doc.client.name, "invoice_send",
                                        "auto_sent" if outcome.ok else "failed", outcome.message))


def _auto_send_request(company, doc, day, report, link_for, dry_run) -> SendRequest | None:
    """The e-mail sending one issued invoice on its own, or None (and why, in the report)."""
    key = f"auto-send-{doc.id}"
    if db.session.scalar(select(Send.id).where(Send.company_id == company.id, Send.idempotency_key == key)):
        return None  # tried before (sent, failed or uncertain): the artisan decides
    line = RunLine(company.name, doc.number, doc.client.name, "invoice_send", "")
    if db.session.scalar(select(Send.id).where(Send.document_id == doc.id, Send.purpose == "document",
                                               Send.status == "sending").limit(1)):
        # Sent by hand and interrupted (crash): it may have left. Never send it again unasked.
        line.action = "uncertain"
    elif not doc.client.emails:
        line.action = "no_email"
    elif dry_run:
        line.action = "would_send"
    else:
        try:
            draft = reminders.compose(doc, "invoice_send", day, link=link_for(doc))
        except Exception as exc:
            log.exception("automatic send failed for document %s", doc.id)
            _not_prepared(report, company, line, exc)
            return None
        return SendRequest(document=doc, purpose="document", template_key="invoice_send",
                           recipients=draft.recipients, subject=draft.subject, body=draft.body,
                           idempotency_key=key, automatic=True)
    report.lines.append(line)
    return None


def _not_prepared(report, company, line: RunLine, exc: Exception) -> None:
    """This invoice's message could not be prepared: said in the report, the others go on."""
    line.action, line.detail = "failed", f"Message impossible à préparer : {exc}"
    report.lines.append(line)
    report.company_failed(company.name)


def _with_step_due(company_id: int, day, plans: dict, default):
    """The company's invoices with a plan step due on `day` (the SQL twin of due_step, as the
    dashboard counts them): most companies have none on most days, and an open invoice that
    already had its latest step costs nothing. due_step still decides for each one loaded."""
    due = reminders.candidates(company_id, day).where(reminders.step_action_expr(plans, default, day).is_not(None))
    if any(plan is not default for plan in plans.values()):
        due = due.join(Client, Client.id == Document.client_id)  # clients' own plans
    return due


def _plan_steps(company, day, now, report, send, link_for, dry_run, html_extra_for=None,
                shard=None) -> None:
    # The plans once per company (not a query per invoice), as plan_for would find them.
    default = reminders.default_plan(company)
    plans = {plan.id: plan for plan in reminders.company_plans(company.id)} | {default.id: default}
    due = _with_step_due(company.id, day, plans, default)
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    tables = templates = None
    last_id = 0
    while True:
        stmt = _in_shard(due, shard).where(Document.id > last_id)
        stmt = stmt.order_by(None).order_by(Document.id).limit(BATCH)
        if on_postgres and not dry_run:
            # Concurrent runners each lock a different batch instead of waiting for one another.
            stmt = stmt.with_for_update(skip_locked=True, of=Document)
        invoices = list(db.session.scalars(stmt))
        if not invoices:
            db.session.commit()
            return
        last_id = invoices[-1].id
        if tables is None:  # read once per company, and only when it has something to do today
            tables = load_tables(day, company.id)
            templates = {key: messages.get(company.id, key) for key in reminders.TEMPLATE_LEVELS}
        # The batch's clients and their contacts in two queries; invoice.client then finds them in
        # the session (which holds rows weakly: `clients` keeps them for the batch). Not as loader
        # options of the invoices: those would be replayed each time send_all re-reads one.
        clients = {c.id: c for c in db.session.scalars(
            select(Client).where(Client.id.in_({i.client_id for i in invoices}))
            .options(selectinload(Client.contacts)))}
        # What the report prints, read now: after send_all's commits every row is expired.
        labels = {invoice.id: (invoice.number, clients[invoice.client_id].name) for invoice in invoices}
        requests = []
        for invoice in invoices:
            request = _step_request(company, invoice, plans, default, day, now, report, link_for, dry_run,
                                    templates, tables)
            if request is not None:
                requests.append(request)
        if dry_run:
            continue
        if not requests:
            db.session.commit()
            continue
        for outcome in send(requests, None, html_extra_for=html_extra_for):
            number, client_name = labels[outcome.document_id]
            report.lines.append(RunLine(company.name, number, client_name, outcome.template_key,
                                        "duplicate" if outcome.duplicate else ("sent" if outcome.ok else "failed"),
                                        outcome.message))


def _step_request(company, invoice, plans, default, day, now, report, link_for, dry_run, templates,
                  tables) -> SendRequest | None:
    """Today's step of one invoice of the batch: the e-mail to send, or None (what was done instead,
    or why nothing was, in the report)."""
    plan = reminders.plan_among(invoice, plans, default)
    step = reminders.due_step(invoice, plan, day) if plan else None
    if step is None:
        return None
    line = RunLine(company.name, invoice.number, invoice.client.name, step.template, "", step.why)
    if dry_run:
        line.action = {"send": "would_send", "skip": "would_skip", "confirm": "to_confirm"}[step.action]
        report.lines.append(line)
        return None
    try:
        # A savepoint per invoice: a message that cannot be prepared (a template saved
        # before today's bounds, say) leaves this invoice's step unclaimed and unsent.
        with db.session.begin_nested():
            request = _take_step(company, invoice, step, line, day, now, link_for, templates, tables)
    except Exception as exc:
        log.exception("reminder step failed for document %s", invoice.id)
        _not_prepared(report, company, line, exc)
        return None
    if request is None and line.action:
        report.lines.append(line)
    return request


def _take_step(company, invoice, step, line, day, now, link_for, templates, tables) -> SendRequest | None:
    """Claim today's step of one invoice and do it: skip, ask for confirmation, create a call
    task, or return the e-mail to send. Nothing is done when another run claimed it first."""
    previous = invoice.reminder_step_reached
    if not reminders.claim_step(invoice, step):
        return None  # another run took this step
    if step.action == "skip":
        events.record(company.id, "reminder_step_skipped", document=invoice, actor_label="relances automatiques",
                      at=now, template=step.template, reason=step.why)
        line.action = "skipped"
    elif step.action == "confirm":
        reminders.add_task(company.id, None, client_id=invoice.client_id, due_on=day, document=invoice,
                           kind="confirm_formal_notice",
                           note=f"Confirmer la mise en demeure de la facture {invoice.number} (plan de relance)")
        line.action = "to_confirm"
    elif not invoice.client.emails:
        reminders.add_task(company.id, None, client_id=invoice.client_id, due_on=day, document=invoice,
                           note=f"Relancer {invoice.client.name} pour la facture {invoice.number} : pas d'e-mail "
                                "(téléphone, SMS ou WhatsApp)")
        line.action = "no_email"
    else:
        draft = reminders.compose(invoice, step.template, day, link=link_for(invoice),
                                  template=templates[step.template], tables=tables)
        return SendRequest(document=invoice, purpose="reminder", template_key=step.template,
                           recipients=draft.recipients, subject=draft.subject, body=draft.body,
                           plan_step=step.index, previous_step=previous, automatic=True)
    return None
