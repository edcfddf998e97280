"""What a tablet keeps for a site visit without network: the documents an artisan may need to
show or read there, each with a version that changes whenever its page would.

The 50 most recently issued documents, every unpaid invoice and every quote awaiting an
answer (each capped: a company with thousands of unpaid invoices keeps the soonest due), and
their clients. Drafts are left out: their PDF is rendered on demand (never frozen), and what a
client is shown on site is what was issued.

A document's version is its row version (every change to the document bumps it) and its
latest event (tasks, sends, shares, answers touch only the history), so the tablet fetches
again only the pages that changed; a frozen PDF never changes, its SHA-256 names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select

from domain.billing import status
from domain.billing.models import INVOICE_KINDS, Document, Kind, StoredFile
from domain.core.models import Client, Event
from extensions import db

RECENT = 50
UNPAID_CAP = 300
PENDING_QUOTES_CAP = 100
PDF_PURPOSE = "document_pdf"


@dataclass(frozen=True)
class KeptDocument:
    """One document to keep on the tablet (ids, labels and versions only)."""

    id: int
    kind: str
    number: str
    client_id: int
    client_name: str
    version: str  # the page's: changes with the document or its history
    pdf_sha256: str  # the frozen PDF's ("" if not frozen yet: the page only)


@dataclass(frozen=True)
class KeptClient:
    id: int
    name: str
    version: str


def _ids(company_id: int) -> list[int]:
    issued = (Document.company_id == company_id, Document.issued_at.is_not(None))
    recent = select(Document.id).where(*issued).order_by(Document.issued_at.desc(), Document.id.desc()).limit(RECENT)
    unpaid = (select(Document.id).where(Document.company_id == company_id, Document.kind.in_(INVOICE_KINDS),
                                        *status.open_terms())
              .order_by(Document.due_date, Document.id).limit(UNPAID_CAP))
    pending = (select(Document.id).where(*issued, Document.kind == Kind.QUOTE, Document.accepted_at.is_(None),
                                         Document.refused_at.is_(None))
               .order_by(Document.issued_at.desc()).limit(PENDING_QUOTES_CAP))
    seen: dict[int, None] = {}
    for stmt in (recent, unpaid, pending):
        for doc_id in db.session.scalars(stmt):
            seen.setdefault(doc_id, None)
    return list(seen)


def documents_to_keep(company_id: int) -> tuple[list[KeptDocument], list[KeptClient]]:
    """The company's documents (and their clients) a tablet keeps for offline reading."""
    ids = _ids(company_id)
    if not ids:
        return [], []
    rows = db.session.execute(
        select(Document.id, Document.kind, Document.number, Document.version, Document.client_id, Client.name)
        .join(Client, Client.id == Document.client_id)
        .where(Document.company_id == company_id, Document.id.in_(ids))
    ).all()
    last_event = dict(db.session.execute(
        select(Event.document_id, func.max(Event.id)).where(Event.company_id == company_id, Event.document_id.in_(ids))
        .group_by(Event.document_id)).all())
    pdfs = dict(db.session.execute(
        select(StoredFile.document_id, StoredFile.sha256).where(StoredFile.company_id == company_id,
                                                                StoredFile.document_id.in_(ids),
                                                                StoredFile.purpose == PDF_PURPOSE)).all())
    order = {doc_id: i for i, doc_id in enumerate(ids)}
    kept = sorted((KeptDocument(id=r.id, kind=str(r.kind), number=r.number or "", client_id=r.client_id,
                                client_name=r.name, version=f"{r.version}.{last_event.get(r.id, 0)}",
                                pdf_sha256=pdfs.get(r.id, ""))
                   for r in rows), key=lambda d: order[d.id])
    client_ids = sorted({d.client_id for d in kept})
    client_events = dict(db.session.execute(
        select(Event.client_id, func.max(Event.id)).where(Event.company_id == company_id,
                                                          Event.client_id.in_(client_ids))
        .group_by(Event.client_id)).all())
    names = {d.client_id: d.client_name for d in kept}
    # A client's page lists its documents: it changes when one of them does.
    doc_versions: dict[int, list[str]] = {}
    for d in kept:
        doc_versions.setdefault(d.client_id, []).append(f"{d.id}:{d.version}")
    clients = [KeptClient(id=cid, name=names[cid], version=f"{client_events.get(cid, 0)}." + hashlib.sha256(
        " ".join(doc_versions[cid]).encode()).hexdigest()[:12]) for cid in client_ids]
    return kept, clients
