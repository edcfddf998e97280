"""Per-company limits on PDF renders made on demand (draft previews, statements): a company
can only slow itself.

WeasyPrint lays a page out in Python, one render at a time per process: 24 parallel previews
of one big draft used to hold every worker thread, and another company's dashboard waited
18 s. Here each company may have `PDF_RENDERS_PER_COMPANY` renders in progress at once and
`PDF_RENDERS_PER_MINUTE` a minute in this process; over that, the request is refused at
once (429, a French page) instead of queueing behind the others. Frozen PDFs of issued
documents are stored bytes and are never limited.

The counters live in the process (each gunicorn worker has its own): exact across workers is
not needed for this purpose, and they cost no database round trip.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app


class TooManyRenders(Exception):
    """The company already uses its share of PDF rendering; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Trop de PDF demandés en même temps pour votre entreprise.")
        self.retry_after = retry_after


class _Counters:
    """One application's counters (an app per process in production, a fresh one per test)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: defaultdict[int, int] = defaultdict(int)
        self.recent: defaultdict[int, deque[float]] = defaultdict(deque)


def _counters() -> _Counters:
    return current_app.extensions.setdefault("encaisse.render_limits", _Counters())


@contextmanager
def render_slot(company_id: int) -> Iterator[None]:
    """Hold one of the company's PDF render slots for the duration of a render, or raise
    TooManyRenders at once."""
    concurrency = int(current_app.config["PDF_RENDERS_PER_COMPANY"])
    per_minute = int(current_app.config["PDF_RENDERS_PER_MINUTE"])
    counters, now = _counters(), time.monotonic()
    with counters.lock:
        recent = counters.recent[company_id]
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if counters.running[company_id] >= concurrency:
            raise TooManyRenders(retry_after=5)
        if len(recent) >= per_minute:
            raise TooManyRenders(retry_after=max(1, int(recent[0] + 60 - now) + 1))
        counters.running[company_id] += 1
        recent.append(now)
    try:
        yield
    finally:
        with counters.lock:
            counters.running[company_id] -= 1
