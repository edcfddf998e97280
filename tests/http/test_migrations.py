"""The Alembic migrations build exactly the schema the models describe (on both databases)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"the models changed: add a migration (flask --app app db migrate -m '...'): {diff}"
