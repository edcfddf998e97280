"""`flask --app app einvoice check FILE` and `flask --app app einvoice export-xml NUMBER`.

- ``check``: the support tool for "the platform rejected my invoice". Any Factur-X PDF, CII
  or UBL file (ours or a supplier's) is checked with the rules the tests use: the XSD, the
  EN 16931 schematron and the French CTC rules (BR-FR), run by Saxon-HE in-process
  (output.einvoice.check). Each failed rule is printed with its id, where it failed and its
  message. Exit status: 0 valid (warnings allowed), 1 invalid, 2 not an invoice at all.
- ``export-xml``: the e-invoice XML of an issued invoice or credit note. A document issued as
  a Factur-X gives its frozen XML; one issued before e-invoices gets an XML built from what
  it was issued with (its snapshot), for export only: nothing is stored and its PDF is not
  touched.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from domain.billing import einvoicing, printing
from domain.billing.documents import DocumentError
from domain.billing.models import Document
from extensions import db
from output.einvoice import check as einvoice_check
from output.einvoice import facturx

FLAGS = {"fatal": "bloquant", "warning": "avertissement", "information": "information"}
_QUALIFIED_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")


def short_location(location: str) -> str:
    """The SVRL XPath without its namespace tests: /CrossIndustryInvoice[1]/.../BuyerTradeParty[1]."""
    return _QUALIFIED_STEP.sub(r"\1", location)


def print_report(report: einvoice_check.Report, name: str, *, err: bool = False) -> None:
    """The report in French, one failed rule per line (id, source, location, message)."""

    def echo(text: str) -> None:
        click.echo(text, err=err)

    echo(f"Fichier : {name} ({report.syntax}, profil {report.level.upper()})")
    if report.xsd_errors:
        echo(f"Schéma XSD : {len(report.xsd_errors)} erreur(s)")
        for error in report.xsd_errors:
            echo(f"  [bloquant] XSD : {error}")
    else:
        echo("Schéma XSD : conforme")
    fatal = report.fatal
    others = [f for f in report.failures if f.flag != "fatal"]
    echo(f"Règles EN 16931 et BR-FR : {len(fatal)} erreur(s) bloquante(s), {len(others)} avertissement(s)")
    for failure in (*fatal, *others):
        rule = failure.rule_id or "(règle sans identifiant)"
        echo(f"  [{FLAGS.get(failure.flag, failure.flag)}] {rule} ({failure.source})")
        if failure.location:
            echo(f"      où : {short_location(failure.location)}")
        echo(f"      {failure.message}")
    echo("Résultat : CONFORME" if report.ok else "Résultat : NON CONFORME")


def _pdf_notes(data: bytes) -> None:
    """What a PDF's XMP says about itself (PDF/A part, Factur-X profile), as a hint."""
    info = facturx.xmp_info(data)
    part, conformance = info.get("pdfaid:part"), info.get("pdfaid:conformance")
    level = info.get("fx:ConformanceLevel")
    click.echo(f"PDF : {'PDF/A-' + part + (conformance or '').lower() if part else 'pas de déclaration PDF/A'}"
               f"{', Factur-X ' + level if level else ''}")
    if part != "3":
        click.echo("  [avertissement] Un Factur-X est un PDF/A-3 : ce PDF ne se déclare pas comme tel.")


def _document(number: str, company_id: int | None) -> Document:
    stmt = select(Document).where(Document.number == number)
    if company_id is not None:
        stmt = stmt.where(Document.company_id == company_id)
    found = db.session.scalars(stmt).all()
    if not found:
        raise click.ClickException(f"Aucun document émis sous le numéro {number}.")
    if len(found) > 1:
        companies = ", ".join(str(doc.company_id) for doc in found)
        raise click.ClickException(f"Le numéro {number} existe dans plusieurs entreprises ({companies}) : "
                                   "précisez --company.")
    return found[0]


def init_app(app: Flask) -> None:
    """Register the `einvoice` command group."""

    @app.cli.group("einvoice")
    def einvoice_group():
        """Factures électroniques (Factur-X, CII, UBL)."""

    @einvoice_group.command("check")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def check_command(path: Path):
        """Vérifie un PDF Factur-X, un XML CII ou UBL : XSD, EN 16931 et règles françaises (BR-FR)."""
        data = path.read_bytes()
        try:
            report = einvoice_check.check(data, path.name)
        except einvoice_check.NotAnInvoice as exc:
            click.echo(f"Fichier : {path.name}")
            click.echo(f"Illisible comme facture électronique : {exc}", err=True)
            sys.exit(2)
        if data.lstrip()[:5] == b"%PDF-":
            _pdf_notes(data)
        print_report(report, path.name)
        sys.exit(0 if report.ok else 1)

    @einvoice_group.command("export-xml")
    @click.argument("number")
    @click.option("--company", "company_id", type=int, default=None,
                  help="Id de l'entreprise, si le numéro existe dans plusieurs.")
    @click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Fichier à écrire (par défaut : la sortie standard).")
    @click.option("--check", "run_check", is_flag=True, help="Vérifie aussi le XML (EN 16931 et BR-FR).")
    def export_command(number: str, company_id: int | None, output: Path | None, run_check: bool):
        """Le XML (CII, Factur-X EN 16931) d'une facture ou d'un avoir émis, sans modifier son PDF."""
        export_xml(_document(number, company_id), output, run_check=run_check)


def export_xml(doc: Document, output: Path | None, *, run_check: bool) -> None:
    """Write the XML of an issued invoice (stdout when no output), saying where it comes from."""
    frozen = einvoicing.stored_xml(doc) is not None
    try:
        filename, xml = printing.export_xml(doc)
    except DocumentError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.rollback()  # an export writes nothing
    if frozen:
        click.echo(f"{doc.number} : XML figé à l'émission ({filename}).", err=True)
    else:
        click.echo(f"{doc.number} : émis avant la facture électronique ; XML construit à partir de ses données "
                   "d'émission, pour export. Son PDF n'est pas modifié.", err=True)
    if output is None:
        click.echo(xml, nl=False)  # bytes go to the binary stdout, as they are
    else:
        output.write_bytes(xml)
        click.echo(f"Écrit : {output} ({len(xml)} octets)", err=True)
    if run_check:
        report = einvoice_check.check(xml, filename)
        print_report(report, filename, err=True)  # stdout may be the XML itself
        if not report.ok:
            sys.exit(1)
