"""The collections dashboard (the artisan's home page) and a client's payment activity.

Every figure is an SQL aggregate over one company's rows, for a given `today` (the
company's calendar date, domain.clock.today_in), in exact integer cents. The number of
queries does not grow with the number of invoices: one aggregate for the money cards,
one grouped query for the late clients, one for today's tasks, three for the plan of the
day (the plans, the count and first rows of what it sends, those invoices with their
clients) and one for the payment delay.

Definitions (each card opens the invoice list filtered the same way, see domain/lists.py):
- open invoice: issued (deposit, final or standalone), with something left to pay
  (net − paid − credited > 0); "due" sums what is left to pay on them;
- overdue: open and its due date is before today (status "en retard");
- days late: today − due date; aging buckets on open invoices: not yet due (due today or
  later), 1–30, 31–60, 61–90 and more than 90 days late;
- expected cash: what is left to pay on open invoices whose due date falls in each of the
  next four weeks, week 1 starting today (overdue money is not "expected" on a date);
- DSO, see `payment_delay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, defer
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Integer

from domain.billing import status
from domain.billing.models import INVOICE_KINDS, Document, Payment
from domain.collections import reminders
from domain.collections.models import ReminderPlan, Send, Task
from domain.core import dataversion
from domain.core.models import Client, Company, Contact
from extensions import db

DSO_WINDOW_DAYS = 90
LEVELS = (0, 1, 2, 3)
TOP_CLIENTS = 8
TOP_TASKS = 8
TOP_PLANNED = 8


class days_between(FunctionElement):
    """SQL: whole days from `earlier` to `later` (two DATE columns), on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # PostgreSQL: date - date is an integer number of days.
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # Dates are ISO strings on SQLite; julianday() of two dates differs by a whole number.
    return f"CAST(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}) AS INTEGER)"


def remaining_expr():
    """Left to pay on an invoice (net − paid − credited)."""
    return Document.net_cents - Document.paid_cents - Document.credited_cents


def open_invoice_conditions(company_id: int) -> list:
    """Issued invoices of the company with something left to pay (the partial index
    ix_documents_open holds exactly those, with every column the dashboard reads)."""
    return [Document.company_id == company_id, Document.kind.in_(INVOICE_KINDS), *status.open_terms()]


@dataclass(frozen=True)
class Figure:
    """How many invoices, and how much (integer cents)."""

    count: int
    cents: int


@dataclass(frozen=True)
class Bucket:
    """One due-date window of the open invoices: an aging bucket (1 to 30 days late...) or a coming week."""

    key: str
    label: str
    count: int
    cents: int
    due_from: date | None  # the due-date window of the bucket (for the list link)
    due_to: date | None


@dataclass(frozen=True)
class LateClient:
    client_id: int
    name: str
    count: int
    cents: int
    days_late: int  # of its oldest overdue invoice


@dataclass(frozen=True)
class PlannedReminder:
    invoice: Document
    step: reminders.DueStep
    has_email: bool


@dataclass(frozen=True)
class PaymentDelay:
    days: int | None  # None when no invoice was paid in full in the window
    invoices: int
    cents: int
    since: date


@dataclass(frozen=True)
class Dashboard:
    today: date
    due: Figure
    overdue: Figure
    to_send: Figure
    levels: list[Figure]  # index = reminder level R0..R3
    aging: list[Bucket]
    weeks: list[Bucket]
    late_clients: list[LateClient]
    late_clients_total: int
    tasks: list[Task]
    tasks_total: int
    planned: list[PlannedReminder]  # the first TOP_PLANNED the plan sends today (due date order)
    to_confirm: list[PlannedReminder]  # formal notices waiting for the artisan's go (first ones)
    delay: PaymentDelay
    planned_total: int = 0  # how many the plan sends today
    to_confirm_total: int = 0


def aging_windows(today: date) -> list[tuple[str, str, date | None, date | None]]:
    """(key, label, due_from, due_to) of the aging buckets; days late = today − due date."""
    return [
        ("not_due", "Pas encore échues", today, None),
        ("1_30", "1 à 30 jours", today - timedelta(days=30), today - timedelta(days=1)),
        ("31_60", "31 à 60 jours", today - timedelta(days=60), today - timedelta(days=31)),
        ("61_90", "61 à 90 jours", today - timedelta(days=90), today - timedelta(days=61)),
        ("90_plus", "Plus de 90 jours", None, today - timedelta(days=91)),
    ]


def week_windows(today: date) -> list[tuple[str, str, date, date]]:
    """The next four weeks, the first starting today."""
    out = []
    for k in range(4):
        start = today + timedelta(days=7 * k)
        out.append((f"week_{k + 1}", f"Semaine {k + 1}", start, start + timedelta(days=6)))
    return out


def _window(due_from: date | None, due_to: date | None):
    conds = []
    if due_from is not None:
        conds.append(Document.due_date >= due_from)
    if due_to is not None:
        conds.append(Document.due_date <= due_to)
    return and_(*conds)


def _bucket(windows, today: date):
    """SQL: the index of the window an invoice's due date falls in (NULL: none)."""
    return case(*[(_window(start, end), i) for i, (_key, _label, start, end) in enumerate(windows)], else_=None)


def _money_cards(company_id: int, today: date) -> dict:
    """Due, overdue, to send, levels, aging, weeks: one aggregate over the open invoices, grouped
    by (aging bucket, week, level, to send) so that each invoice is classified once in SQL (a few
    dozen groups come back) instead of summing 17 conditions per row."""
    remaining = remaining_expr()
    aging, weeks = aging_windows(today), week_windows(today)
    to_send = case((status.invoice_status_expr(today) == status.TO_SEND, 1), else_=0)
    keys = (_bucket(aging, today).label("aging"), _bucket(weeks, today).label("week"),
            Document.reminder_level.label("level"), to_send.label("to_send"))
    rows = db.session.execute(
        select(*keys, func.count(Document.id), func.sum(remaining))
        .where(*open_invoice_conditions(company_id)).group_by(*keys)
    ).all()
    totals = {name: [0, 0] for name in ("due", "overdue", "to_send", *(f"level_{lv}" for lv in LEVELS),
                                        *(key for key, *_ in aging), *(key for key, *_ in weeks))}

    def add(name, count, cents):
        totals[name][0] += count
        totals[name][1] += cents

    for aging_i, week_i, level, is_to_send, count, cents in rows:
        count, cents = int(count), int(cents)
        add("due", count, cents)
        if aging_i is not None:
            add(aging[aging_i][0], count, cents)
            if aging[aging_i][0] != "not_due":
                add("overdue", count, cents)
        if week_i is not None:
            add(weeks[week_i][0], count, cents)
        if level in LEVELS:
            add(f"level_{level}", count, cents)
        if is_to_send:
            add("to_send", count, cents)
    return {name: Figure(count, cents) for name, (count, cents) in totals.items()}


def _late_clients(company_id: int, today: date) -> tuple[list[LateClient], int]:
    remaining = remaining_expr()
    # Grouped on client_id + 0: grouping on the bare column makes SQLite walk the whole
    # company through ix_documents_company_client instead of the few open invoices.
    client_key = (Document.client_id + literal_column("0")).label("client_key")
    late = (select(client_key, func.count(Document.id).label("n"), func.sum(remaining).label("cents"),
                   func.min(Document.due_date).label("oldest"))
            .where(*open_invoice_conditions(company_id), Document.due_date < today)
            .group_by(client_key).subquery())
    rows = db.session.execute(
        select(Client.id, Client.name, late.c.n, late.c.cents, late.c.oldest, func.count().over())
        .join(late, late.c.client_key == Client.id)
        .order_by(late.c.cents.desc(), Client.name, Client.id)
        .limit(TOP_CLIENTS)
    ).all()
    clients = [LateClient(cid, name, int(n), int(cents), (today - oldest).days)
               for cid, name, n, cents, oldest, _ in rows]
    return clients, int(rows[0][5]) if rows else 0


def _tasks(company_id: int, today: date) -> tuple[list[Task], int]:
    """The first tasks due (today or before) and how many there are: which ones from the figures
    cache (a company can have thousands of open tasks to count and sort), the rows read live."""
    def first() -> tuple[tuple[int, ...], int]:
        due = (Task.company_id == company_id, Task.done_at.is_(None), Task.due_on <= today)
        total = db.session.scalar(select(func.count(Task.id)).where(*due)) or 0
        ids = db.session.scalars(select(Task.id).where(*due).order_by(Task.due_on, Task.id).limit(TOP_TASKS))
        return tuple(ids), int(total)

    ids, total = dataversion.figures.get_or_compute(company_id, today, "tasks", first)
    if not ids:
        return [], total
    rows = db.session.scalars(
        select(Task)
        .join(Client, Client.id == Task.client_id)
        .outerjoin(Document, Document.id == Task.document_id)
        .options(contains_eager(Task.client), contains_eager(Task.document))
        .where(Task.id.in_(ids))
        .order_by(Task.due_on, Task.id)
    ).unique().all()
    return list(rows), total


def plan_of_the_day(company: Company, today: date, *, limit: int = TOP_PLANNED):
    """(first sends, total sends, first formal notices to confirm, total to confirm) of today's plan.

    The same decisions as reminders.planned_today (the Python rule, tested against it), counted
    in SQL (reminders.step_action_expr) so that a day with thousands of reminders due costs one
    aggregate (kept in the figures cache), and only the first rows are loaded.
    """
    if not company.reminders_enabled:
        return [], 0, [], 0
    plans = {p.id: p for p in db.session.scalars(select(ReminderPlan).where(ReminderPlan.company_id == company.id))}
    default = next((p for p in plans.values() if p.is_default), None) or reminders.standard_plan(company.id)
    ranked = dataversion.figures.get_or_compute(
        company.id, today, ("plan_of_the_day", limit), lambda: _plan_ranked(company.id, plans, default, today, limit))
    if not ranked:
        return [], 0, [], 0
    sends_total, confirms_total = ranked[0][2], ranked[0][3]
    has_email = select(Contact.id).where(Contact.client_id == Document.client_id, Contact.email != "").exists()
    loaded = {doc.id: (doc, bool(email)) for doc, email in db.session.execute(
        select(Document, has_email).join(Client, Client.id == Document.client_id)
        .options(contains_eager(Document.client)).where(Document.id.in_([r[0] for r in ranked])))}
    sends: list[PlannedReminder] = []
    confirms: list[PlannedReminder] = []
    for doc_id, sql_action, _, _ in ranked:
        invoice, email = loaded[doc_id]
        plan = reminders.plan_among(invoice, plans, default)
        step = reminders.due_step(invoice, plan, today) if plan is not None else None
        if step is None:  # the SQL and the rule agree (tests hold it); only a change in between can differ
            continue
        target = sends if sql_action == "send" else confirms
        if len(target) < limit:
            target.append(PlannedReminder(invoice, step, email))
    return sends, sends_total, confirms, confirms_total


def _plan_ranked(company_id: int, plans: dict[int, ReminderPlan], default: ReminderPlan, today: date,
                 limit: int) -> list[tuple[int, str, int, int]]:
    """(invoice id, action, sends in all, confirms in all) of the first 2 × limit invoices the plan
    acts on today, sends first, in due-date order."""
    action = reminders.step_action_expr(plans, default, today).label("action")
    switched_off = select(Client.id).where(Client.company_id == company_id, Client.reminders_disabled.is_(True))
    due = reminders.candidates(company_id, today).where(Document.client_id.not_in(switched_off))
    if any(plan is not default for plan in plans.values()):
        due = due.join(Client, Client.id == Document.client_id)  # clients' own plans (else: no join per row)
    due = due.with_only_columns(Document.id, Document.due_date, action).order_by(None).subquery()
    is_send = due.c.action == "send"
    rows = db.session.execute(
        select(due.c.id, due.c.action, func.sum(case((is_send, 1), else_=0)).over(),
               func.sum(case((due.c.action == "confirm", 1), else_=0)).over())
        .where(due.c.action.in_(("send", "confirm")))
        .order_by(case((is_send, 0), else_=1), due.c.due_date, due.c.id)
        .limit(2 * limit)
    ).all()
    return [(int(doc_id), str(act), int(sends), int(confirms)) for doc_id, act, sends, confirms in rows]


def payment_delay(company_id: int, today: date, *, window_days: int = DSO_WINDOW_DAYS) -> PaymentDelay:
    """Average payment delay (DSO) over the last `window_days` days, in whole days.

    The invoices counted are those paid in full (by payments; a credit note may have
    taken part of them) whose full payment is dated within the window, today included:
    their last non-cancelled payment's date is between today − (window − 1) days and
    today. An invoice's delay is the number of days from its issue date to that last
    payment (0 if paid before it was issued). The average is weighted by the amount
    actually paid on each invoice: a 12 000 € job paid in 60 days weighs more on the
    cash flow than a 90 € call-out paid on the spot, and this is what "délai moyen de
    paiement" means to a bank or an accountant (DSO is money-weighted by nature).
    Rounded to the nearest day, halves up.
    """
    since = today - timedelta(days=window_days - 1)
    live = (Payment.company_id == company_id, Payment.cancelled_at.is_(None))
    # The invoices whose last payment is in the window: a payment in the window and none after
    # today. Read from the payments of the window only (ix_payments_company_paid_on covers it),
    # not by grouping every payment the company ever received.
    last = (select(Payment.document_id, func.max(Payment.paid_on).label("paid_on"))
            .where(*live, Payment.paid_on >= since, Payment.paid_on <= today)
            .group_by(Payment.document_id).subquery())
    later = select(Payment.id).where(Payment.document_id == Document.id, Payment.cancelled_at.is_(None),
                                     Payment.paid_on > today).exists()
    gap = days_between(last.c.paid_on, Document.issue_date)
    days = case((gap < 0, 0), else_=gap)
    count, paid, weighted = db.session.execute(
        select(func.count(Document.id), func.coalesce(func.sum(Document.paid_cents), 0),
               func.coalesce(func.sum(Document.paid_cents * days), 0))
        .join(last, last.c.document_id == Document.id)
        .where(Document.company_id == company_id, Document.kind.in_(INVOICE_KINDS), Document.issued_at.is_not(None),
               Document.paid_in_full_at.is_not(None), remaining_expr() <= 0, Document.paid_cents > 0, ~later)
    ).one()
    paid, weighted = int(paid), int(weighted)
    value = (2 * weighted + paid) // (2 * paid) if paid else None
    return PaymentDelay(value, int(count), paid, since)


def dashboard(company: Company, today: date) -> Dashboard:
    """Every figure of the home page for one company on `today`.

    The aggregates over the company's invoices and payments (money cards, late clients, payment
    delay, the plan's counts) come from the figures cache, exact by construction (see
    domain/core/dataversion.py): computed once per change of the company's data or per day,
    not on each view. Tasks and the first rows of the plan are read live (a few indexed rows)."""
    figures = dataversion.figures
    cards = figures.get_or_compute(company.id, today, "money_cards", lambda: _money_cards(company.id, today))
    late, late_total = figures.get_or_compute(company.id, today, "late_clients",
                                              lambda: _late_clients(company.id, today))
    delay = figures.get_or_compute(company.id, today, "payment_delay", lambda: payment_delay(company.id, today))
    tasks, tasks_total = _tasks(company.id, today)
    sends, sends_total, confirms, confirms_total = plan_of_the_day(company, today)
    return Dashboard(
        today=today, due=cards["due"], overdue=cards["overdue"], to_send=cards["to_send"],
        levels=[cards[f"level_{level}"] for level in LEVELS],
        aging=[Bucket(key, label, cards[key].count, cards[key].cents, start, end)
               for key, label, start, end in aging_windows(today)],
        weeks=[Bucket(key, label, cards[key].count, cards[key].cents, start, end)
               for key, label, start, end in week_windows(today)],
        late_clients=late, late_clients_total=late_total, tasks=tasks, tasks_total=tasks_total,
        planned=sends, to_confirm=confirms, delay=delay,
        planned_total=sends_total, to_confirm_total=confirms_total,
    )


# --- one client's activity (client page) ----------------------------------------------


@dataclass(frozen=True)
class ClientBehaviour:
    paid_invoices: int
    paid_late: int  # of which paid after their due date
    average_days_late: int | None  # over invoices paid in full; None if none yet


@dataclass(frozen=True)
class ClientActivity:
    today: date
    due: Figure
    overdue: Figure
    open_invoices: list[Document]
    payments: list[Payment]
    reminders: list[tuple[Send, str | None]]  # (send, document number)
    tasks: list[Task]
    behaviour: ClientBehaviour


def client_behaviour(company_id: int, client_id: int) -> ClientBehaviour:
    """How a client pays: over its invoices paid in full, the average days after the due date
    of the last payment (0 when on time), not weighted: it describes the client's habit."""
    # The client's payments by client index (the join below keeps to the company's invoices).
    last = (select(Payment.document_id, func.max(Payment.paid_on).label("paid_on"))
            .where(Payment.client_id == client_id, Payment.cancelled_at.is_(None))
            .group_by(Payment.document_id).subquery())
    gap = days_between(last.c.paid_on, Document.due_date)
    late = case((gap < 0, 0), else_=gap)
    count, total, paid_late = db.session.execute(
        select(func.count(Document.id), func.coalesce(func.sum(late), 0),
               func.coalesce(func.sum(case((late > 0, 1), else_=0)), 0))
        .join(last, last.c.document_id == Document.id)
        .where(Document.company_id == company_id, Document.client_id == client_id, Document.kind.in_(INVOICE_KINDS),
               Document.issued_at.is_not(None), Document.paid_in_full_at.is_not(None), remaining_expr() <= 0,
               Document.due_date.is_not(None))
    ).one()
    count, total = int(count), int(total)
    return ClientBehaviour(count, int(paid_late), (2 * total + count) // (2 * count) if count else None)


def client_activity(company_id: int, client_id: int, today: date, *, limit: int = 10) -> ClientActivity:
    """Collections side of the client page: balance, open invoices, payments, reminders, tasks, habit."""
    # The page shows numbers, dates and amounts: the parties' snapshot, VAT breakdown and
    # deductions (JSON, most of a row) are not decoded for each invoice (loaded if ever read).
    unshown = [defer(column) for column in (Document.snapshot, Document.vat_breakdown, Document.deductions)]
    open_docs = list(db.session.scalars(
        select(Document).where(*open_invoice_conditions(company_id), Document.client_id == client_id)
        .options(*unshown).order_by(Document.due_date, Document.id)))
    due = Figure(len(open_docs), sum(d.remaining_cents for d in open_docs))
    late_docs = [d for d in open_docs if d.due_date is not None and d.due_date < today]
    overdue = Figure(len(late_docs), sum(d.remaining_cents for d in late_docs))
    # Scoped through the invoice's company (see sends below): with Payment.company_id here,
    # SQLite walks the company's payments by date (ix_payments_company_paid_on).
    pays = list(db.session.scalars(
        select(Payment).join(Document, Document.id == Payment.document_id)
        .options(contains_eager(Payment.document).options(*unshown))
        .where(Document.company_id == company_id, Payment.client_id == client_id)
        .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit)))
    # Scoped through the document (company and client): with Send.company_id in the WHERE,
    # SQLite walks the company's every send (ix_sends_company_status) instead of this client's.
    sends = [(s, n) for s, n in db.session.execute(
        select(Send, Document.number).join(Document, Document.id == Send.document_id)
        .where(Document.company_id == company_id, Document.client_id == client_id, Send.purpose == "reminder")
        .order_by(Send.created_at.desc(), Send.id.desc()).limit(limit))]
    tasks = [t for t, in db.session.execute(
        select(Task).outerjoin(Document, Document.id == Task.document_id).options(contains_eager(Task.document))
        .where(Task.company_id == company_id, Task.client_id == client_id, Task.done_at.is_(None))
        .order_by(Task.due_on, Task.id).limit(limit))]
    return ClientActivity(today, due, overdue, open_docs, pays, sends, tasks, client_behaviour(company_id, client_id))
