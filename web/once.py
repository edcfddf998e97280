"""Form tokens: a double tap or a retry of a POST acts once, then the same redirect."""

from __future__ import annotations

from flask_login import current_user

from domain.core import idempotency
from extensions import db
from web.http import see_other


def replay_of(token: str | None, fallback_url: str):
    """If this form token was already used (double tap, retry), the response to give again.

    None means first use: the caller acts, then calls `remember(token, url)` before its
    commit. A failed first attempt rolls back its claim, so the user can simply retry.
    """
    prior = idempotency.claim(current_user.company_id, token or "")
    if prior is None:
        return None
    db.session.rollback()
    return see_other(prior.result or fallback_url)


def remember(token: str | None, url: str) -> None:
    idempotency.remember_result(current_user.company_id, token or "", url)
