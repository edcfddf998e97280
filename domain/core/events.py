"""The append-only history. Every state change writes its Event in the same transaction.

Subscribers: a feature above billing (e-invoicing) must react to an issue or a payment in the
same transaction without billing importing it. It registers a handler per event kind at app
start (`subscribe`); `record` calls the handlers right after adding the event, inside the
caller's transaction, so what they write commits or rolls back with the change itself. A state
change writes its event exactly once (each one is a conditional update, see domain/core/
conditional.py), so a handler runs once per change; handlers still write with unique keys, so
even a second call could not double their work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from domain.core.models import Event
from domain.core.orm import utcnow
from extensions import db

if TYPE_CHECKING:
    from domain.billing.models import Document

# French labels for the timeline; later features add their kinds here.
EVENT_LABELS = {
    "created": "Créé",
    "edited": "Modifié",
    "duplicated": "Dupliqué",
    "issued": "Émis",
    "marked_sent": "Marqué comme envoyé",
    "accepted": "Accepté",
    "refused": "Refusé",
    "deposit_created": "Facture d'acompte créée",
    "final_created": "Facture de solde créée",
    "credit_note_created": "Avoir créé",
    "credited": "Avoir émis",
    "invoiced": "Facturé",
    "payment_recorded": "Paiement enregistré",
    "payment_cancelled": "Paiement annulé",
    "paid_in_full": "Payée intégralement",
    "draft_deleted": "Brouillon supprimé",
    # sending and collections
    "email_sent": "Envoyé par e-mail",
    "reminder_sent": "Relance envoyée",
    "send_failed": "Échec d'envoi",
    "shared": "Partagé",
    "reminders_paused": "Relances suspendues",
    "reminders_resumed": "Relances reprises",
    "reminders_enabled": "Relances automatiques activées",
    "reminders_disabled": "Relances automatiques désactivées",
    "reminder_step_skipped": "Étape du plan passée",
    "task_created": "Tâche créée",
    "task_done": "Tâche faite",
    "penalty_invoice_created": "Facture de pénalités créée",
    "reminder_plan_changed": "Plan de relance changé",
    # client link and delivery tracking
    "link_created": "Lien client créé",
    "link_revoked": "Lien client révoqué",
    "email_opened": "E-mail ouvert (indicatif)",
    "viewed": "Consulté par le client",
    "client_promised": "Validée par le client, paiement promis",
    # the company itself
    "bank_details_changed": "Coordonnées bancaires modifiées",
    # approved e-invoicing platform
    "einvoice_queued": "Facture électronique en attente de transmission",
    "einvoice_transmitted": "Transmise à la plateforme",
    "einvoice_ack": "Accusé de réception de la plateforme",
    "platform_status": "Statut de la plateforme",
    "cash_reported": "Encaissement déclaré (statut 212)",
}


Handler = Callable[[Event, "Document | None"], None]
_handlers: dict[str, list[Handler]] = {}


def subscribe(kind: str, handler: Handler) -> None:
    """Call `handler(event, document)` whenever an event of this kind is recorded (once per handler)."""
    handlers = _handlers.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


def record(
    company_id: int,
    kind: str,
    *,
    document: Document | None = None,
    client_id: int | None = None,
    actor=None,
    actor_label: str = "",
    amount_cents: int | None = None,
    at=None,
    **data,
) -> Event:
    """Append one event (flushed with the caller's transaction, never committed here)."""
    event = Event(
        company_id=company_id,
        document_id=document.id if document is not None else None,
        client_id=client_id if client_id is not None else (document.client_id if document is not None else None),
        kind=kind,
        at=at or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or (getattr(actor, "name", "") if actor is not None else ""),
        amount_cents=amount_cents,
        data=data,
    )
    db.session.add(event)
    for handler in _handlers.get(kind, ()):
        handler(event, document)
    return event


def company_events(company_id: int, kind: str, *, limit: int = 20) -> list[Event]:
    """The company's latest events of one kind (not tied to a document), newest first."""
    return list(db.session.scalars(select(Event).where(Event.company_id == company_id, Event.kind == kind)
                                   .order_by(Event.at.desc(), Event.id.desc()).limit(limit)))


def label(kind: str) -> str:
    """French label of an event kind."""
    return EVENT_LABELS.get(kind, kind)
