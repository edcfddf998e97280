"""One attempt at sending a claimed report (a 212 cash-in report, an e-report) to the platform.

A first attempt posts the flow; a later one first asks the platform whether an earlier attempt
got through (same trackingId) and posts only if not. When the platform does not take it, the
row goes back to the queue with a back-off, or fails for good when the platform refuses it.
"""

from __future__ import annotations

from datetime import datetime

from domain.einvoicing import work
from domain.einvoicing.models import FAILED, QUEUED
from extensions import db
from output.platform import (
    PlatformClient,
    PlatformError,
    PlatformTimeout,
    RateLimited,
    RequestRejected,
    SubmittedFlow,
)


def submit(row, attempt: int, client: PlatformClient, info: dict, data: bytes, filename: str,
           now: datetime) -> SubmittedFlow | str:
    """The platform's receipt, or the row's new state (QUEUED or FAILED, committed) when it did not take the flow.

    Commits first: nothing is held while the platform answers. An unavailable platform's
    Retry-After sets the back-off, for cash-in reports and e-reports alike (it knows when it is back).
    """
    db.session.commit()
    try:
        return (client.submit_flow_once if attempt > 1 else client.submit_flow)(info, data, filename)
    except (PlatformTimeout, RateLimited) as exc:
        work.retry_later(row, attempt, now, exc.message_fr, retry_after=getattr(exc, "retry_after", None) or 5)
        db.session.commit()
        return QUEUED
    except RequestRejected as exc:
        work.finish(row, attempt, state=FAILED, last_error=exc.message_fr)
        db.session.commit()
        return FAILED
    except PlatformError as exc:
        work.retry_later(row, attempt, now, exc.message_fr, retry_after=getattr(exc, "retry_after", None))
        db.session.commit()
        return QUEUED
