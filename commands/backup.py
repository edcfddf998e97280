"""`flask --app app backup PATH` and `flask --app app check-backup PATH` (see README "Sauvegarde")."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import click
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask

from extensions import db


def init_app(app: Flask) -> None:
    """Register `backup` and `check-backup`."""

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path):
        """Copy the live SQLite database into PATH (online, consistent), then check the copy.

        PostgreSQL: prints the pg_dump command to use instead and exits with status 2.
        """
        url = db.engine.url
        if url.get_backend_name() != "sqlite":
            click.echo(_pg_dump_hint(url, path), err=True)
            sys.exit(2)
        source = Path(url.database or "")
        if not url.database or url.database == ":memory:" or not source.is_file():
            raise click.ClickException(f"Base SQLite introuvable : {url.database or '(en mémoire)'}")
        if path.exists() and path.resolve() == source.resolve():
            raise click.ClickException("La sauvegarde ne peut pas remplacer la base elle-même.")
        path.parent.mkdir(parents=True, exist_ok=True)
        size = sqlite_backup(source, path)
        result = integrity_check(path)
        click.echo(f"Sauvegarde écrite : {path} ({size / 1_048_576:.1f} Mo)")
        click.echo(f"Contrôle d'intégrité de la copie : {result}")
        if result != "ok":
            sys.exit(1)

    @app.cli.command("check-backup")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def check_backup_command(path: Path):
        """Restore PATH into a scratch copy and check it: integrity, foreign keys, schema version, contents."""
        report = restore_check(path, expected_revision=_migration_head(app))
        for line in report.lines:
            click.echo(line)
        click.echo("Sauvegarde utilisable." if report.ok else "SAUVEGARDE INUTILISABLE.")
        if not report.ok:
            sys.exit(1)


def sqlite_backup(source: Path, target: Path) -> int:
    """Copy a live SQLite database with SQLite's online backup API; returns the copy's size.

    The copy is one read transaction of the source: consistent even while the app writes
    (WAL: writers are not blocked). It is written next to `target` and renamed over it only
    once complete and flushed, so a crash never leaves a half-written backup under the
    final name. The copy leaves WAL mode: one self-contained file.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target.stat().st_size


def integrity_check(path: Path) -> str:
    """SQLite's PRAGMA integrity_check of a database file ("ok" when sound)."""
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = con.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:  # not a database at all, or truncated
        return f"illisible ({exc})"
    finally:
        con.close()
    return "; ".join(str(row[0]) for row in rows[:20])


class RestoreReport:
    def __init__(self):
        self.lines: list[str] = []
        self.ok = True

    def check(self, ok: bool, line: str) -> None:
        self.ok &= ok
        self.lines.append(("ok     " if ok else "ÉCHEC  ") + line)


def restore_check(path: Path, *, expected_revision: str | None) -> RestoreReport:
    """Restore `path` into a temporary directory and check what a restore would give."""
    report = RestoreReport()
    with tempfile.TemporaryDirectory(prefix="encaisse-restore-") as scratch:
        restored = Path(scratch) / "encaisse.sqlite3"
        shutil.copyfile(path, restored)
        result = integrity_check(restored)
        report.check(result == "ok", f"intégrité : {result}")
        if result != "ok":
            return report
        con = sqlite3.connect(restored)
        try:
            broken = con.execute("PRAGMA foreign_key_check").fetchall()
            report.check(not broken, f"clés étrangères : {len(broken)} référence(s) cassée(s)")
            try:
                revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError:
                revision = None
            revision = revision[0] if revision else None
            if expected_revision is None:
                report.check(revision is not None, f"schéma : {revision}")
            else:
                report.check(revision == expected_revision,
                             f"schéma : {revision} (version attendue par ce code : {expected_revision})")
            if revision is None:
                return report
            counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("companies", "users", "clients", "documents", "payments")}
            report.check(counts["companies"] > 0 and counts["users"] > 0,
                         "contenu : " + ", ".join(f"{n} {t}" for t, n in counts.items()))
            gaps = _numbering_gaps(con)
            report.check(not gaps, "numérotation : " + ("continue, sans doublon" if not gaps else "; ".join(gaps[:5])))
        finally:
            con.close()
    return report


def _numbering_gaps(con: sqlite3.Connection) -> list[str]:
    """Each series must hold exactly the numbers 1..last_value, once each."""
    problems = []
    sequences = con.execute("SELECT company_id, series, year, last_value FROM number_sequences").fetchall()
    for company_id, series, year, last_value in sequences:
        prefix = f"{series}-{year}-"
        numbers = [row[0] for row in con.execute(
            "SELECT number FROM documents WHERE company_id = ? AND substr(number, 1, ?) = ?",
            (company_id, len(prefix), prefix))]
        values = sorted(int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit())
        if values != list(range(1, last_value + 1)):
            problems.append(f"entreprise {company_id}, série {prefix}… : {len(values)} numéro(s) pour {last_value}")
    return problems


def _migration_head(app: Flask) -> str | None:
    """The schema revision this code expects (the head of migrations/)."""
    config = Config()
    config.set_main_option("script_location", str(Path(app.root_path) / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _pg_dump_hint(url, path: Path) -> str:
    """The pg_dump and pg_restore commands for this database (never prints the password)."""
    args = ["pg_dump", "--format=custom", "--no-owner", f"--file={path}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    args.append(url.database or "")
    dump = " ".join(shlex.quote(a) for a in args)
    check = f"pg_restore --list {shlex.quote(str(path))} > /dev/null"
    return (
        "Base PostgreSQL : la sauvegarde se fait avec pg_dump (mot de passe par PGPASSWORD ou ~/.pgpass) :\n"
        f"  {dump}\n"
        f"Vérification de l'archive : {check}\n"
        "Restauration dans une base vide : pg_restore --no-owner --dbname=NOUVELLE_BASE "
        f"{shlex.quote(str(path))}"
    )
