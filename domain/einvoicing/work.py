"""Background work claimed row by row: transmissions, 212 reports and e-reports.

The protocol (the same on SQLite and PostgreSQL):

1. *Find* a due row: `state = queued AND next_attempt_at <= now`, or `state = sending` whose lease
   ran out (its worker died). On PostgreSQL the select is `FOR UPDATE SKIP LOCKED`, as
   domain/collections/autopilot.py does for reminders, so concurrent workers each get another
   row instead of queueing behind one lock.
2. *Claim* it with one conditional UPDATE that repeats the condition and sets `state = sending`,
   a lease and `attempts + 1`, then commit. Of two workers that found the same row (SQLite has
   no SKIP LOCKED) exactly one changes it; the other finds the next row.
3. *Work* with no transaction open (the network call), then *finish* with another conditional
   UPDATE on `state = sending AND attempts = <the claimed attempt>`: a worker whose lease ran out
   and whose row was claimed again cannot overwrite the newer attempt's result.

A worker that crashes between the platform's answer and its commit leaves a `sending` row; once
the lease ends another worker claims it, and because `attempts > 1` it looks the trackingId up on
the platform before posting (XP Z12-013 search by trackingId), so the flow is never created twice.
Back-off: 30 s × 2^(attempt-1), at most 6 hours, or the platform's Retry-After.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from domain.core.conditional import rows_changed
from domain.einvoicing.models import QUEUED, SENDING
from extensions import db

LEASE = timedelta(minutes=5)  # longer than any platform call (connect 5 s + read 30 s, with retries)
FIRST_RETRY = 30.0  # seconds
MAX_RETRY = 6 * 3600.0


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Delay before the next attempt: the platform's Retry-After when it gave one, else exponential."""
    if retry_after is not None and retry_after > 0:
        return timedelta(seconds=min(retry_after, MAX_RETRY))
    return timedelta(seconds=min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY))


def _due(model, now: datetime):
    return or_(and_(model.state == QUEUED, model.next_attempt_at <= now),
               and_(model.state == SENDING, model.lease_until < now))


def claim(model, now: datetime, *, extra: Sequence[Any] = (), company_ids: Sequence[int] | None = None):
    """Claim one due row of `model` for this worker and commit; the row, or None when no work is due.

    `extra`: more conditions (e.g. "the invoice was acknowledged" for a 212 report).
    """
    on_postgres = db.session.get_bind().dialect.name == "postgresql"
    skipped: list[int] = []
    while True:
        stmt = select(model.id).where(_due(model, now), *extra)
        if company_ids is not None:
            stmt = stmt.where(model.company_id.in_(company_ids))
        if skipped:
            stmt = stmt.where(model.id.not_in(skipped))
        stmt = stmt.order_by(model.next_attempt_at, model.id).limit(1)
        if on_postgres:
            stmt = stmt.with_for_update(skip_locked=True, of=model)
        row_id = db.session.scalar(stmt)
        if row_id is None:
            db.session.commit()
            return None
        won = rows_changed(
            update(model).where(model.id == row_id, _due(model, now))
            .values(state=SENDING, lease_until=now + LEASE, attempts=model.attempts + 1)
        )
        db.session.commit()
        if won:
            return db.session.get_one(model, row_id, populate_existing=True)
        skipped.append(row_id)  # another worker took it between our select and our update


def finish(row, attempt: int, **values) -> bool:
    """Record the outcome of the claimed attempt (same transaction as the caller's other writes).

    False when the row is no longer this attempt's (lease lost and claimed again): nothing written.
    """
    model = type(row)
    values.setdefault("lease_until", None)
    return rows_changed(
        update(model).where(model.id == row.id, model.state == SENDING, model.attempts == attempt).values(**values)
    ) == 1


def retry_later(row, attempt: int, now: datetime, error: str, retry_after: float | None = None) -> bool:
    """Give the row back to the queue with a back-off and the reason (shown in French)."""
    return finish(row, attempt, state=QUEUED, next_attempt_at=now + backoff(attempt, retry_after),
                  last_error=error[:2000])
