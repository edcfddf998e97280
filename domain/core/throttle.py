"""Rate limits counted in the database (so they hold across workers and restarts): sign-ups per
IP, account e-mails per address. A bucket names what is limited ("signup-ip:203.0.113.5")."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from domain.core.models import ThrottleHit
from extensions import db


def allow(bucket: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """True (and the use is counted) when the bucket had fewer than `limit` uses in `window`."""
    bucket = bucket[:300]
    since = now - window
    db.session.execute(delete(ThrottleHit).where(ThrottleHit.bucket == bucket, ThrottleHit.at < since))
    used = db.session.scalar(select(func.count(ThrottleHit.id)).where(ThrottleHit.bucket == bucket,
                                                                      ThrottleHit.at >= since)) or 0
    if used >= limit:
        return False
    db.session.add(ThrottleHit(bucket=bucket, at=now))
    db.session.flush()
    return True
