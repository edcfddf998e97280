"""Command-line entry points: `flask --app app <command>`."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

import database
from extensions import db


def init_app(app: Flask) -> None:
    """Register the CLI commands."""

    init_reminders(app)

    @app.cli.command("init")
    @click.option("--no-demo", is_flag=True, help="Ne pas créer l'entreprise de démonstration.")
    def init_command(no_demo: bool):
        """Apply migrations, then load the demo company on first run."""
        upgrade()
        if not no_demo:
            _load_demo(only_if_empty=True)

    @app.cli.group("demo")
    def demo_group():
        """Demo data."""

    @demo_group.command("load")
    def demo_load():
        """Create the demo company if it does not exist yet."""
        _load_demo(only_if_empty=False)


def _load_demo(*, only_if_empty: bool) -> None:
    from domain import demo
    from domain.models import Company

    with database.write_intent():
        if only_if_empty and db.session.scalar(select(Company.id).limit(1)) is not None:
            click.echo("Base déjà initialisée : données de démonstration inchangées.")
            return
        created = demo.load_demo()
        db.session.commit()
    if created:
        click.echo(f"Démo créée : connectez-vous avec {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}")
    else:
        click.echo("L'entreprise de démonstration existe déjà.")


def init_reminders(app: Flask) -> None:
    """`flask --app app reminders run [--dry-run] [--today YYYY-MM-DD]`: what cron calls."""

    @app.cli.group("reminders")
    def reminders_group():
        """Relances automatiques."""

    @reminders_group.command("run")
    @click.option("--dry-run", is_flag=True, help="Affiche ce qui serait envoyé, sans rien envoyer.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Date du jour à utiliser (par défaut : aujourd'hui dans le fuseau de chaque entreprise).")
    @click.option("--company", "company_ids", type=int, multiple=True, help="Limiter à une entreprise (id).")
    def run_command(dry_run: bool, today, company_ids):
        """Send what the reminder plans and automatic sending have due today."""
        from domain import autopilot
        from output import document_files
        from output.links import client_link, tracking_pixel_html

        day = today.date() if today else None

        def attachments(doc, key):
            from domain.clock import today_in

            return document_files.attachments_for(doc, key, today=day or today_in(doc.company.timezone))

        with database.write_intent():
            report = autopilot.run(attachments_for=attachments, link_for=client_link, today=day,
                                   dry_run=dry_run, company_ids=company_ids or None,
                                   html_extra_for=tracking_pixel_html)
        labels = {"sent": "envoyé", "failed": "ÉCHEC", "would_send": "à envoyer", "would_skip": "étape passée",
                  "skipped": "étape passée", "to_confirm": "à confirmer", "no_email": "pas d'e-mail (tâche créée)",
                  "auto_sent": "facture envoyée", "duplicate": "déjà envoyé"}
        for line in report.lines:
            click.echo(f"{line.company} · {line.number} · {line.client} · {line.template} · "
                       f"{labels.get(line.action, line.action)}{' · ' + line.detail if line.detail else ''}")
        done = "à envoyer" if dry_run else "envoyés"
        sent = report.count("would_send" if dry_run else "sent") + report.count("auto_sent")
        click.echo(f"{sent} e-mail(s) {done}, {report.count('failed')} échec(s), "
                   f"{report.count('to_confirm')} mise(s) en demeure à confirmer.")
