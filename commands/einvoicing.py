"""`flask --app app einvoicing run|sync`: the approved platform's background work, for cron.

    */5 * * * *  flask --app app einvoicing run    # transmit invoices, send 212 reports and e-reports
    */10 * * * * flask --app app einvoicing sync   # statuses by polling (webhooks may be lost)

Both may run on several machines at once: rows and companies are claimed in the database
(domain/einvoicing/work.py), so nothing is done twice; `--workers N` runs N workers here.
"""

from __future__ import annotations

import logging
import threading
import time

import click
import requests
from flask import Flask, current_app
from sqlalchemy import select

import database
from domain import demo
from domain.core.clock import today_in
from domain.core.models import Company, User
from domain.einvoicing import connection, ereporting, runner
from domain.einvoicing.models import EinvoicingSettings
from extensions import db
from web.platform import client_for, secret_key
from web.urls import absolute_url

log = logging.getLogger("encaisse.einvoicing")

# The local platform's demo account (platform_local/config.py): not a real credential.
DEMO_CLIENT_ID = "encaisse-demo"
DEMO_CLIENT_SECRET = "demo-secret-a-changer"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret-local"


def connect_demo(platform_url: str) -> bool:
    """Connect the demo company to the local platform and register its webhook there (idempotent)."""
    user = db.session.scalar(select(User).where(User.email == demo.DEMO_EMAIL))
    if user is None:
        return False
    base = platform_url.rstrip("/")
    connection.configure_platform(user.company, user, connection.PlatformInput(
        flow_base_url=f"{base}/flow-service", directory_base_url=f"{base}/directory-service",
        token_url=f"{base}/oauth/token", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
        webhook_secret=DEMO_WEBHOOK_SECRET), secret_key=secret_key())
    row = connection.settings_of(user.company)
    assert row is not None
    db.session.commit()
    # Out of band, as with a real PA's console: where and how to sign the notifications.
    requests.post(f"{base}/_control/webhooks", timeout=5, json={
        "url": absolute_url("einvoicing.webhook", key=row.webhook_key), "secret": DEMO_WEBHOOK_SECRET,
        "clientId": DEMO_CLIENT_ID}).raise_for_status()
    return True


def start_background(app: Flask, interval: float) -> threading.Thread:
    """The demo's worker: transmit, report and poll every `interval` seconds, in a daemon thread
    (cron does this for a hosted service; EINVOICING_WORKER_SECONDS turns it on)."""

    def loop():
        while True:
            time.sleep(interval)
            try:
                with app.app_context(), database.write_intent():
                    runner.run(client_for)
                    runner.sync(client_for)
                    db.session.remove()
            except Exception:
                log.exception("e-invoicing background run failed")

    thread = threading.Thread(target=loop, name="einvoicing-worker", daemon=True)
    thread.start()
    return thread


def prepare_ereports(company_ids=None) -> int:
    """Create the e-reports of the periods that ended (connected companies only)."""
    stmt = select(EinvoicingSettings.company_id).where(EinvoicingSettings.client_secret_sealed != "")
    if company_ids:
        stmt = stmt.where(EinvoicingSettings.company_id.in_(company_ids))
    made = 0
    for company_id in list(db.session.scalars(stmt)):
        company = db.session.get_one(Company, company_id)
        made += len(ereporting.prepare_due(company, today_in(company.timezone)))
        db.session.commit()
    return made


def run_workers(app: Flask, workers: int, company_ids=None) -> runner.RunReport:
    """`workers` threads, each with its own session, sharing the due rows through the claims."""
    total = runner.RunReport()
    lock = threading.Lock()

    def one():
        with app.app_context(), database.write_intent():
            report = runner.run(client_for, company_ids=company_ids)
            db.session.remove()
        with lock:
            for key, value in report.outcomes.items():
                total.outcomes[key] = total.outcomes.get(key, 0) + value
            total.errors.extend(report.errors)

    threads = [threading.Thread(target=one, name=f"einvoicing-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total


def init_app(app: Flask) -> None:
    """Register the `einvoicing` command group."""

    @app.cli.group("einvoicing")
    def einvoicing_group():
        """Facturation électronique par la plateforme agréée."""

    @einvoicing_group.command("run")
    @click.option("--workers", type=click.IntRange(1, 16), default=1, help="Nombre de travailleurs en parallèle.")
    @click.option("--company", "company_ids", type=int, multiple=True, help="Limiter à une entreprise (id).")
    def run_command(workers: int, company_ids):
        """Transmit the queued invoices, send the 212 reports and the e-reports that are due."""
        ids = list(company_ids) or None
        with database.write_intent():
            made = prepare_ereports(ids)
        report = run_workers(current_app._get_current_object(), workers, ids)  # type: ignore[attr-defined]
        click.echo(f"e-reporting : {made} rapport(s) préparé(s)")
        _echo_report(report)

    @einvoicing_group.command("demo-connect")
    @click.argument("platform_url")
    def demo_connect_command(platform_url: str):
        """Connect the demo company to the local platform (make run)."""
        try:
            with database.write_intent():
                done = connect_demo(platform_url)
        except requests.RequestException as exc:
            click.echo(f"Plateforme locale injoignable ({exc}) : la démo reste sans plateforme.", err=True)
            return
        click.echo("Démo connectée à la plateforme locale." if done else "Pas d'entreprise de démonstration.")

    @einvoicing_group.command("sync")
    @click.option("--company", "company_ids", type=int, multiple=True, help="Limiter à une entreprise (id).")
    def sync_command(company_ids):
        """Poll the platforms for new statuses and acknowledgements (updatedAfter the stored cursor)."""
        with database.write_intent():
            report = runner.sync(client_for, company_ids=list(company_ids) or None)
        _echo_report(report)


def _echo_report(report: runner.RunReport) -> None:
    """Print how many of each outcome, then the errors on stderr; exit with status 1 if there were
    any, so whatever scheduled the run sees it failed."""
    for key, value in sorted(report.outcomes.items()):
        click.echo(f"{key} : {value}")
    for error in report.errors:
        click.echo(f"erreur : {error}", err=True)
    if report.errors:
        raise SystemExit(1)
