"""Fixtures in the flaskr style: app, client, runner, auth, plus a company, a logged-in client
and a real SMTP server. What tests share that is not a fixture is in tests/support.

The database is SQLite (a fresh file per test, copied from a migrated template) unless
TEST_DATABASE_URL points to PostgreSQL, in which case the schema is migrated once and
every table is truncated between tests. Both paths build the schema with the real
Alembic migrations, so the migrations are tested on both databases on every run.
"""

from __future__ import annotations

import shutil

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from app import create_app
from domain.core import accounts, dataversion
from extensions import db
from tests.support.builders import make_company, make_user
from tests.support.config import ON_POSTGRES, PG_URL, base_config, truncate_all
from tests.support.pages import AuthActions
from tests.support.smtp import SmtpServer


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2():
    """Same argon2id algorithm with minimal cost, so hundreds of logins stay fast.

    Production keeps argon2-cffi's recommended parameters (about 100 ms a hash here).
    """
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("not-a-real-password")
    yield
    accounts._hasher = original


@pytest.fixture(autouse=True)
def _fresh_figures_cache():
    """Each test starts from a new database whose company ids and data versions start over:
    figures cached by an earlier test must not be found (one process never sees that in use)."""
    dataversion.figures.clear()
    yield
    dataversion.figures.clear()


def pytest_configure(config):
    # Hypothesis's defaults hold two clocks: a 200 ms deadline per example and a health check
    # that fails when generating data is slow. Neither says anything about the code under test,
    # and on a busy shared machine both fail at random; everything else stays as Hypothesis has it.
    settings.register_profile("encaisse", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("encaisse")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs TEST_DATABASE_URL (PostgreSQL)"))


@pytest.fixture(scope="session")
def _schema_template(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or the PostgreSQL database."""
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
            truncate_all()
    return app


@pytest.fixture(scope="session")
def einvoice_checker():
    """output.einvoice.check with both schematrons compiled once for the session (~1 s)."""
    from output.einvoice import check

    check.warm_up()
    return check


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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
