"""Command-line entry points: `flask --app app <command>`.

`init` and `demo load` here; the daily run in commands.reminders; backups in commands.backup;
e-invoice checks and exports in commands.einvoice; the approved platform's
background work in commands.einvoicing."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

import database
from commands import backup, einvoice, einvoicing, reminders
from domain import demo
from domain.core.models import Company
from extensions import db


def init_app(app: Flask) -> None:
    """Register the CLI commands."""

    reminders.init_app(app)
    backup.init_app(app)
    einvoice.init_app(app)
    einvoicing.init_app(app)

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


# --- backups ------------------------------------------------------------------------


