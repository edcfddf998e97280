"""The hardening suite's company with one object of every kind ("world"), each in the
state its routes expect, so that every route of the URL map can be called on something real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from domain.banking import imports
from domain.banking.models import BankLine
from domain.billing import payments
from domain.billing.models import CatalogItem, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.collections import reminders
from domain.core import sessions
from domain.core.clock import today_in
from domain.core.models import Company
from domain.core.orm import utcnow
from domain.core.roles import STAFF
from domain.portal import links as portal
from extensions import db
from tests.support.builders import accepted_quote, issued, make_client, make_invoice, make_quote, make_user
from web.urls import link_secret

TODAY = today_in("Europe/Paris")


@dataclass(frozen=True)
class World:
    """Ids of one company's objects, each in the state its routes expect."""

    company_id: int
    user_id: int
    client_id: int
    contact_id: int
    item_id: int
    draft_quote_id: int
    open_quote_id: int  # issued, not answered yet
    quote_id: int  # issued and accepted (deposits, final invoice)
    draft_invoice_id: int
    invoice_id: int  # issued 40 days ago, overdue, partly paid
    payment_id: int
    task_id: int
    plan_id: int  # an extra reminder plan (not the default)
    session_id: int  # the user's session on another device
    colleague_id: int  # another user of the company (staff)
    open_quote_token: str
    quote_token: str
    invoice_token: str
    statement_id: int  # a bank statement of the company
    line_id: int  # its credit waiting to be reconciled (proposed for invoice_id)

    def ids_for(self, endpoint: str) -> dict:
        """URL values for a route: the object in the state the endpoint acts on."""
        quote = self.quote_id
        invoice = self.invoice_id
        if endpoint in ("quotes.edit", "quotes.delete", "quotes.issue"):
            quote = self.draft_quote_id
        elif endpoint in ("quotes.accept", "quotes.refuse", "quotes.mark_sent"):
            quote = self.open_quote_id
        if endpoint in ("invoices.edit", "invoices.delete", "invoices.issue"):
            invoice = self.draft_invoice_id
        token = self.invoice_token
        if endpoint in ("portal.accept", "portal.refuse"):
            token = self.open_quote_token
        return {
            "client_id": self.client_id, "contact_id": self.contact_id, "item_id": self.item_id,
            "quote_id": quote, "invoice_id": invoice, "document_id": invoice, "payment_id": self.payment_id,
            "task_id": self.task_id, "plan_id": self.plan_id, "session_id": self.session_id,
            "user_id": self.colleague_id,
            "token": token, "key": "soft", "channel": "whatsapp", "filename": "app.css",
            "statement_id": self.statement_id, "line_id": self.line_id,
        }


def build_world(company_id: int) -> World:
    """Populate the company (its user must exist) and commit."""
    company = db.session.get(Company, company_id)
    user = company.users[0]
    client = make_client(company, name="Hélène Dupont", email="helene@example.fr")
    item = CatalogItem(company_id=company.id, label="Pose de prise", unit_price_cents=4500, vat_rate_bp=1000)
    db.session.add(item)
    draft_quote = make_quote(company, client, user, today=TODAY)
    open_quote = issued(make_quote(company, client, user, today=TODAY), user, TODAY)
    quote = accepted_quote(company, client, user, today=TODAY)
    draft_invoice = make_invoice(company, client, user, today=TODAY)
    invoice = issued(make_invoice(company, client, user, today=TODAY - timedelta(days=40)), user,
                     TODAY - timedelta(days=40))
    payment = payments.record_payment(invoice, user, PaymentInput(1000, TODAY, PaymentMethod.CASH), today=TODAY)
    task = reminders.add_task(company.id, user, client_id=client.id, due_on=TODAY, note="Appeler le client",
                              document=invoice)
    plan = reminders.save_plan(company, None, name="Clients réguliers", steps=reminders.DEFAULT_STEPS[1:3],
                               confirm_formal_notice=True)
    links = {doc.id: portal.ensure_link(doc, user, secret=link_secret()).token for doc in (open_quote, quote, invoice)}
    imported = imports.import_statement(company, user, world_statement(invoice.remaining_cents), "releve.csv")
    line_id = db.session.scalar(select(BankLine.id).where(BankLine.statement_id == imported.statement.id,
                                                          BankLine.amount_cents > 0))
    device, _key = sessions.start(user, ip="192.0.2.10", user_agent="", now=utcnow())
    colleague = make_user(company, email=f"collegue{company.id}@test.example.fr", name="Collègue")
    colleague.role = STAFF
    db.session.commit()
    return World(
        company_id=company.id, user_id=user.id, client_id=client.id, contact_id=client.contacts[0].id,
        item_id=item.id, draft_quote_id=draft_quote.id, open_quote_id=open_quote.id, quote_id=quote.id,
        draft_invoice_id=draft_invoice.id, invoice_id=invoice.id, payment_id=payment.id, task_id=task.id,
        plan_id=plan.id, session_id=device.id, colleague_id=colleague.id, open_quote_token=links[open_quote.id], quote_token=links[quote.id],
        invoice_token=links[invoice.id], statement_id=imported.statement.id, line_id=line_id,
    )


def world_statement(remaining_cents: int) -> bytes:
    """A Crédit Mutuel CSV of yesterday: Hélène Dupont's transfer of what her invoice owes, and a debit."""
    day = (TODAY - timedelta(days=1)).strftime("%d/%m/%Y")
    euros, cents = divmod(remaining_cents, 100)
    return ("Date;Date de valeur;Débit;Crédit;Libellé;Solde\r\n"
            f"{day};{day};;{euros},{cents:02d};VIR SEPA MME HELENE DUPONT;1000,00\r\n"
            f"{day};{day};-20,00;;PRLV SEPA EDF;980,00\r\n").encode()
