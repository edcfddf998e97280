"""The official checks of an e-invoice: XSD, EN 16931 schematron, French CTC schematron.

``check(data)`` takes a Factur-X PDF (its ``factur-x.xml`` is extracted), a CII XML or a
UBL XML (told apart by the root element) and returns a frozen ``Report``: the XSD errors
and every failed assertion of
- the EN 16931 rules: ``FACTUR-X_EN16931.xslt`` (CII, which adds the Factur-X profile's
  structure rules) or ``EN16931-UBL-validation.xslt`` (UBL);
- the French rules for invoices between approved platforms, "Flux 2" (BR-FR-n, FNFE-MPE /
  AFNOR XP Z12-012): ``BR-FR-Flux2-Schematron-CII.xslt`` or its UBL twin.
The stylesheets and XSDs are the ones the ``factur-x`` package ships, found through its own
tables (``facturx.facturx.FACTURX_LEVEL2schematron``...), so upgrading the package upgrades
the rules. ``check_xsd(xml)`` is the cheap check for issue time (a few milliseconds).

Running the schematrons: the package itself posts them to a Java "Saxon server"; here
Saxon-HE runs in-process through ``saxonche`` (SaxonC, a GraalVM native image, no Java).
The factur-x author dropped saxonche after akretion/pyfrctc issue 3; with saxonche 13.1 the
tests here run both stylesheets on every kind of invoice, from several threads, without
a failure, so it is kept. How it is used safely:
- one ``PySaxonProcessor`` per process, created lazily and again after a fork: SaxonC does
  not document its GraalVM isolate as fork-safe (fork() copies only the calling thread),
  so a gunicorn worker forked from a warm master builds its own rather than rely on it;
- each stylesheet compiled once per process (about 0.5 s for EN 16931, 0.2 s for BR-FR);
- a ``PyXsltExecutable`` is not thread-safe (SaxonC documentation of ``compile_stylesheet``):
  each thread transforms with its own ``clone()``, made once per thread and stylesheet.

Security: the input may come from outside (a supplier's invoice). The XML is parsed by lxml
without network, DTD or entity expansion, and refused when it has a DOCTYPE; Saxon then
reads lxml's re-serialisation, which cannot point at any external resource. The PDF is
bounded in size (``MAX_INPUT_BYTES``).

SVRL: both ``svrl:failed-assert`` and ``svrl:successful-report`` are collected (the
Factur-X stylesheet reports elements its profile does not use as successful reports).
An assertion without a ``flag`` is an error (the EN 16931 stylesheets flag only their
warnings), so ``flag`` defaults to "fatal". Messages are kept as the rules state them,
whitespace runs collapsed.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from .facturx import extract

__all__ = ["Failure", "NotAnInvoice", "Report", "check", "check_xsd", "warm_up"]

MAX_INPUT_BYTES = 20_000_000

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "ubl-2.1-invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "ubl-2.1-creditnote",
}
SOURCE_EN16931 = "EN16931"
SOURCE_BR_FR = "BR-FR"

_RULE_IN_TEXT = re.compile(r"\[?((?:BR|FX|CII|PEPPOL|UBL)[A-Z0-9-]*?-\d[\w-]*)\]?")
_WHITESPACE = re.compile(r"\s+")


class NotAnInvoice(ValueError):
    """The data is neither a Factur-X PDF nor a CII or UBL invoice; the message is French."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed assertion (or fatal report) of a schematron."""

    rule_id: str  # "BR-CO-14", "BR-FR-05_BT-22_PMT"; "" when the rule has no id
    flag: str  # "fatal", "warning", "information"
    location: str  # XPath of the offending node
    message: str  # as the rule states it
    source: str  # "EN16931" or "BR-FR"


@dataclass(frozen=True, slots=True)
class Report:
    """What the official checks say about one invoice."""

    syntax: str  # "CII" or "UBL"
    failures: tuple[Failure, ...] = ()
    xsd_errors: tuple[str, ...] = ()
    level: str = "en16931"  # Factur-X profile (CII) or "en16931" (UBL)

    @property
    def fatal(self) -> tuple[Failure, ...]:
        """The failures that make the invoice invalid."""
        return tuple(f for f in self.failures if f.flag == "fatal")

    @property
    def ok(self) -> bool:
        """Valid against the XSD and without any fatal failure."""
        return not self.xsd_errors and not self.fatal

    def rule_ids(self, source: str | None = None) -> set[str]:
        """Ids of the fatal failures, optionally of one source (tests and logs)."""
        return {f.rule_id for f in self.fatal if source is None or f.source == source}


# ----------------------------------------------------------------------------- files


def _facturx_tables():
    from facturx import facturx as fx  # the package's own choice of files per level

    return fx


def _package_file(relative: str) -> Path:
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron", relative)))


def _stylesheets(syntax: str, level: str, flavor: str) -> list[tuple[str, Path]]:
    fx = _facturx_tables()
    if syntax == "CII":
        if level not in fx.FACTURX_LEVEL2schematron:
            raise NotAnInvoice(f"Profil Factur-X inconnu : {level}.")
        sheets = [(SOURCE_EN16931, _package_file(fx.FACTURX_LEVEL2schematron[level]))]
        if level != "minimum":  # as the package does: MINIMUM is not an invoice
            sheets.append((SOURCE_BR_FR, _package_file(fx.CII_FR_CTC_schematron)))
        return sheets
    return [(SOURCE_EN16931, _package_file(fx.UBL_21_LEVEL2schematron["en16931"])),
            (SOURCE_BR_FR, _package_file(fx.UBL_21_FR_CTC_schematron))]


def _xsd_file(syntax: str, level: str, flavor: str) -> Path:
    fx = _facturx_tables()
    if syntax == "CII":
        return _package_file(fx.FACTURX_LEVEL2xsd[level])
    return _package_file(fx.UBL_21_xsd[flavor])


# ----------------------------------------------------------------------------- input


def _parse(xml: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise NotAnInvoice(f"Le fichier n'est pas un XML valide : {exc}") from None
    if root.getroottree().docinfo.doctype:
        # No DTD in an invoice: a DOCTYPE can only declare entities (XXE, "billion laughs").
        raise NotAnInvoice("Le XML contient une déclaration DOCTYPE : refusé.")
    return root


def _read(data: bytes, filename: str) -> etree._Element:
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    if len(data) > MAX_INPUT_BYTES:
        raise NotAnInvoice("Le fichier est trop volumineux pour une facture.")
    if data.lstrip()[:5] == b"%PDF-" or filename.lower().endswith(".pdf"):
        xml = extract(data)
        if xml is None:
            raise NotAnInvoice("Ce PDF ne contient pas de facture électronique (pièce jointe factur-x.xml).")
        data = xml
    return _parse(data)


def _syntax(root: etree._Element) -> tuple[str, str, str]:
    """(syntax, level, flavor) from the root element."""
    if root.tag == CII_ROOT:
        fx = _facturx_tables()
        try:
            level = fx.get_level(root, "factur-x")
        except Exception as exc:  # noqa: BLE001 - the package raises plain Exception on an unknown profile
            raise NotAnInvoice(f"Profil Factur-X (BT-24) non reconnu : {exc}") from None
        return "CII", level, "factur-x"
    if root.tag in UBL_ROOTS:
        return "UBL", "en16931", UBL_ROOTS[root.tag]
    raise NotAnInvoice(f"Élément racine inattendu : {etree.QName(root).localname}.")


# ------------------------------------------------------------------------------- XSD


@cache
def _schema(path: Path) -> tuple[etree.XMLSchema, threading.Lock]:
    # Parsing the EN 16931 XSD takes ~20 ms: once per process. XMLSchema keeps its error
    # log on the object, so validations against one schema are serialised.
    return etree.XMLSchema(etree.parse(str(path))), threading.Lock()


def _xsd_errors(root: etree._Element, syntax: str, level: str, flavor: str) -> tuple[str, ...]:
    schema, lock = _schema(_xsd_file(syntax, level, flavor))
    with lock:
        if schema.validate(root):
            return ()
        return tuple(f"ligne {e.line} : {e.message}" for e in schema.error_log)


def check_xsd(xml: bytes) -> list[str]:
    """XSD errors of a CII or UBL invoice (empty: valid), e.g. at issue time."""
    root = _parse(xml)
    syntax, level, flavor = _syntax(root)
    return list(_xsd_errors(root, syntax, level, flavor))


# ------------------------------------------------------------------------ schematrons


class _Saxon:
    """One Saxon processor per process, stylesheets compiled once, executables per thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._processor: Any = None
        self._compiled: dict[Path, Any] = {}
        self._local = threading.local()

    def _ensure_process(self) -> None:
        # Called with the lock held. After a fork, start afresh (see the module docstring).
        if self._pid != os.getpid():
            import saxonche

            self._processor = saxonche.PySaxonProcessor(license=False)
            self._compiled = {}
            self._pid = os.getpid()
            self._local = threading.local()

    def executable(self, path: Path):
        """This thread's executable for the stylesheet at ``path``."""
        if self._pid != os.getpid():
            with self._lock:
                self._ensure_process()
        cache_ = getattr(self._local, "executables", None)
        if cache_ is None or self._local.pid != self._pid:
            cache_ = self._local.executables = {}
            self._local.pid = self._pid
        executable = cache_.get(path)
        if executable is None:
            with self._lock:
                self._ensure_process()
                compiled = self._compiled.get(path)
                if compiled is None:
                    # Compiled from its file so that document('..._codedb.xml') resolves
                    # next to it.
                    compiler = self._processor.new_xslt30_processor()
                    compiled = compiler.compile_stylesheet(stylesheet_file=str(path))
                    self._compiled[path] = compiled
                executable = compiled.clone()
            cache_[path] = executable
        return executable

    def transform(self, path: Path, xml_text: str) -> bytes:
        """SVRL output of the stylesheet at ``path`` on the document ``xml_text``."""
        executable = self.executable(path)
        node = self._processor.parse_xml(xml_text=xml_text, encoding="UTF-8")
        return executable.transform_to_string(xdm_node=node).encode("utf-8")


_SAXON = _Saxon()


def warm_up(levels: tuple[str, ...] = ("en16931",)) -> None:
    """Compile the stylesheets now (~0.7 s) rather than on the first check."""
    for level in levels:
        for _, path in _stylesheets("CII", level, "factur-x"):
            _SAXON.executable(path)


def _text(element: etree._Element) -> str:
    node = element.find(f"{{{SVRL}}}text")
    text = "".join(node.itertext()) if node is not None else ""
    return _WHITESPACE.sub(" ", text).strip()


def _failures(svrl: bytes, source: str) -> list[Failure]:
    root = etree.fromstring(svrl, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    found = []
    for element in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        message = _text(element)
        rule_id = element.get("id") or ""
        if not rule_id:
            match = _RULE_IN_TEXT.search(message)
            rule_id = match.group(1) if match else ""
        found.append(Failure(rule_id=rule_id, flag=(element.get("flag") or "fatal").lower(),
                             location=element.get("location") or "", message=message, source=source))
    return found


_ERROR_CODE = re.compile(r"\b([A-Z]{4}\d{4})\b")


def _stylesheet_error(exc: Exception, source: str) -> Failure:
    message = _WHITESPACE.sub(" ", str(exc)).strip()
    code = _ERROR_CODE.search(message)
    return Failure(rule_id=code.group(1) if code else "XSLT-ERROR", flag="fatal", location="",
                   message=f"Le schematron n'a pas pu aller au bout : {message[:500]}", source=source)


def check(data: bytes, filename: str = "") -> Report:
    """Run the XSD and both schematrons on a Factur-X PDF, a CII XML or a UBL XML."""
    root = _read(data, filename)
    syntax, level, flavor = _syntax(root)
    xsd_errors = _xsd_errors(root, syntax, level, flavor)
    xml_text = etree.tostring(root, encoding="unicode")
    failures: list[Failure] = []
    for source, path in _stylesheets(syntax, level, flavor):
        try:
            svrl = _SAXON.transform(path, xml_text)
        except Exception as exc:  # noqa: BLE001 - saxonche.PySaxonApiError, imported lazily
            # A dynamic error stops the whole stylesheet: typically xs:decimal("12,50") on an
            # amount the XSD rejects too. Report it rather than fail the caller.
            failures.append(_stylesheet_error(exc, source))
            continue
        failures.extend(_failures(svrl, source))
    return Report(syntax=syntax, failures=tuple(failures), xsd_errors=xsd_errors, level=level)
