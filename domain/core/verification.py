"""E-mail address confirmation, and what it gates: sending to clients.

A new account confirms its address (a link sent at sign-up, resent on demand) before anything
is sent to its clients: a stranger signing up with someone else's address, or a throwaway one,
cannot mail quotes, invoices or reminders from Encaisse. The company is confirmed when one of
its owners confirms their address. Companies that existed before confirmation was asked for
are confirmed (migration 1ca35b796cd9).

The sending code checks `can_send_to_clients(company)` (or calls `ensure_can_send_to_clients`,
which raises SendingBlocked with the French sentence to show)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.core import email_tokens, roles
from domain.core.errors import UserError
from domain.core.models import Company, User

security_log = logging.getLogger("encaisse.security")  # (domain.core.accounts adds its one-line filter)

SENDING_BLOCKED = ("Confirmez d'abord l'adresse e-mail de votre compte : tant qu'elle n'est pas confirmée, "
                   "Encaisse n'envoie rien à vos clients. Ouvrez le lien reçu à l'inscription, ou demandez-en "
                   "un nouveau depuis le bandeau en haut de la page.")


class SendingBlocked(UserError):
    """Nothing may be sent to clients yet (the account's address is not confirmed)."""


def can_send_to_clients(company: Company) -> bool:
    """True once an owner of the company confirmed their e-mail address."""
    return company.email_verified_at is not None


def ensure_can_send_to_clients(company: Company) -> None:
    """Raise SendingBlocked (French message) unless the company may send to its clients."""
    if not can_send_to_clients(company):
        raise SendingBlocked(SENDING_BLOCKED)


def start(user: User, *, lifetime: timedelta, now: datetime) -> str:
    """A confirmation token for the user's current address (the caller e-mails the link)."""
    return email_tokens.issue(user, email_tokens.VERIFY, lifetime=lifetime, now=now)


def mark_confirmed(user: User, *, now: datetime) -> None:
    """The user proved they read this address: them, and their company if they are an owner."""
    if user.email_verified_at is None:
        user.email_verified_at = now
    if roles.can_manage_company(user) and user.company.email_verified_at is None:
        user.company.email_verified_at = now
        security_log.info("company confirmed company=%s user=%s", user.company_id, user.id)


def confirm(token: str, *, now: datetime) -> User | None:
    """Use a confirmation link: the user whose address is now confirmed, or None (unknown,
    used, expired, or sent to an address the user no longer has)."""
    user = email_tokens.redeem(token, email_tokens.VERIFY, now=now)
    if user is not None:
        mark_confirmed(user, now=now)
        security_log.info("email confirmed user=%s company=%s", user.id, user.company_id)
    return user
