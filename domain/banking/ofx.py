"""OFX and QFX statements: OFX 1.x (SGML, as French banks export it) and OFX 2.x (XML).

ofxtools does the hard part: its `TreeBuilder` reads SGML where data elements have no closing
tag (`<TRNAMT>-8.70` then the next tag) as well as XML, into an ElementTree. We stop there and
read the few elements a statement needs ourselves, because the rest of ofxtools 1.1.1 is
stricter than the files banks produce (each point checked against ofxtools 1.1.1):

- `OFXTree.parse` refuses a header without OLDFILEUID/NEWFILEUID; some banks leave them out,
  and all we need from the header is the charset;
- `convert()` requires the sign-on block (SIGNONMSGSRSV1), which some exports omit;
- `convert()` turns DTPOSTED into UTC, so "20260315000000[+1:CET]" becomes 14 March: the
  booking day is the bank's calendar day, so we keep the date as written (its 8 first digits);
- a NAME over 32 characters (common in French files) raises a warning.

ofxparse, the other Python reader, is not among our dependencies; ofxtools is maintained and
already pinned, and its tree builder is all we take from it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from xml.etree.ElementTree import Element

from ofxtools.Parser import ParseError, TreeBuilder

from .model import (
    FORMAT_OFX,
    RawLine,
    Statement,
    StatementError,
    build_statement,
    compact_iban,
    decimal_to_cents,
    decode_text,
)

__all__ = ["looks_like_ofx", "parse_ofx"]

_CHARSETS = {"1252": "cp1252", "ISO-8859-1": "latin-1", "8859-1": "latin-1", "UTF-8": "utf-8"}

_HEADER_V1_RE = re.compile(rb"^\s*OFXHEADER\s*:", re.IGNORECASE)
_V1_FIELD_RE = re.compile(r"^\s*([A-Z]+)\s*:\s*(\S*)\s*$", re.MULTILINE)
_V2_VERSION_RE = re.compile(r"<\?OFX[^>]*\bVERSION=\"(\d+)\"", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(r"<\?xml[^>]*\bencoding=\"([A-Za-z0-9_-]+)\"", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z0-9.]+>")
_OFX_START_RE = re.compile(r"<OFX>", re.IGNORECASE)
_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def looks_like_ofx(head: bytes) -> bool:
    """True when the first bytes of a file are an OFX (or QFX) document."""
    if _HEADER_V1_RE.match(head.lstrip(b"\xef\xbb\xbf")):
        return True
    upper = head[:4096].upper()
    return b"<?OFX" in upper or b"<OFX>" in upper


def _header(data: bytes) -> tuple[str | None, str]:
    """Declared codec and OFX version, read leniently from the header before <OFX>."""
    cut = data.upper().find(b"<OFX>")
    head = data[: cut if cut >= 0 else 4096].decode("latin-1")
    fields = {key.upper(): value.upper() for key, value in _V1_FIELD_RE.findall(head)}
    if "OFXHEADER" in fields:
        charset = fields.get("CHARSET", "")
        codec = "utf-8" if fields.get("ENCODING") == "UTF-8" else _CHARSETS.get(charset)
        return codec, fields.get("VERSION", "")
    version = _V2_VERSION_RE.search(head)
    encoding = _XML_ENCODING_RE.search(head)
    return (encoding.group(1) if encoding else "utf-8"), (version.group(1) if version else "")


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _lines_of(text: str, positions: list[int]) -> list[int]:
    """Line numbers of increasing positions, counting each stretch of text once."""
    lines = []
    line, previous = 1, 0
    for position in positions:
        line += text.count("\n", previous, position)
        previous = position
        lines.append(line)
    return lines


class _CheckedTreeBuilder(TreeBuilder):
    """ofxtools' tree builder, refusing an end tag that closes another element.

    xml.etree's C TreeBuilder pops whatever is open, so a missing </BANKTRANLIST> would
    silently move the balance inside the transaction list. An element left empty and
    unclosed ("<MEMO>" with no value, which some banks write) is closed implicitly, as SGML
    closes a data element.
    """

    def __init__(self) -> None:
        super().__init__()
        self.open_tags: list[str] = []
        self._children: list[int] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if self._children:
            self._children[-1] += 1
        self.open_tags.append(tag)
        self._children.append(0)
        return super().start(tag, attrs)

    def data(self, data: str) -> None:
        if self._children:
            self._children[-1] += 1  # not empty any more
        super().data(data)

    def end(self, tag: str) -> Element:
        while self.open_tags and self.open_tags[-1] != tag and self._children[-1] == 0:
            self._pop(self.open_tags[-1])
        if not self.open_tags or self.open_tags[-1] != tag:
            expected = self.open_tags[-1] if self.open_tags else "aucune"
            raise ParseError(f"</{tag}> closes <{expected}>")
        return self._pop(tag)

    def _pop(self, tag: str) -> Element:
        self.open_tags.pop()
        self._children.pop()
        return super().end(tag)


def _tree(text: str) -> Element:
    start = _OFX_START_RE.search(text)
    if start is None:
        raise StatementError("Ce fichier OFX ne contient pas de balise <OFX> : il est incomplet.")
    body = text[start.start() :]
    # Tags are upper case in the OFX specification; a few XML exports write them in lower
    # case, which ofxtools' tokenizer does not accept. Only the tags are changed, not the data.
    body = _TAG_RE.sub(lambda m: m.group(0).upper(), body)
    builder = _CheckedTreeBuilder()
    try:
        builder.feed(body)
    except ParseError as error:
        position = re.search(r"position=\[(\d+):", str(error))
        line = _line_of(text, start.start() + int(position.group(1))) if position else None
        raise StatementError(
            "le fichier OFX est mal formé (une balise est fermée au mauvais endroit, "
            "ou du texte est hors balise).",
            line=line,
        ) from None
    if builder.open_tags:
        raise StatementError(
            f"Le fichier OFX est mal formé : la balise <{builder.open_tags[-1]}> n'est jamais fermée. "
            "Le fichier est peut-être tronqué."
        )
    return builder.close()


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    if found is None or found.text is None:
        return ""
    return html.unescape(found.text).strip()


def _date(value: str, what: str, line: int | None) -> date:
    match = _DATE_RE.match(value)
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise StatementError(f"la date {what} « {value} » n'est pas lisible.", line=line) from None


def _statements(root: Element) -> Iterator[Element]:
    yield from root.iter("STMTRS")
    yield from root.iter("CCSTMTRS")


def _account(stmtrs: Element) -> tuple[str, str]:
    """(display name, account id) of a statement aggregate."""
    bank = stmtrs.find("BANKACCTFROM")
    if bank is None:
        bank = stmtrs.find("CCACCTFROM")
    parts = [_text(bank, tag) for tag in ("BANKID", "BRANCHID", "ACCTID", "ACCTKEY")]
    account_id = "".join(parts).replace(" ", "").upper()
    return " ".join(p for p in parts if p), account_id


def _split_iban(account_id: str) -> tuple[str | None, str | None]:
    """An ACCTID that is an IBAN (some banks put it there) is the IBAN; otherwise the RIB."""
    iban = compact_iban(account_id)
    if iban:
        return iban, None
    return None, account_id or None


def parse_ofx(data: bytes) -> Statement:
    """Read an OFX/QFX statement file (one account)."""
    codec, version = _header(data)
    text, _encoding = decode_text(data, codec)
    root = _tree(text)
    trn_lines = _lines_of(text, [m.start() for m in re.finditer(r"<STMTTRN>", text, re.IGNORECASE)])

    statements = list(_statements(root))
    if not statements:
        raise StatementError(
            "Ce fichier OFX ne contient pas de relevé de compte bancaire "
            "(ni <STMTRS> ni <CCSTMTRS>)."
        )
    accounts: dict[str, str] = {}
    for stmtrs in statements:
        name, account_id = _account(stmtrs)
        accounts.setdefault(account_id, name)
    if len(accounts) > 1:
        listed = ", ".join(name or "?" for name in accounts.values())
        raise StatementError(
            f"Ce fichier contient les relevés de {len(accounts)} comptes ({listed}). "
            "Téléchargez le relevé d'un seul compte à la fois."
        )

    transactions = list(root.iter("STMTTRN"))
    line_of = dict(zip(map(id, transactions), trn_lines, strict=False))
    raw_lines = []
    currency = ""
    closing_cents = None
    closing_date = None
    for stmtrs in statements:
        currency = currency or _text(stmtrs, "CURDEF").upper()
        ledger = stmtrs.find("LEDGERBAL")
        if ledger is not None and _text(ledger, "BALAMT"):
            closing_cents = decimal_to_cents(_text(ledger, "BALAMT"))
            closing_date = _date(_text(ledger, "DTASOF"), "du solde", None)
        for trn in stmtrs.iter("STMTTRN"):
            raw_lines.append(_raw_line(trn, line_of.get(id(trn), 0)))

    iban, account_number = _split_iban(next(iter(accounts)))
    return build_statement(
        format=FORMAT_OFX,
        source=f"OFX {version}".strip(),
        iban=iban,
        account_number=account_number,
        currency=currency or "EUR",
        raw_lines=raw_lines,
        closing_balance_cents=closing_cents,
        closing_date=closing_date,
    )


def _raw_line(trn: Element, line: int) -> RawLine:
    posted = _text(trn, "DTPOSTED")
    if not posted:
        raise StatementError("l'opération n'a pas de date (DTPOSTED).", line=line)
    amount = _text(trn, "TRNAMT")
    if not amount:
        raise StatementError("l'opération n'a pas de montant (TRNAMT).", line=line)
    available = _text(trn, "DTAVAIL")
    name = _text(trn, "NAME") or _text(trn, "PAYEE/NAME")
    memo = _text(trn, "MEMO")
    return RawLine(
        booking_date=_date(posted, "de l'opération", line),
        value_date=_date(available, "de valeur", line) if available else None,
        # TRNAMT is signed in the OFX specification: no guessing from TRNTYPE.
        amount_cents=decimal_to_cents(amount, line=line),
        label=name or memo,
        remittance=memo if name else "",
        counterparty=_text(trn, "PAYEE/NAME"),
        bank_id=_text(trn, "FITID") or None,
        transaction_code=_text(trn, "TRNTYPE").upper(),
        source_line=line,
    )
