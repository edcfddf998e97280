"""Form tokens: the same submission (double tap, network retry, replay) acts once."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.core.models import FormSubmission
from extensions import db


def new_token() -> str:
    """A fresh token to put in a form."""
    return secrets.token_urlsafe(24)


def claim(company_id: int, token: str) -> FormSubmission | None:
    """Record the token; return None if this is its first use, else the earlier submission.

    The insert happens in a savepoint: a concurrent twin blocks on the primary key until the
    first commits, then fails here and reads what the first one did.
    """
    if not token or len(token) > 64:
        return None  # no token (e.g. an API client): nothing to deduplicate against
    try:
        with db.session.begin_nested():
            db.session.add(FormSubmission(company_id=company_id, token=token))
        return None
    except IntegrityError:
        return db.session.scalar(
            select(FormSubmission).where(FormSubmission.company_id == company_id, FormSubmission.token == token)
        )


def remember_result(company_id: int, token: str, result: str) -> None:
    """Store where the first submission led (e.g. the URL to redirect a twin to)."""
    if not token or len(token) > 64:
        return
    row = db.session.get(FormSubmission, (company_id, token))
    if row is not None:
        row.result = result[:300]
