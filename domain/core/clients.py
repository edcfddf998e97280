"""Clients and contacts: create, edit, archive, search."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from domain.core.models import Client, Company, Contact
from domain.core.orm import utcnow
from domain.core.paging import paginate
from domain.core.text import fold, like_pattern
from extensions import db

CLIENT_FIELDS = (
    "kind", "name", "siren", "siret", "vat_number", "address_line1", "address_line2", "postal_code", "city",
    "country", "site_address_line1", "site_postal_code", "site_city", "payment_terms_days", "notes",
)
PAGE_SIZE = 25


def _refresh_search_key(client: Client) -> None:
    parts = [client.name, client.city, client.site_city, client.siren, client.siret]
    parts += [f"{c.name} {c.email} {c.phone}" for c in client.contacts]
    client.search_key = fold(" ".join(p for p in parts if p))


def create_client(company: Company, *, contact: dict | None = None, **fields) -> Client:
    """Create a client, optionally with its first contact."""
    client = Client(company_id=company.id, **{k: v for k, v in fields.items() if k in CLIENT_FIELDS})
    if contact and any((contact.get(k) or "").strip() for k in ("name", "email", "phone")):
        client.contacts.append(Contact(company_id=company.id, is_primary=True, **contact))
    _refresh_search_key(client)
    db.session.add(client)
    db.session.flush()
    return client


def update_client(client: Client, **fields) -> Client:
    """Edit a client's details (documents already issued keep their own copy)."""
    for key, value in fields.items():
        if key in CLIENT_FIELDS:
            setattr(client, key, value)
    _refresh_search_key(client)
    db.session.flush()
    return client


def set_archived(client: Client, archived: bool) -> Client:
    """Archive (hide from lists and pickers) or restore a client; nothing is deleted. The client."""
    client.archived_at = utcnow() if archived else None
    db.session.flush()
    return client


def add_contact(client: Client, *, name: str = "", email: str = "", phone: str = "", role: str = "") -> Contact:
    """Add a contact; the first one becomes primary."""
    contact = Contact(
        company_id=client.company_id, name=name, email=email, phone=phone, role=role, is_primary=not client.contacts
    )
    client.contacts.append(contact)
    _refresh_search_key(client)
    db.session.flush()
    return contact


def remove_contact(client: Client, contact: Contact) -> None:
    """Remove a contact; if it was primary the next one takes over."""
    client.contacts.remove(contact)
    if contact.is_primary and client.contacts:
        client.contacts[0].is_primary = True
    _refresh_search_key(client)
    db.session.flush()


@dataclass(frozen=True)
class ClientPage:
    items: list[Client]
    total: int
    page: int
    pages: int


def search_clients(company_id: int, q: str = "", *, archived: bool = False, page: int = 1) -> ClientPage:
    """Clients of a company matching `q` (accent- and case-insensitive), paginated by name."""
    stmt = select(Client).where(Client.company_id == company_id)
    stmt = stmt.where(Client.archived_at.is_not(None) if archived else Client.archived_at.is_(None))
    if q.strip():
        stmt = stmt.where(Client.search_key.like(like_pattern(q.strip()), escape="\\"))
    items, total, page, pages = paginate(stmt, (func.lower(Client.name), Client.id), page, PAGE_SIZE)
    return ClientPage(items=items, total=total, page=page, pages=pages)
