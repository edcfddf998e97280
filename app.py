"""Application factory: configuration, extensions, blueprints, filters, errors, CLI."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask, request

import database
import domain
from config import DefaultConfig
from extensions import csrf, db, login_manager, migrate
from output.mail import Mailer, SmtpSettings
from web import proxy
from web.sessions import DatabaseSessionInterface

# Environment variables honoured under their usual names (12-factor style).
PLAIN_ENV_KEYS = (
    "SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME",
    "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_DEFAULT_SENDER",
)
_BOOL_KEYS = {"MAIL_USE_TLS", "MAIL_USE_SSL"}
_INT_KEYS = {"MAIL_PORT"}
# Durations are timedeltas in config.py; from the environment (ENCAISSE_LOGIN_WINDOW=30) or a
# test config they may be a plain number, in this unit.
DURATION_UNITS = {"LOGIN_WINDOW": "minutes", "LOGIN_EMAIL_WINDOW": "minutes", "SESSION_IDLE_LIFETIME": "hours",
                  "SESSION_ABSOLUTE_LIFETIME": "days", "ACCOUNT_LIMITS_WINDOW": "minutes",
                  "EMAIL_VERIFICATION_LIFETIME": "hours", "PASSWORD_RESET_LIFETIME": "minutes"}


def _load_config(app: Flask, test_config: dict | None) -> None:
    """defaults → instance/config.py → environment → test config."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    for key in PLAIN_ENV_KEYS:
        if key in os.environ:
            value: object = os.environ[key]
            if key in _BOOL_KEYS:
                value = str(value).strip().lower() in {"1", "true", "yes", "on"}
            elif key in _INT_KEYS:
                value = int(str(value))
            app.config[key] = value
    app.config.from_prefixed_env("ENCAISSE")  # any other setting, JSON-decoded
    if test_config:
        app.config.from_mapping(test_config)
    _durations(app.config)

    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "encaisse.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = database.normalize_database_url(url)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    _check_production(app.config)


def _check_production(config) -> None:
    """A hosted Encaisse must know its public address and the host names it answers to."""
    if not config.get("PRODUCTION"):
        return
    missing = [name for name in ("PUBLIC_BASE_URL", "TRUSTED_HOSTS") if not config.get(name)]
    if missing:
        raise RuntimeError(
            "Production: set " + " and ".join(f"ENCAISSE_{name}" for name in missing)
            + ' (e.g. ENCAISSE_PUBLIC_BASE_URL=https://factures.example.fr '
              'ENCAISSE_TRUSTED_HOSTS=\'["factures.example.fr"]\'): links in e-mails come from the first, '
              "requests for any other host than the second are refused.")


def _durations(config) -> None:
    """Numbers given for durations (environment, tests) become timedeltas, in each key's unit."""
    for key, unit in DURATION_UNITS.items():
        value = config.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            config[key] = timedelta(**{unit: value})


def _instance_secret(instance: Path) -> str:
    """Read instance/secret_key, creating it (mode 600) on first run."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


class StderrHandler(logging.StreamHandler):
    """A handler on whatever sys.stderr is when a record is written (gunicorn, test runners and
    daemonisers replace it after start-up)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _init_logging(app: Flask) -> None:
    """The "encaisse" loggers (the security audit at INFO) get a handler when nobody configured one.

    Neither `flask run` (make run) nor gunicorn configure the root logger: without this, a record
    at INFO reaches no handler and Python's last resort drops everything below WARNING, so
    logins, logouts and sign-ups were never written. A deployment that configures logging itself
    (dictConfig, gunicorn --log-config) keeps its own handlers: nothing is added then.
    """
    logger = logging.getLogger("encaisse")
    logger.setLevel(app.config["LOG_LEVEL"])
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = StderrHandler()  # gunicorn's errorlog "-", journald and docker all collect stderr
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Encaisse application."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _load_config(app, test_config)

    proxy.install(app, int(app.config["PROXY_FIX_COUNT"] or 0), app.config["TRUSTED_PROXIES"])
    app.session_interface = DatabaseSessionInterface()
    _init_logging(app)

    domain.load_models()
    database.prepare_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    domain.connect_subscribers()
    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    app.extensions["encaisse.mailer"] = Mailer(SmtpSettings.from_config(app.config))
    _init_login(app)

    import web

    web.init_app(app)

    from blueprints.auth.routes import bp as auth_bp
    from blueprints.clients.routes import bp as clients_bp
    from blueprints.dashboard.routes import bp as dashboard_bp
    from blueprints.portal.routes import bp as portal_bp
    from blueprints.settings.routes import bp as settings_bp

    for bp in (auth_bp, dashboard_bp, clients_bp, settings_bp, portal_bp):
        app.register_blueprint(bp)
    from blueprints.catalog.routes import bp as catalog_bp
    from blueprints.invoices.routes import bp as invoices_bp
    from blueprints.payments.routes import bp as payments_bp
    from blueprints.quotes.routes import bp as quotes_bp

    for bp in (quotes_bp, invoices_bp, payments_bp, catalog_bp):
        app.register_blueprint(bp)
    from blueprints.reminders.routes import bp as reminders_bp

    app.register_blueprint(reminders_bp)
    from blueprints.bank.routes import bp as bank_bp

    app.register_blueprint(bank_bp)
    from blueprints.einvoicing.routes import bp as einvoicing_bp

    app.register_blueprint(einvoicing_bp)

    import commands

    commands.init_app(app)
    interval = float(app.config.get("EINVOICING_WORKER_SECONDS") or 0)
    if interval > 0 and not app.config.get("TESTING"):
        from commands.einvoicing import start_background

        start_background(app, interval)
    return app


def _init_login(app: Flask) -> None:
    from domain.core.accounts import load_session_user

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import flash, make_response, redirect, url_for

        next_url = request.full_path.rstrip("?") if request.method == "GET" else None
        login_url = url_for("auth.login", next=next_url)
        flash(login_manager.login_message, "info")
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the login page into a fragment: send the browser there instead.
            response = make_response("", 204)
            response.headers["HX-Redirect"] = login_url
            return response
        return redirect(login_url)
