"""The hosted shape on PostgreSQL: 2,000 typical companies beside the 100,000-invoice one.

Three databases in one throwaway cluster (scripts/with-postgres.sh starts it as CI does):
- `alone_typical`: one typical company (bench/dataset.py TYPICAL: 2,000 invoices over three
  years) and nothing else;
- `alone_big`: the 100,000-invoice company of the SQLite bench, alone;
- `hosted`: the big company, then the typical company cloned `clones` times (2,000 by default).

Rows come from the SQLite files the generator writes (bench/dataset.py), through COPY. The
clones are made in the server (INSERT … SELECT over generate_series): clone k of a template
row with id i gets id base + i × clones + k, and every reference is mapped the same way, so
the clones' rows are interleaved in time order as in a shared database (each template row
followed by its clones) (a company's rows are
not stored together), and clone k has exactly the typical company's data: the page figures of
clone `clones // 2` compare with the same company alone. Unique strings (user e-mail, link
token hash, tracking token) get the clone's number. Secondary indexes are built after the
load, then VACUUM ANALYZE (visibility map for index-only scans, planner statistics).
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from pathlib import Path

import psycopg
from sqlalchemy import Boolean
from sqlalchemy.engine import make_url

# Derived or per-visitor rows the data set does not write (no company column to copy them by).
SKIPPED = {"alembic_version", "company_data_versions", "login_attempts", "portal_attempts", "throttle_hits",
           "account_tokens"}
# Unique string columns that must differ from clone to clone (SQL over `col` and `k`). Client
# links are cloned in Python (clone_links): their token is stored sealed with SECRET_KEY.
UNIQUE_STRINGS = {
    ("users", "email"): "'c' || k || '.' || email",
    ("sends", "tracking_token"): "tracking_token || '.' || k",
}


def libpq_url(url: str, database: str | None = None) -> str:
    """postgresql+psycopg://… → a libpq URL (optionally for another database of the cluster)."""
    u = make_url(url)
    if database:
        u = u.set(database=database)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def tables():
    """The app's tables, parents first (the metadata the migrations build)."""
    import domain
    from extensions import db

    domain.load_models()
    return [t for t in db.metadata.sorted_tables if t.name not in SKIPPED]


def create_database(admin_url: str, name: str, log) -> str:
    """A fresh database `name`, migrated by the app's Alembic revisions; its SQLAlchemy URL."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db

    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = sqlalchemy_url(admin_url, name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "SECRET_KEY": "bench-migrate"})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    log(f"  database {name} migrated")
    return url


def _where(table, company_ids: list[int] | None) -> str:
    if company_ids is None:
        return ""
    ids = ", ".join(str(i) for i in company_ids)
    if table.name == "companies":
        return f" WHERE id IN ({ids})"
    if "company_id" in table.c:
        return f" WHERE company_id IN ({ids})"
    if "document_id" in table.c:
        return f" WHERE document_id IN (SELECT id FROM documents WHERE company_id IN ({ids}))"
    raise ValueError(f"{table.name}: no company column")


def copy_companies(sqlite_path: Path, conn: psycopg.Connection, *, schema: str = "public",
                   company_ids: list[int] | None = None, log=print) -> None:
    """COPY the rows of these companies (all when None) from the SQLite file into `schema`."""
    source = sqlite3.connect(sqlite_path)
    for table in tables():
        columns = [c.name for c in table.columns]
        booleans = [isinstance(c.type, Boolean) for c in table.columns]
        started = time.perf_counter()
        count = 0
        cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table.name}{_where(table, company_ids)}")
        with conn.cursor().copy(f"COPY {schema}.{table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in cursor:
                copy.write_row([bool(v) if b and v is not None else v for v, b in zip(row, booleans, strict=True)])
                count += 1
        if count > 1000:
            log(f"    {schema}.{table.name:<18} {count:>9} rows {time.perf_counter() - started:6.1f} s")
    source.close()


def drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the indexes that back no constraint; returns their definitions."""
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def finish(conn: psycopg.Connection, indexes: list[str], log) -> None:
    """Indexes back, sequences after the highest ids, VACUUM ANALYZE."""
    started = time.perf_counter()
    for definition in indexes:
        conn.execute(definition)
    log(f"    {len(indexes)} indexes built in {time.perf_counter() - started:.1f} s")
    for table in tables():
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)")
    conn.commit()
    started = time.perf_counter()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    log(f"    VACUUM ANALYZE {time.perf_counter() - started:.1f} s")


def load_alone(url: str, sqlite_path: Path, company_id: int, log) -> None:
    """One company of the SQLite file, alone, with its ids."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no triggers during the bulk load
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = drop_secondary_indexes(conn)
        copy_companies(sqlite_path, conn, company_ids=[company_id], log=log)
        conn.commit()
        finish(conn, indexes, log)


class Clones:
    """Where clone k of a template row lands: id = base[table] + id × n + k."""

    def __init__(self, base: dict[str, int], n: int):
        self.base, self.n = base, n

    def id(self, table: str, template_id: int, k: int) -> int:
        return self.base[table] + template_id * self.n + k


def load_hosted(url: str, big_sqlite: Path, big_company_id: int, typical_sqlite: Path, clones: int, log) -> Clones:
    """The big company with its ids, then `clones` copies of the typical company, interleaved."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = drop_secondary_indexes(conn)
        started = time.perf_counter()
        copy_companies(big_sqlite, conn, company_ids=[big_company_id], log=log)
        conn.commit()
        log(f"    big company copied in {time.perf_counter() - started:.1f} s")
        conn.execute("DROP SCHEMA IF EXISTS tpl CASCADE")
        conn.execute("CREATE SCHEMA tpl")
        for table in tables():
            conn.execute(f"CREATE TABLE tpl.{table.name} (LIKE public.{table.name})")
        copy_companies(typical_sqlite, conn, schema="tpl", log=lambda *_: None)
        base = {}
        for table in tables():
            if "id" in table.c:
                next_id = f"SELECT coalesce(max(id), 0) + 1 FROM public.{table.name}"
                base[table.name] = conn.execute(next_id).fetchone()[0]
        mapping = Clones(base, clones)
        for table in tables():
            if table.name == "document_links":
                started = time.perf_counter()
                clone_links(conn, table, base, clones)
                conn.commit()
                log(f"    clones: {table.name:<18} {time.perf_counter() - started:6.1f} s")
                continue
            exprs = []
            for column in table.columns:
                name = column.name
                if (table.name, name) in UNIQUE_STRINGS:
                    exprs.append(UNIQUE_STRINGS[(table.name, name)])
                elif name == "id" and table.name in base:
                    exprs.append(f"{base[table.name]} + id * {clones} + k")
                elif column.foreign_keys:
                    target = next(iter(column.foreign_keys)).column.table.name
                    exprs.append(f"{base[target]} + {name} * {clones} + k")
                else:
                    exprs.append(name)
            started = time.perf_counter()
            # LATERAL (the series depends on the row) keeps a nested loop with the template row
            # outside: rows come out in template order, the clones of each row together, without
            # sorting millions of rows (the template was copied in id order).
            conn.execute(
                f"INSERT INTO public.{table.name} ({', '.join(c.name for c in table.columns)}) "
                f"SELECT {', '.join(exprs)} FROM tpl.{table.name} AS t, "
                f"LATERAL generate_series(0, {clones - 1} + 0 * length(t::text)) AS g(k)")
            conn.commit()
            log(f"    clones: {table.name:<18} {time.perf_counter() - started:6.1f} s")
        conn.execute("DROP SCHEMA tpl CASCADE")
        conn.commit()
        finish(conn, indexes, log)
    return mapping


def clone_links(conn: psycopg.Connection, table, base: dict[str, int], clones: int) -> None:
    """Each client link of the template, `clones` times: clone k gets a token of its own (derived
    from the template's), stored as the app stores it (hash, and the token sealed with the bench's
    SECRET_KEY), so that a clone's reminder can put its link in the e-mail."""
    from dataset import SECRET_KEY

    from domain.portal.links import hash_token, seal, unseal
    from domain.portal.models import DocumentLink

    secret = SECRET_KEY.encode()
    columns = [c.name for c in table.columns]
    template = conn.execute(f"SELECT {', '.join(columns)} FROM tpl.{table.name} ORDER BY id").fetchall()
    with conn.cursor().copy(f"COPY public.{table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in template:
            values = dict(zip(columns, row, strict=True))
            raw = base64.urlsafe_b64decode(unseal(DocumentLink(**values), secret) + "=")
            for k in range(clones):
                token = base64.urlsafe_b64encode(hashlib.sha256(raw + k.to_bytes(4, "big")).digest()).rstrip(b"=")
                out = dict(values, token_sha256=hash_token(token.decode()), token_sealed=seal(token.decode(), secret))
                for column in table.columns:
                    if out[column.name] is None:
                        continue
                    if column.name == "id":
                        out["id"] = base[table.name] + values["id"] * clones + k
                    elif column.foreign_keys:
                        target = next(iter(column.foreign_keys)).column.table.name
                        out[column.name] = base[target] + values[column.name] * clones + k
                copy.write_row([out[c] for c in columns])


def clone_meta(meta: dict, mapping: Clones, k: int) -> dict:
    """The typical company's bench meta (ids, login) for its clone k."""
    out = dict(meta)
    company = dict(meta["companies"][0])
    company["id"] = mapping.id("companies", company["id"], k)
    company["email"] = f"c{k}.{company['email']}"
    out["companies"] = [company]
    out["hero_client_id"] = mapping.id("clients", meta["hero_client_id"], k)
    out["hero_invoice_id"] = mapping.id("documents", meta["hero_invoice_id"], k)
    out["one_tap_invoice_ids"] = [mapping.id("documents", i, k) for i in meta["one_tap_invoice_ids"]]
    out["load_invoice_ids"] = [mapping.id("documents", i, k) for i in meta["load_invoice_ids"]]
    out["other_company_invoice_id"] = mapping.id("documents", meta["hero_invoice_id"], k + 1 if k == 0 else k - 1)
    return out
