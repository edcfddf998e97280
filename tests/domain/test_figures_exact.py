"""The cached figures (dashboard, list totals) are exact: after random sequences of issues,
payments (by hand, or from a bank statement line, split or undone), cancellations, credit notes,
sends, pauses, platform statuses, tasks, plan runs and days passing, each
committed like a request and each followed by views that fill the cache, the figures read
through the cache equal a full recomputation (an empty cache) and, for the money, a plain
Python sum over every invoice. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

A write that did not move the company's data version would leave the previous view's entry in
the cache, and the next comparison would show it. The sequences are seeded (deterministic).
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text, update

import database
from domain.banking import imports as bank_imports
from domain.banking import reconciliation
from domain.banking.models import MATCHED, BankLine
from domain.billing import documents as docs
from domain.billing import lists, payments, status
from domain.billing.documents import DraftInput, LineInput
from domain.billing.lists import DocumentFilters
from domain.billing.models import Document, Kind, Payment, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.collections import autopilot, dashboard, reminders
from domain.collections.models import Task
from domain.core import dataversion
from domain.core.models import Client, Company, CompanyDataVersion, Contact, User
from domain.einvoicing import lifecycle, rules
from extensions import db
from tests.support.builders import make_client, make_company, make_user
from tests.support.config import ON_POSTGRES

START = date(2026, 9, 1)
STEPS = 90
TRACKED = ("companies", "clients", "contacts", "documents", "payments", "tasks", "reminder_plans")

LIST_FILTERS = {
    "invoices": DocumentFilters(),
    "quotes": DocumentFilters(group="quote"),
    "overdue": DocumentFilters(overdue=True),
    "open": DocumentFilters(open=True),
    "level_1": DocumentFilters(open=True, level=1),
    "credit_notes": DocumentFilters(kind=Kind.CREDIT_NOTE.value),
}


def board_facts(board: dashboard.Dashboard) -> dict:
    """Everything the home page shows, as plain values (ORM rows by id)."""
    return {
        "due": board.due, "overdue": board.overdue, "to_send": board.to_send, "levels": board.levels,
        "aging": board.aging, "weeks": board.weeks, "late_clients": board.late_clients,
        "late_clients_total": board.late_clients_total, "tasks": [t.id for t in board.tasks],
        "tasks_total": board.tasks_total, "delay": board.delay,
        "planned": [(p.invoice.id, p.step.index, p.has_email) for p in board.planned],
        "to_confirm": [(p.invoice.id, p.step.index) for p in board.to_confirm],
        "planned_total": board.planned_total, "to_confirm_total": board.to_confirm_total,
    }


def list_facts(company_id: int, today: date) -> dict:
    out = {}
    for name, filters in LIST_FILTERS.items():
        page = lists.list_documents(company_id, filters, today=today)
        out[name] = (page.total, page.amount_cents, page.remaining_cents, [r.doc.id for r in page.rows],
                     [r.status for r in page.rows])
    return out


def fast_and_full(company_id: int, today: date) -> tuple[tuple, tuple]:
    """The figures through the process's cache, then recomputed with an empty cache."""
    def read():
        db.session.expire_all()
        company = db.session.get_one(Company, company_id)
        return board_facts(dashboard.dashboard(company, today)), list_facts(company_id, today)

    fast = read()
    kept, dataversion.figures = dataversion.figures, dataversion.FiguresCache()
    try:
        full = read()
    finally:
        dataversion.figures = kept
    db.session.rollback()
    return fast, full


def python_sums(company_id: int, today: date) -> dict:
    """The money figures from every invoice, in Python (no SQL aggregate, no cache)."""
    db.session.expire_all()
    rows = db.session.scalars(select(Document).where(Document.company_id == company_id)).all()
    invoices = [d for d in rows if d.is_invoice]
    open_ = [d for d in invoices if d.remaining_cents > 0]
    late = [d for d in open_ if d.due_on < today]
    out = {
        "due": (len(open_), sum(d.remaining_cents for d in open_)),
        "overdue": (len(late), sum(d.remaining_cents for d in late)),
        # What was invoiced: credit notes deducted (a cancelled invoice adds nothing).
        "invoices": (len(invoices), sum(d.net_cents - d.credited_cents for d in invoices),
                     sum(d.remaining_cents for d in invoices)),
        "quotes": (sum(1 for d in rows if d.is_quote), sum(d.total_ttc_cents for d in rows if d.is_quote)),
        "to_send": sum(1 for d in open_ if status.status_of(d, today) == status.TO_SEND),
    }
    db.session.rollback()
    return out


class World:
    """One company, its clients, and the random operations a day at the office is made of."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.today = START
        company = make_company(reminders_enabled=True)
        self.company_id = company.id
        self.user_id = make_user(company).id
        self.client_ids = [make_client(company, name=f"Client {i}", email=f"c{i}@example.fr" if i % 3 else "").id
                           for i in range(5)]
        reminders.default_plan(company)
        db.session.commit()

    # -- helpers
    @property
    def user(self) -> User:
        return db.session.get_one(User, self.user_id)

    @property
    def company(self) -> Company:
        return db.session.get_one(Company, self.company_id)

    def invoices(self, *where) -> list[Document]:
        return list(db.session.scalars(select(Document).where(
            Document.company_id == self.company_id, Document.kind.in_((Kind.INVOICE,)),
            Document.issued_at.is_not(None), *where).order_by(Document.id)))

    def open_invoices(self) -> list[Document]:
        return [d for d in self.invoices() if d.remaining_cents > 0]

    def draft(self, kind: Kind, **fields) -> Document:
        lines = [LineInput(label="Travaux", quantity_milli=1000 * self.rng.randint(1, 3),
                           unit_price_cents=self.rng.choice((4500, 15000, 38000, 120000)),
                           vat_rate_bp=self.rng.choice((1000, 2000)))]
        data = DraftInput(client_id=self.rng.choice(self.client_ids), lines=lines, **fields)
        return docs.create_draft(self.company, self.user, kind, data, today=self.today)

    # -- operations (each returns a short description, or None when it had nothing to act on)
    def issue_invoice(self):
        doc = self.draft(Kind.INVOICE, payment_terms_days=self.rng.choice((0, 10, 30, 45)))
        docs.issue(doc, self.user, today=self.today)
        return f"issue {doc.number} due {doc.due_date}"

    def issue_quote(self):
        doc = self.draft(Kind.QUOTE, validity_date=self.today + timedelta(days=self.rng.choice((5, 30))))
        docs.issue(doc, self.user, today=self.today)
        if self.rng.random() < 0.4:
            docs.accept_quote(doc, self.user)
        return f"quote {doc.number}"

    def pay(self):
        choices = self.open_invoices()
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        amount = invoice.remaining_cents if self.rng.random() < 0.5 else max(1, invoice.remaining_cents // 3)
        payments.record_payment(invoice, self.user, PaymentInput(amount, self.today, PaymentMethod.TRANSFER),
                                today=self.today)
        return f"pay {amount} on {invoice.number}"

    def cancel_payment(self):
        live = list(db.session.scalars(select(Payment).where(Payment.company_id == self.company_id,
                                                             Payment.cancelled_at.is_(None))))
        if not live:
            return None
        payment = self.rng.choice(live)
        payments.cancel_payment(payment, self.user, reason="Chèque impayé")
        return f"cancel payment {payment.id}"

    def credit(self):
        choices = [d for d in self.open_invoices() if docs.creditable_cents(d) > 0]
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        full = invoice.paid_cents == 0 and self.rng.random() < 0.5
        # A partial credit of 10 € HT at 20 %, or less when less is left to credit (its TTC,
        # VAT rounded half-up, never exceeds what is left: the domain refuses more).
        excl_tax = min(1000, docs.creditable_cents(invoice) * 10 // 12)
        if not full and excl_tax < 1:
            return None
        lines = None if full else [LineInput(label="Geste commercial", unit_price_cents=excl_tax, vat_rate_bp=2000)]
        note = docs.create_credit_note(invoice, self.user, today=self.today, full=full, lines=lines)
        docs.issue(note, self.user, today=self.today)
        return f"credit {'full' if full else 'partial'} {invoice.number}"

    def send(self):
        choices = [d for d in self.open_invoices() if d.sent_at is None]
        if not choices:
            return None
        docs.mark_sent(self.rng.choice(choices), self.user)
        return "mark sent"

    def pause(self):
        choices = self.open_invoices()
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        until = None if invoice.reminders_paused_until else self.today + timedelta(days=self.rng.randint(1, 10))
        reminders.pause(invoice, self.user, until, reason="Promesse")
        return f"pause {invoice.number} until {until}"

    def task(self):
        open_tasks = list(db.session.scalars(select(Task).where(Task.company_id == self.company_id,
                                                                Task.done_at.is_(None))))
        if open_tasks and self.rng.random() < 0.4:
            reminders.complete_task(self.rng.choice(open_tasks), self.user)
            return "task done"
        reminders.add_task(self.company_id, self.user, client_id=self.rng.choice(self.client_ids),
                           due_on=self.today + timedelta(days=self.rng.randint(-3, 3)), note="Appeler")
        return "task added"

    def switch_client(self):
        client = db.session.get_one(Client, self.rng.choice(self.client_ids))
        client.reminders_disabled = not client.reminders_disabled
        return f"client {client.id} reminders {'off' if client.reminders_disabled else 'on'}"

    def contact(self):
        contact = db.session.scalar(select(Contact).where(Contact.company_id == self.company_id).limit(1))
        if contact is None:
            return None
        contact.email = "" if contact.email else "retour@example.fr"
        return "contact e-mail changed"

    def level(self):
        # As a one-tap reminder does (conditional update, no ORM flush of the row).
        choices = self.open_invoices()
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        db.session.execute(update(Document).where(Document.id == invoice.id, Document.reminder_level < 3)
                           .values(reminder_level=Document.reminder_level + 1)
                           .execution_options(synchronize_session=False))
        return f"level up {invoice.number}"

    def plan_run(self):
        db.session.commit()
        report = autopilot.run(deliver=lambda items: [setattr(i, "delivered", True) for i in items],
                               attachments_for=lambda doc, key: [], link_for=lambda doc: "https://x.test/l",
                               today=self.today, company_ids=[self.company_id])
        assert not report.failed_companies, report.failed_companies
        return f"plan run: {report.count('sent')} sent"

    def bank_match(self):
        # A transfer on a statement, given to one invoice or split over two of one client, as the
        # bank page does: the payments are recorded by reconciliation, not by hand.
        choices = self.open_invoices()
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        mates = [d for d in choices if d.client_id == invoice.client_id and d.id != invoice.id]
        targets = [invoice, *mates[:1]] if self.rng.random() < 0.5 else [invoice]
        allocations = [(d.id, d.remaining_cents if self.rng.random() < 0.6 else max(1, d.remaining_cents // 2))
                       for d in targets]
        cents = sum(c for _, c in allocations)
        self.statements = getattr(self, "statements", 0) + 1
        day = self.today.strftime("%d/%m/%Y")
        csv = ("Date;Date de valeur;Débit;Crédit;Libellé;Solde\r\n"
               f"{day};{day};;{cents // 100},{cents % 100:02d};VIR SEPA CLIENT {self.statements} "
               f"{invoice.number};1000,00\r\n").encode()
        statement = bank_imports.import_statement(self.company, self.user, csv, f"releve-{self.statements}.csv",
                                                  now=self.now).statement
        line = db.session.scalars(select(BankLine).where(BankLine.statement_id == statement.id)).one()
        reconciliation.allocate(line, self.user, invoice.client_id, allocations, today=self.today, now=self.now)
        return f"bank match {cents} on {[d.number for d in targets]}"

    def bank_undo(self):
        matched = list(db.session.scalars(select(BankLine).where(BankLine.company_id == self.company_id,
                                                                 BankLine.state == MATCHED)))
        if not matched:
            return None
        cancelled = reconciliation.undo_match(self.rng.choice(matched), self.user, now=self.now)
        return f"bank undo ({cancelled} payments cancelled)"

    def platform_status(self):
        # A status from the approved platform: refused or rejected stops the reminders, a dispute
        # pauses them, an approval after a dispute resumes them (domain/einvoicing/lifecycle.py).
        choices = self.open_invoices()
        if not choices:
            return None
        invoice = self.rng.choice(choices)
        code = self.rng.choice((*rules.STOPS_REMINDERS, *rules.PAUSES_REMINDERS, *rules.PAUSES_REMINDERS,
                                *rules.SETTLES_DISPUTE))
        self.flows = getattr(self, "flows", 0) + 1
        lifecycle.record_status(invoice, code=int(code), flow_id=f"flow-{self.flows}", at=self.now, now=self.now)
        return f"platform status {int(code)} on {invoice.number}"

    @property
    def now(self) -> datetime:
        return datetime.combine(self.today, time(10), tzinfo=UTC)

    def next_day(self):
        self.today += timedelta(days=self.rng.choice((1, 1, 3, 8, 20)))
        return f"today {self.today}"

    OPERATIONS = (("issue_invoice", 6), ("pay", 5), ("cancel_payment", 2), ("credit", 2), ("send", 2),
                  ("pause", 1), ("task", 2), ("switch_client", 1), ("contact", 1), ("level", 1), ("plan_run", 1),
                  ("next_day", 3), ("issue_quote", 2), ("bank_match", 3), ("bank_undo", 1), ("platform_status", 2))

    def step(self) -> str | None:
        names, weights = zip(*self.OPERATIONS, strict=True)
        name = self.rng.choices(names, weights)[0]
        with database.write_intent():
            done = getattr(self, name)()
            db.session.commit()
        return done


@pytest.mark.parametrize("seed", [1, 2])
def test_cached_figures_equal_a_full_recomputation(app, seed):
    with app.app_context():
        world = World(seed)
        history = []
        for _ in range(STEPS):
            done = world.step()
            if done is None:
                continue
            history.append(done)
            fast, full = fast_and_full(world.company_id, world.today)
            assert fast == full, f"after {history[-5:]}"
            again, _ = fast_and_full(world.company_id, world.today)  # from the cache this time
            assert again == full
            sums = python_sums(world.company_id, world.today)
            board, listed = fast
            assert (board["due"].count, board["due"].cents) == sums["due"], history[-5:]
            assert (board["overdue"].count, board["overdue"].cents) == sums["overdue"], history[-5:]
            assert board["to_send"].count == sums["to_send"]
            assert listed["invoices"][:3] == sums["invoices"]
            assert listed["quotes"][:2] == sums["quotes"]
        kinds = {h.split()[0] for h in history}
        assert {"issue", "pay", "cancel", "credit", "today", "plan", "bank", "platform"} <= kinds, kinds
        assert any(h.startswith("bank undo") for h in history), history
        assert dataversion.figures.hits > 0


def test_every_tracked_table_moves_the_version_in_the_same_transaction(app):
    """Each table the cached figures read has its trigger at the newest revision (a revision
    that rebuilds one of them on SQLite must create the trigger again), and a rolled-back
    change leaves the version as it was."""
    with app.app_context():
        company = make_company()
        client = make_client(company)
        db.session.commit()
        if ON_POSTGRES:
            found = set(db.session.scalars(text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'data_version_%' AND t.tgdeferrable AND t.tginitdeferred")))
            assert found == set(TRACKED)
        else:
            found = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert {f"data_version_{t}_{op}" for t in TRACKED for op in ("insert", "update", "delete")} <= found
        before = dataversion.version_of(company.id)
        assert before > 0
        client.name = "Autre nom"
        db.session.flush()
        db.session.rollback()
        assert dataversion.version_of(company.id) == before
        db.session.execute(update(Client).where(Client.id == client.id).values(name="Encore"))
        db.session.commit()
        assert dataversion.version_of(company.id) == before + 1
        assert db.session.get(CompanyDataVersion, company.id).version == before + 1


def test_a_transaction_that_wrote_does_not_fill_the_cache(app):
    with app.app_context():
        company = make_company()
        db.session.commit()
        cache = dataversion.FiguresCache()
        make_client(company)  # flushed, not committed
        assert cache.get_or_compute(company.id, START, "k", lambda: 1) == 1
        assert cache.get_or_compute(company.id, START, "k", lambda: 2) == 2  # computed again, nothing kept
        db.session.rollback()
        assert cache.get_or_compute(company.id, START, "k", lambda: 3) == 3
        assert cache.get_or_compute(company.id, START, "k", lambda: 4) == 3  # kept once nothing was written
        assert cache.get_or_compute(company.id, START + timedelta(days=1), "k", lambda: 5) == 5  # a new day


@pytest.mark.postgres_only
def test_two_writers_of_one_company_wait_for_rows_never_for_the_version(app):
    """PostgreSQL: the version moves at COMMIT (deferred triggers), after every row lock. Writer A
    holds invoice N and waits for invoice I, held by writer B: B commits (moving the version)
    without waiting for A. Were the version moved at each row, B would wait for the version
    row held by A since its first update, and A for B: a deadlock."""
    with app.app_context():
        company = make_company()
        client = make_client(company)
        ids = [docs.issue(docs.create_draft(company, None, Kind.INVOICE, DraftInput(
            client_id=client.id, lines=[LineInput(label="Travaux", unit_price_cents=10000)]), today=START),
            None, today=START).id for _ in range(2)]
        db.session.commit()
        before = dataversion.version_of(company.id)
        engine = db.engine
    note_id, invoice_id = ids
    touch = text("UPDATE documents SET notes = notes || '.' WHERE id = :id")
    with engine.connect() as a, engine.connect() as b:
        for conn in (a, b):
            conn.execute(text("SET lock_timeout = '5s'"))
        a.execute(touch, {"id": note_id})
        b.execute(touch, {"id": invoice_id})
        errors = []

        def a_then_commit():
            try:
                a.execute(touch, {"id": invoice_id})  # waits for B
                a.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        waiting = threading.Thread(target=a_then_commit)
        waiting.start()
        b.execute(touch, {"id": invoice_id})
        b.commit()  # never waits for A
        waiting.join(30)
        assert errors == []
    with app.app_context():
        assert dataversion.version_of(company.id) == before + 4
