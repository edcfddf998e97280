"""Exact figures without recomputing them on every view: a cache keyed by the company's data
version and the day.

Why it is exact. The dashboard's figures and the list totals are a function of the company's
rows and of "today" (overdue, aging and the plan of the day move at midnight). Database
triggers (migration aa5de0d27f01) move `company_data_versions.version` in the same transaction
as every insert, update or delete of a row they read (companies, clients, contacts, documents,
payments, tasks, reminder_plans), whatever code writes it. So:

1. the version is read *before* the figures are computed: figures computed after reading
   version V describe the state at V or a later one, never an earlier one, and a later state
   only ever carries a larger version (a change and its version move commit together);
2. an entry is kept under (company, V, today, what was asked); a reader finds it only while the
   company is still at V on the same day, i.e. while those rows are exactly as they were;
3. a transaction that has written anything itself never fills the cache: its version may be
   rolled back and reused by another change (SQLite), and on PostgreSQL its own changes move
   the version only at commit. It computes afresh instead.

A new cached figure that reads another table needs that table's trigger (a new revision, and
the table in TRACKED of tests/domain/test_figures_exact.py, which checks every trigger is there
at the newest revision: a SQLite table rebuild drops its triggers). Figures computed live need
nothing. The cache lives in the process (each gunicorn worker has its own), bounded by LRU;
after restoring a backup over a running database, restart the app (versions would go back).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from domain.core.models import CompanyDataVersion
from extensions import db

T = TypeVar("T")

MAX_ENTRIES = 8192  # a few kB each: some tens of MB at most per process
_WROTE = "encaisse_wrote"
_VERSIONS = "encaisse_data_versions"


class FiguresCache:
    """An LRU of computed figures keyed by (database, company, version, today, key)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, company_id: int, today: date, key: Hashable, compute: Callable[[], T]) -> T:
        """The figures for `key`, from the cache when the company's data has not changed today."""
        session = db.session()
        if session.info.get(_WROTE):
            self.misses += 1
            return compute()
        # The engine too: a process serving two databases (tests, the bench) keeps them apart.
        full_key = (db.engine, company_id, version_of(company_id), today, key)
        with self._lock:
            if full_key in self._entries:
                self._entries.move_to_end(full_key)
                self.hits += 1
                return self._entries[full_key]
        self.misses += 1
        value = compute()
        if session.info.get(_WROTE):  # wrote while computing (should not happen): keep nothing
            return value
        with self._lock:
            self._entries[full_key] = value
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


figures = FiguresCache()


def version_of(company_id: int) -> int:
    """The company's data version as committed (0 before its first change), read once per
    transaction: every figure of a request is then computed after that read (see 1. above)."""
    seen = db.session().info.setdefault(_VERSIONS, {})
    if company_id not in seen:
        seen[company_id] = db.session.scalar(
            select(CompanyDataVersion.version).where(CompanyDataVersion.company_id == company_id)) or 0
    return seen[company_id]


# A session's transaction "has written" from its first flush or DML statement until it ends.
@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_WROTE, None)
        session.info.pop(_VERSIONS, None)
