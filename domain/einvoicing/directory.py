"""The directory (annuaire): does a business client receive e-invoices, and where.

Looked up through the platform's Directory Service (XP Z12-013 annex B) by SIRET when the client
has one (an establishment may have its own line), else by SIREN; the answer is kept, dated, per
company (DirectoryEntry), so the client's page and the issue area read it without a call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from domain.core.models import Client
from domain.core.orm import utcnow
from domain.einvoicing.models import DirectoryEntry
from extensions import db
from output.platform import PlatformClient, Reception

FRESH = timedelta(days=30)  # the directory changes rarely; a month-old answer is shown with its date

PLATFORM_TYPES = {"WK": "une plateforme agréée", "DFH": "le portail public"}


def identifier_of(client: Client) -> str:
    """The SIRET when known, else the SIREN; '' when the client has neither."""
    return (client.siret or client.siren or "").replace(" ", "")


def cached(client: Client) -> DirectoryEntry | None:
    ident = identifier_of(client)
    if not ident:
        return None
    return db.session.scalar(select(DirectoryEntry).where(DirectoryEntry.company_id == client.company_id,
                                                          DirectoryEntry.identifier == ident))


def lookup(client: Client, platform: PlatformClient, *, now: datetime | None = None) -> DirectoryEntry:
    """Ask the directory now and keep the answer (raises the platform's typed errors)."""
    ident = identifier_of(client)
    if not ident:
        raise ValueError("no SIREN or SIRET")
    company_id = client.company_id
    db.session.commit()  # nothing held during the call
    reception: Reception = platform.lookup_siret(ident) if len(ident) == 14 else platform.lookup_siren(ident)
    entry = db.session.scalar(select(DirectoryEntry).where(DirectoryEntry.company_id == company_id,
                                                           DirectoryEntry.identifier == ident))
    if entry is None:
        entry = DirectoryEntry(company_id=company_id, identifier=ident)
        db.session.add(entry)
    entry.known, entry.receives, entry.name = reception.known, reception.receives, reception.name[:200]
    entry.lines = [{"address": line.addressing_identifier, "siret": line.siret, "routing": line.routing_identifier,
                    "platform": PLATFORM_TYPES.get(line.platform_type or "", line.platform_type or ""),
                    "enabled": line.enabled} for line in reception.lines]
    entry.checked_at = now or utcnow()
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Verdict:
    """One French sentence on where a client receives e-invoices."""

    level: str  # ok | warning | unknown
    message: str


def verdict(entry: DirectoryEntry | None) -> Verdict:
    if entry is None:
        return Verdict("unknown", "Pas encore vérifié dans l'annuaire de la facturation électronique.")
    if not entry.known and not entry.lines:
        return Verdict("warning", f"{entry.identifier} est introuvable dans l'annuaire : la plateforme rejettera "
                                  "une facture électronique adressée à ce client. Vérifiez son SIREN ou SIRET.")
    if not entry.receives:
        return Verdict("warning", "Ce client est dans l'annuaire mais n'a pas d'adresse de réception active : "
                                  "la facture électronique risque d'être rejetée.")
    where = sorted({line["platform"] for line in entry.lines if line.get("enabled") and line.get("platform")})
    lines = [line["address"] for line in entry.lines if line.get("enabled")]
    return Verdict("ok", "Reçoit les factures électroniques" + (f" via {', '.join(where)}" if where else "")
                   + (f" (adresse {lines[0]})" if lines else "") + ".")
