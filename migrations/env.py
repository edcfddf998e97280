import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the app's loggers (security audit) alive when migrations run in-process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as plain DateTime(timezone=True): same storage, and
    migrations never import application code that may change later."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


@contextmanager
def sqlite_foreign_keys_off(connection):
    """SQLite: let a batch operation rebuild a table without touching the rows referring to it.

    A batch operation copies the table, drops the old one and renames the copy. With foreign
    keys enforced (the app turns them on for every connection), that DROP TABLE first deletes
    every row, and ON DELETE CASCADE takes the referring rows along: rebuilding `companies`
    would empty the database (tests/http/test_migrations.py shows it). Alembic's batch
    documentation ("Dealing with Referencing Foreign Keys") asks for enforcement to be off
    during the migration, as does SQLite's own procedure for such changes
    (https://www.sqlite.org/lang_altertable.html#otheralter), which then runs
    PRAGMA foreign_key_check before committing (check_foreign_keys below). The pragma is
    ignored inside a transaction: it is set on the driver's connection before Alembic begins one.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():  # after an error: the pragma needs no transaction open
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(ctx, step, heads, run_args):
    """SQLite: refuse a revision that leaves rows referring to nothing (its transaction is
    rolled back), since foreign keys were not enforced while it ran."""
    if ctx.connection.dialect.name == "sqlite":
        broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"revision {step.up_revision_id} leaves rows referring to nothing "
                               f"(table, rowid, referred table, constraint): {broken[:10]}")


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection, sqlite_foreign_keys_off(connection):
        conf_args.setdefault("render_item", render_item)
        conf_args.setdefault("compare_type", True)
        conf_args.setdefault("on_version_apply", check_foreign_keys)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
