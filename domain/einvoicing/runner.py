"""The background runs: `flask einvoicing run` (transmit, report) and `flask einvoicing sync`.

Each run takes rows one at a time with `work.claim` until nothing is due, so several runners
(cron on several machines, or `--workers`) share the work without doing any twice, and a runner
stopped half-way leaves nothing lost: the next one claims what its lease covered. Each company
is isolated: its errors are logged and counted, the others go on. The HTTP client of a company
is made by `client_for(settings_row)`, given by the caller (the domain never builds one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select

from domain.core.orm import utcnow
from domain.einvoicing import cashin, ereporting, lifecycle, transmissions, work
from domain.einvoicing.models import CashReport, EinvoicingSettings, EReport, Transmission
from extensions import db
from output.platform import PlatformClient, PlatformError

log = logging.getLogger("encaisse.einvoicing")

ClientFor = Callable[[EinvoicingSettings], PlatformClient]


@dataclass
class RunReport:
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, key: str) -> None:
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


def _connected(model):
    """Only rows of companies that configured a platform are worked; the others wait, counted."""
    return exists().where(EinvoicingSettings.company_id == model.company_id,
                          EinvoicingSettings.client_secret_sealed != "", EinvoicingSettings.flow_base_url != "")


class _Clients:
    def __init__(self, client_for: ClientFor):
        self.client_for = client_for
        self.cache: dict[int, tuple[EinvoicingSettings, PlatformClient]] = {}

    def get(self, company_id: int) -> tuple[EinvoicingSettings, PlatformClient]:
        if company_id not in self.cache:
            row = db.session.get_one(EinvoicingSettings, company_id)
            self.cache[company_id] = (row, self.client_for(row))
        return db.session.get_one(EinvoicingSettings, company_id), self.cache[company_id][1]

    def close(self) -> None:
        for _, client in self.cache.values():
            client.close()


def run(client_for: ClientFor, *, now: Callable[[], datetime] = utcnow, company_ids: Sequence[int] | None = None,
        limit: int | None = None) -> RunReport:
    """Transmit due invoices, send due 212 reports and e-reports, until none is due (or `limit` rows)."""
    report = RunReport()
    clients = _Clients(client_for)
    done = 0
    try:
        for model, extra, handle in (
            (Transmission, (_connected(Transmission),), _transmit),
            (CashReport, (_connected(CashReport), *cashin.ready()), _cash),
            (EReport, (_connected(EReport),), _ereport),
        ):
            while limit is None or done < limit:
                row = work.claim(model, now(), extra=extra, company_ids=company_ids)
                if row is None:
                    break
                done += 1
                try:
                    settings, client = clients.get(row.company_id)
                    report.count(f"{model.__tablename__}:{handle(row, client, settings, now())}")
                except Exception as exc:
                    db.session.rollback()
                    log.exception("e-invoicing work on %s %s failed", model.__tablename__, row.id)
                    work.retry_later(row, row.attempts, now(), f"Erreur interne : {exc.__class__.__name__}")
                    db.session.commit()
                    report.errors.append(f"{model.__tablename__} {row.id}: {exc}")
    finally:
        clients.close()
    return report


def _transmit(row, client, settings, now):
    return transmissions.transmit_one(row, client, settings, now=now)


def _cash(row, client, settings, now):
    return cashin.send_one(row, client, now=now)


def _ereport(row, client, settings, now):
    return ereporting.send_one(row, client, now=now)


def sync(client_for: ClientFor, *, now: Callable[[], datetime] = utcnow,
         company_ids: Sequence[int] | None = None) -> RunReport:
    """Poll every connected company's platform (one runner per company at a time)."""
    report = RunReport()
    stmt = select(EinvoicingSettings.company_id).where(EinvoicingSettings.client_secret_sealed != "",
                                                       EinvoicingSettings.flow_base_url != "")
    if company_ids is not None:
        stmt = stmt.where(EinvoicingSettings.company_id.in_(company_ids))
    for company_id in list(db.session.scalars(stmt.order_by(EinvoicingSettings.company_id))):
        row = db.session.get_one(EinvoicingSettings, company_id)
        if not lifecycle.claim_sync(row, now()):
            report.count("busy")
            continue
        client = None
        try:
            row = db.session.get_one(EinvoicingSettings, company_id)
            client = client_for(row)
            result = lifecycle.sync_company(row, client, now=now())
            report.count("synced")
            for key in ("flows", "statuses", "acks", "unknown"):
                report.outcomes[key] = report.outcomes.get(key, 0) + getattr(result, key)
        except PlatformError as exc:
            lifecycle.release_sync(company_id, exc.message_fr)
            report.errors.append(f"company {company_id}: {exc}")
        except Exception as exc:
            log.exception("e-invoicing sync failed for company %s", company_id)
            lifecycle.release_sync(company_id, f"Erreur interne : {exc.__class__.__name__}")
            report.errors.append(f"company {company_id}: {exc}")
        finally:
            if client is not None:
                client.close()
    return report
