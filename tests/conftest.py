"""Fixtures in the flaskr style: app, client, runner, auth, plus data builders.

The database is SQLite (a fresh file per test, copied from a migrated template) unless
TEST_DATABASE_URL points to PostgreSQL, in which case the schema is migrated once and
every table is truncated between tests. Both paths build the schema with the real
Alembic migrations, so the migrations are tested on both databases on every run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from domain.core import accounts
from domain.core.models import Client, Company, Contact, User
from domain.core.orm import utcnow
from extensions import db

TEST_PASSWORD = "motdepasse-de-test"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgres")


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2():
    """Same argon2id algorithm with minimal cost, so hundreds of logins stay fast.

    Production keeps argon2-cffi's recommended parameters (about 100 ms a hash here).
    """
    from argon2 import PasswordHasher

    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("not-a-real-password")
    yield
    accounts._hasher = original


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs TEST_DATABASE_URL (PostgreSQL)"))


def base_config(tmp_path: Path, db_url: str) -> dict:
    """Test configuration: real database, CSRF off (tests of CSRF turn it back on)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "DATABASE_URL": None,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
        "SERVER_NAME": None,
        "INSTANCE_FOR_TESTS": str(tmp_path),
    }


@pytest.fixture(scope="session")
def _schema_template(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or the PostgreSQL database."""
    from flask_migrate import upgrade

    if ON_POSTGRES:
        app = create_app(base_config(tmp_path_factory.mktemp("pg"), PG_URL))
        with app.app_context():
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            upgrade()
            db.session.remove()
            db.engine.dispose()
        return PG_URL
    template = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    app = create_app(base_config(template.parent, f"sqlite:///{template}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return template


def _truncate_all() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def db_url(_schema_template, tmp_path):
    """A clean database for one test."""
    if ON_POSTGRES:
        return PG_URL
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(_schema_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config(tmp_path, db_url):
    """Override in a test module to change settings before the app is built."""
    return base_config(tmp_path, db_url)


@pytest.fixture
def app_factory():
    """Build extra apps in a test; their engines are disposed afterwards (no leaked connections)."""
    built = []

    def build(config: dict):
        built.append(create_app(config))
        return built[-1]

    yield build
    for extra in built:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_config, app_factory):
    app = app_factory(app_config)
    if ON_POSTGRES:
        with app.app_context():
            _truncate_all()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- builders ----------------------------------------------------------------------

_HASH_CACHE: dict[str, str] = {}


def password_hash(password: str = TEST_PASSWORD) -> str:
    """argon2 is slow on purpose; hash each test password once per session."""
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = accounts.hash_password(password)
    return _HASH_CACHE[password]


def make_company(name: str = "Plomberie Test", **fields) -> Company:
    """A company as an established customer has it: its address confirmed (it sends to clients)."""
    defaults = dict(
        legal_form="EI", siret="73282932000074", rcs_rm="RM 69 732 829 320", vat_number="FR44732829320",
        address_line1="1 rue du Test", postal_code="69003", city="Lyon", email="contact@test.example.fr",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", email_verified_at=utcnow(),
    )
    defaults.update(fields)
    company = Company(name=name, **defaults)
    db.session.add(company)
    db.session.flush()
    return company


def make_user(company: Company, email: str = "artisan@test.example.fr", name: str = "Jean Test", password: str = TEST_PASSWORD) -> User:
    user = User(company=company, email=email.lower(), name=name, password_hash=password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def make_client(company: Company, name: str = "Hélène Dupont", kind: str = "particulier", email: str = "helene@example.fr", **fields) -> Client:
    client = Client(company_id=company.id, kind=kind, name=name, search_key=name.lower(),
                    address_line1=fields.pop("address_line1", "12 rue des Lilas"),
                    postal_code=fields.pop("postal_code", "69003"), city=fields.pop("city", "Lyon"), **fields)
    if email:
        client.contacts.append(Contact(company_id=company.id, name=name, email=email, is_primary=True))
    db.session.add(client)
    db.session.flush()
    from domain.core.clients import _refresh_search_key

    _refresh_search_key(client)
    return client


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str = "artisan@test.example.fr", password: str = TEST_PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def company(app):
    """One company with one user, committed."""
    with app.app_context():
        company = make_company()
        make_user(company)
        db.session.commit()
        return company.id


@pytest.fixture
def logged_in(client, auth, company):
    """A client logged in as the company's user."""
    response = auth.login()
    assert response.status_code == 303
    return client


def page_text(response) -> str:
    """Response HTML with entities decoded (Jinja escapes apostrophes as &#39;)."""
    import html

    return html.unescape(response.get_data(as_text=True))


# --- a real SMTP server on loopback ---------------------------------------------------


class SmtpSink:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []
        self.refuse = set()  # addresses to refuse with 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port that can be stopped ("server down")
    and started again on the same port; `.sink.messages` holds what arrived."""

    def __init__(self):
        self.sink = SmtpSink()
        self.port = free_port()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Encaisse <factures@encaisse.test>", "MAIL_TIMEOUT": 5}
