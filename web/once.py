"""Form tokens: a double tap or a retry of a POST acts once, then the same redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash
from flask_login import current_user

from domain.core import idempotency
from domain.core.errors import UserError
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
    """Store where this token's first use led (before the commit)."""
    idempotency.remember_result(current_user.company_id, token or "", url)


@dataclass(frozen=True)
class Done:
    """Where a successful action leads, and what to tell the user there."""

    url: str
    message: str = ""


def run_once(token: str | None, *, fallback_url: str, act: Callable[[], Done], fail: Callable[[UserError], Any]):
    """The sequence every state-changing POST follows: a form token already used gets the
    first answer again; else `act()` (one domain call) runs, a UserError rolls everything
    back and `fail(error)` answers (the form again, the message next to its field); success
    remembers the token with the URL, commits once, flashes the message and redirects (303,
    or HX-Redirect for htmx). `token=None` acts without deduplication (idempotent actions)."""
    if token is not None:
        if not token.strip():
            # A form always carries its token: an empty one is a forged or truncated POST,
            # which could not be deduplicated (a payment recorded twice). Nothing is done.
            return fail(UserError("Le formulaire est incomplet ou a expiré : rechargez la page et recommencez."))
        replay = replay_of(token, fallback_url)
        if replay is not None:
            return replay
    try:
        done = act()
    except UserError as exc:
        db.session.rollback()
        return fail(exc)
    if token is not None:
        remember(token, done.url)
    return finish(done)


def finish(done: Done):
    """Commit once, flash the message, redirect (303, or HX-Redirect for htmx)."""
    db.session.commit()
    if done.message:
        flash(done.message, "success")
    return see_other(done.url)
