"""Builders for the domain's objects, used by unit, domain, HTTP, browser and hardening tests.

Objects are built through the domain's own functions (a quote is a real draft, an issued
invoice took a real number), so a test never holds data the app could not have produced.
Each builder flushes; the caller commits.
"""

from __future__ import annotations

from datetime import date

from domain.billing import documents as docs
from domain.billing.documents import DraftInput, LineInput
from domain.billing.models import Document, Kind
from domain.core import accounts
from domain.core.clients import _refresh_search_key
from domain.core.models import Client, Company, Contact, User
from domain.core.orm import utcnow
from extensions import db
from tests.support.config import TEST_PASSWORD

# --- companies, users, clients -------------------------------------------------------------

_HASH_CACHE: dict[str, str] = {}


def password_hash(password: str = TEST_PASSWORD) -> str:
    """argon2 is slow on purpose; hash each test password once per session."""
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = accounts.hash_password(password)
    return _HASH_CACHE[password]


def make_company(name: str = "Plomberie Test", **fields) -> Company:
    """A company with every legal mention an invoice needs (SIRET, RM, VAT number, IBAN), its
    address confirmed as an established customer has it (it sends to clients)."""
    defaults = dict(
        legal_form="EI", siret="73282932000074", rcs_rm="RM 69 732 829 320", vat_number="FR44732829320",
        address_line1="1 rue du Test", postal_code="69003", city="Lyon", email="contact@test.example.fr",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", email_verified_at=utcnow(),
    )
    defaults.update(fields)
    company = Company(name=name, **defaults)
    db.session.add(company)
    db.session.flush()
    return company


def make_user(company: Company, email: str = "artisan@test.example.fr", name: str = "Jean Test",
              password: str = TEST_PASSWORD) -> User:
    """A user of the company who can log in with `password`."""
    user = User(company=company, email=email.lower(), name=name, password_hash=password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def make_client(company: Company, name: str = "Hélène Dupont", kind: str = "particulier",
                email: str = "helene@example.fr", **fields) -> Client:
    """A client in Lyon with a primary contact (none when `email` is empty), searchable by name."""
    client = Client(company_id=company.id, kind=kind, name=name, search_key=name.lower(),
                    address_line1=fields.pop("address_line1", "12 rue des Lilas"),
                    postal_code=fields.pop("postal_code", "69003"), city=fields.pop("city", "Lyon"), **fields)
    if email:
        client.contacts.append(Contact(company_id=company.id, name=name, email=email, is_primary=True))
    db.session.add(client)
    db.session.flush()
    _refresh_search_key(client)
    return client


# --- quotes and invoices --------------------------------------------------------------------


def example_lines() -> list[LineInput]:
    """The issue's example quote: 10 % renovation work plus a 20 % diagnostic."""
    return [
        LineInput(label="Tableau électrique", quantity_milli=1000, unit="u", unit_price_cents=89000, vat_rate_bp=1000),
        LineInput(label="Prises 16 A", quantity_milli=12000, unit="u", unit_price_cents=3840, vat_rate_bp=1000),
        LineInput(label="Main d'oeuvre", quantity_milli=9500, unit="h", unit_price_cents=5200, vat_rate_bp=1000),
        LineInput(label="Diagnostic", quantity_milli=1000, unit="forfait", unit_price_cents=12000, vat_rate_bp=2000),
    ]


def make_quote(company, client, actor=None, *, lines=None, today=date(2026, 11, 23), **fields) -> Document:
    """A draft quote (the example lines unless `lines` are given)."""
    data = DraftInput(client_id=client.id, lines=lines or example_lines(), **fields)
    return docs.create_draft(company, actor, Kind.QUOTE, data, today=today)


def make_invoice(company, client, actor=None, *, lines=None, today=date(2026, 11, 23), **fields) -> Document:
    """A draft invoice (one 150 € repair at 10 % unless `lines` are given)."""
    lines = lines or [LineInput(label="Dépannage fuite", quantity_milli=1000, unit_price_cents=15000, vat_rate_bp=1000)]
    data = DraftInput(client_id=client.id, lines=lines, **fields)
    return docs.create_draft(company, actor, Kind.INVOICE, data, today=today)


def issued(doc: Document, actor=None, today=date(2026, 11, 23)) -> Document:
    """The draft, issued: it takes the next number of its series."""
    return docs.issue(doc, actor, today=today)


def accepted_quote(company, client, actor=None, today=date(2026, 11, 23), **kw) -> Document:
    """A quote issued and accepted (ready for deposits and the final invoice)."""
    quote = issued(make_quote(company, client, actor, today=today, **kw), actor, today)
    docs.accept_quote(quote, actor)
    return quote


# --- with an app, committed -----------------------------------------------------------------


def setup_objects(app, company_id):
    """The company's user and two clients (a person and a business)."""
    with app.app_context():
        company = db.session.get(Company, company_id)
        client = make_client(company)
        pro = make_client(company, name="Bâtir SAS", kind="professionnel", email="pro@example.fr",
                          siren="552100554", vat_number="FR44552100554")
        db.session.commit()
        return client.id, pro.id


def with_company(app, company_id, build):
    """Run build(company, user) in an app context, commit, return its result."""
    with app.app_context():
        company = db.session.get(Company, company_id)
        user = db.session.scalar(db.select(User).where(User.company_id == company_id))
        result = build(company, user)
        db.session.commit()
        return result


def count(model, *where) -> int:
    """How many rows of `model` match `where` (inside an app context)."""
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))
