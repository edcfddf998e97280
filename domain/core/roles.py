"""Who may do what in a company: three roles.

- owner (titulaire): everything, including the company's settings, its bank details and its users;
- staff (collaborateur): documents, clients, payments, reminders; not the settings, the users
  nor the bank details;
- accountant (expert-comptable): reads everything and exports (PDFs, statements), changes nothing.

Every person manages their own account (password, connected devices) whatever their role.
"""

from __future__ import annotations

from typing import Protocol

OWNER = "owner"
STAFF = "staff"
ACCOUNTANT = "accountant"

ROLE_LABELS = {
    OWNER: "Titulaire (tous les droits)",
    STAFF: "Collaborateur (devis, factures, paiements, relances)",
    ACCOUNTANT: "Expert-comptable (lecture et exports)",
}
ROLE_SHORT = {OWNER: "Titulaire", STAFF: "Collaborateur", ACCOUNTANT: "Expert-comptable"}


class HasRole(Protocol):
    role: str


def can_manage_company(user: HasRole) -> bool:
    """Settings, bank details, users: owners only."""
    return user.role == OWNER


def can_write(user: HasRole) -> bool:
    """Create or change documents, clients, payments, reminders: owners and staff."""
    return user.role in (OWNER, STAFF)


def can_export(user: HasRole) -> bool:
    """Read and download (PDFs, statements): every role."""
    return user.role in ROLE_LABELS
