"""The hardening suite's fixtures: every test starts with the world (tests/support/world.py),
a company with one object of every kind, in its database."""

from __future__ import annotations

import shutil

import pytest

from app import create_app
from extensions import db
from tests.support.builders import make_company, make_user
from tests.support.config import ON_POSTGRES, base_config
from tests.support.world import World, build_world


@pytest.fixture(scope="session")
def _world_template(_schema_template, tmp_path_factory):
    """SQLite: the world is built once into a file that each test copies; PostgreSQL: None
    (the world is built again in the truncated database)."""
    if ON_POSTGRES:
        return None
    path = tmp_path_factory.mktemp("world") / "world.sqlite3"
    shutil.copyfile(_schema_template, path)
    app = create_app(base_config(path.parent, f"sqlite:///{path}"))
    with app.app_context():
        company = make_company()
        make_user(company)
        world = build_world(company.id)
        db.session.remove()
        db.engine.dispose()
    return path, world


@pytest.fixture
def db_url(_world_template, db_url, tmp_path):
    """Every hardening test starts with the world in its database."""
    if _world_template is None:
        return db_url
    target = tmp_path / "world.sqlite3"
    shutil.copyfile(_world_template[0], target)
    return f"sqlite:///{target}"


@pytest.fixture
def world(app, _world_template) -> World:
    if _world_template is not None:
        return _world_template[1]
    with app.app_context():
        company = make_company()
        make_user(company)
        return build_world(company.id)


@pytest.fixture
def company(world) -> int:
    """The world's company (user artisan@test.example.fr, like tests/conftest.py's `company`)."""
    return world.company_id
