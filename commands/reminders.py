"""`flask --app app reminders run [--dry-run] [--today YYYY-MM-DD] [--company ID] [--shard K/N]`: what cron calls."""

from __future__ import annotations

import click
from flask import Flask, current_app

import database
from domain.collections import autopilot, letters
from domain.core.clock import today_in
from web.http import mailer
from web.urls import client_link, tracking_pixel_html


def init_app(app: Flask) -> None:
    """Register the `reminders` command group."""

    @app.cli.group("reminders")
    def reminders_group():
        """Relances automatiques."""

    @reminders_group.command("run")
    @click.option("--dry-run", is_flag=True, help="Affiche ce qui serait envoyé, sans rien envoyer.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Date du jour à utiliser (par défaut : aujourd'hui dans le fuseau de chaque entreprise).")
    @click.option("--company", "company_ids", type=int, multiple=True, help="Limiter à une entreprise (id).")
    @click.option("--shard", default=None, metavar="K/N",
                  help="Seulement les factures dont l'id vaut K modulo N : lancez N exécutions en parallèle "
                       "(0/2 et 1/2 sur deux cœurs) pour partager le travail du jour.")
    def run_command(dry_run: bool, today, company_ids, shard):
        """Send what the reminder plans and automatic sending have due today."""
        day = today.date() if today else None
        part = _parse_shard(shard) if shard else None

        def attachments(doc, key):
            return letters.attachments_for(doc, key, today=day or today_in(doc.company.timezone))

        with database.write_intent():
            report = autopilot.run(deliver=mailer().deliver, daily_quota=current_app.config["MAIL_DAILY_QUOTA"],
                                   attachments_for=attachments, link_for=client_link, today=day,
                                   dry_run=dry_run, company_ids=company_ids or None,
                                   html_extra_for=tracking_pixel_html, shard=part)
        labels = {"sent": "envoyé", "failed": "ÉCHEC", "would_send": "à envoyer", "would_skip": "étape passée",
                  "skipped": "étape passée", "to_confirm": "à confirmer", "no_email": "pas d'e-mail (tâche créée)",
                  "auto_sent": "facture envoyée", "duplicate": "déjà envoyé",
                  "uncertain": "envoi interrompu, peut-être parti : à vérifier (pas renvoyé)",
                  "company_failed": "ERREUR : entreprise non traitée (annulée, voir le journal)"}
        for line in report.lines:
            click.echo(f"{line.company} · {line.number} · {line.client} · {line.template} · "
                       f"{labels.get(line.action, line.action)}{' · ' + line.detail if line.detail else ''}")
        done = "à envoyer" if dry_run else "envoyés"
        sent = report.count("would_send" if dry_run else "sent") + report.count("auto_sent")
        click.echo(f"{sent} e-mail(s) {done}, {report.count('failed')} échec(s), "
                   f"{report.count('to_confirm')} mise(s) en demeure à confirmer.")
        if report.failed_companies:
            # The other companies ran; cron sees a failure and whoever reads its mail knows which.
            click.echo(f"{len(report.failed_companies)} entreprise(s) en erreur (voir le journal) : "
                       + ", ".join(report.failed_companies), err=True)
            raise SystemExit(1)


def _parse_shard(text: str) -> tuple[int, int]:
    """"K/N" → (K, N), 0 ≤ K < N."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise click.BadParameter("format attendu : K/N, par exemple 0/2", param_hint="--shard") from None
    if not 0 <= k < n <= 64:
        raise click.BadParameter("il faut 0 ≤ K < N ≤ 64", param_hint="--shard")
    return k, n
