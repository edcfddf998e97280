"""CAMT.053 statements (ISO 20022 BankToCustomerStatement, camt.053.001.02 and later).

Read with lxml along the schema's element paths. The 001.02 schema is in
tests/data/bank/schemas and the test sample is validated against it; later versions (.04, .08,
.12…) keep these paths, and where they moved something (`TxDtls/Amt`, `Dbtr/Pty/Nm`,
`Sts/Cd`) both places are read.

pycamt 1.1.1 is installed and was tried first; we do not use it because, read in its source:
- it turns a debit balance into text through a float (`str(-float(amount))`), and our amounts
  never touch a float;
- it takes a transaction's amount as the first `Amt` under `TxDtls`, which in 001.02 is
  `AmtDtls/InstdAmt`, the amount the payer instructed in *their* currency, not
  `AmtDtls/TxAmt`, the amount booked on the account;
- when a structured reference is present it overwrites the unstructured remittance text with
  it (we keep both), and it keeps no element positions (we report line numbers).

Batch credits. A bank may book several incoming transfers as one entry (`Ntry`) with one
`TxDtls` per transfer. Each `TxDtls` becomes its own line: each transfer has its own payer,
remittance text and reference, and is matched to its own invoice. This is done only when every
`TxDtls` has an amount and they add up to the entry's amount; otherwise the entry stays one line
(with all the remittance texts) so the statement still adds up. A split line's bank id is the
entry's `AcctSvcrRef` followed by the transfer's own reference (its `AcctSvcrRef`, `TxId` or
end-to-end id) or, when it has none, its position in the entry: the same entry in an
overlapping statement gives the same ids, so the fingerprints stay stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from lxml import etree

from .model import (
    FORMAT_CAMT053,
    RawLine,
    Statement,
    StatementError,
    build_statement,
    compact_iban,
    decimal_to_cents,
    euros,
)

__all__ = ["looks_like_camt", "parse_camt053"]

_NAMESPACE_RE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:(camt\.[0-9]{3})\.([0-9]{3}\.[0-9]{2})\}")
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)
# Structured creditor reference types: SCOR ("structured communication reference"), the one
# the EPC rulebook uses for ISO 11649 references.
_NOT_PROVIDED = "NOTPROVIDED"


def looks_like_camt(head: bytes) -> bool:
    """True when the first bytes are an ISO 20022 cash-management (camt) XML document."""
    return b"urn:iso:std:iso:20022:tech:xsd:camt." in head[:4096] or b"<BkToCstmrStmt" in head[:4096]


class _Reader:
    """Element paths in the document's namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self._paths: dict[str, str] = {}

    def path(self, path: str) -> str:
        cached = self._paths.get(path)
        if cached is None:
            cached = "/".join(f"{self.ns}{step}" for step in path.split("/"))
            self._paths[path] = cached
        return cached

    def find(self, element: etree._Element | None, path: str) -> etree._Element | None:
        if element is None:
            return None
        return element.find(self.path(path))

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self.path(path))

    def text(self, element: etree._Element | None, *paths: str) -> str:
        """Text of the first of `paths` that is present, stripped; "" when none is."""
        for path in paths:
            found = self.find(element, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        return ""


def _parse_xml(data: bytes) -> etree._Element:
    if b"<!DOCTYPE" in data[:4096].upper():
        # A statement never needs a DTD; refusing it closes the door on entity expansion.
        raise StatementError("Ce fichier XML contient une déclaration DOCTYPE : il est refusé.")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise StatementError(
            "le fichier XML est mal formé (il est peut-être tronqué).", line=error.lineno or None
        ) from None


def _namespace(root: etree._Element) -> tuple[str, str]:
    """(namespace prefix for paths, message version) of a camt.053 document."""
    match = _NAMESPACE_RE.match(root.tag)
    if match is None:
        if root.tag == "Document" and root.find("BkToCstmrStmt") is not None:
            return "", "camt.053"
        raise StatementError(
            "Ce fichier XML n'est pas un relevé CAMT.053 (ISO 20022). Téléchargez le relevé "
            "de compte au format CAMT.053, OFX, CFONB ou CSV."
        )
    message, version = match.groups()
    if message != "camt.053":
        kind = {"camt.052": "un relevé intrajournalier", "camt.054": "un avis d'opérations"}.get(
            message, "un autre message ISO 20022"
        )
        raise StatementError(
            f"Ce fichier est {kind} ({message.upper()}), pas un relevé de compte : "
            "téléchargez le relevé au format CAMT.053."
        )
    return "{" + root.tag[1:].split("}")[0] + "}", f"CAMT.053.{version}"


def _date_of(reader: _Reader, element: etree._Element | None) -> date | None:
    value = reader.text(element, "Dt", "DtTm")
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise StatementError(
            f"la date « {value} » n'est pas lisible.", line=element.sourceline if element is not None else None
        ) from None


def _signed(amount: etree._Element, indicator: str, line: int | None) -> int:
    """Signed cents of an amount and its CRDT/DBIT indicator; errors cite the amount's line."""
    line = amount.sourceline or line
    cents = decimal_to_cents(amount.text, line=line)
    if cents < 0:
        raise StatementError(f"le montant « {amount.text} » est négatif (le sens est donné à part).", line=line)
    if indicator == "DBIT":
        return -cents
    if indicator == "CRDT":
        return cents
    raise StatementError(f"le sens « {indicator} » n'est ni CRDT ni DBIT.", line=line)


def _one_account(reader: _Reader, statements: list[etree._Element]) -> str:
    """The account of the file's statements (IBAN, or another identifier); several are refused."""
    accounts: dict[str, etree._Element] = {}
    for stmt in statements:
        written = reader.text(stmt, "Acct/Id/IBAN")
        other = reader.text(stmt, "Acct/Id/Othr/Id")
        accounts.setdefault(compact_iban(written) or written or other, stmt)
    if len(accounts) > 1:
        raise StatementError(
            f"Ce fichier contient les relevés de {len(accounts)} comptes "
            f"({', '.join(a or '?' for a in accounts)}). Téléchargez le relevé d'un seul compte à la fois."
        )
    return next(iter(accounts))


def _booked_lines(reader: _Reader, stmt: etree._Element, opening: int | None, closing: int | None
                  ) -> tuple[list[RawLine], str]:
    """The booked entries of one <Stmt>, checked against its balances, and the currency they give."""
    lines: list[RawLine] = []
    currency = ""
    for entry in reader.findall(stmt, "Ntry"):
        amount = reader.find(entry, "Amt")
        if amount is None:
            raise StatementError("l'opération n'a pas de montant.", line=entry.sourceline)
        currency = currency or amount.get("Ccy", "")
        status = reader.text(entry, "Sts/Cd", "Sts")
        if status and status != "BOOK":
            continue  # pending or information only: it comes back booked in a later statement
        lines.extend(_entry_lines(reader, entry))
    if opening is not None and closing is not None:
        booked = sum(line.amount_cents for line in lines)
        if opening + booked != closing:
            raise StatementError(
                f"Le relevé ne s'équilibre pas : solde initial {euros(opening)}, "
                f"opérations {euros(booked)}, solde final {euros(closing)}. "
                "Le fichier est peut-être incomplet."
            )
    return lines, currency


def parse_camt053(data: bytes) -> Statement:
    """Read a CAMT.053 statement file (one account, one or several daily statements)."""
    root = _parse_xml(data)
    ns, source = _namespace(root)
    reader = _Reader(ns)
    statements = reader.findall(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementError("Ce fichier CAMT.053 ne contient aucun relevé (<Stmt>).")
    account = _one_account(reader, statements)
    iban = compact_iban(account)

    currency = reader.text(statements[0], "Acct/Ccy")
    raw_lines: list[RawLine] = []
    opening = closing = None
    opening_date = closing_date = None
    for stmt in statements:
        stmt_open, stmt_open_date, stmt_close, stmt_close_date = _balances(reader, stmt)
        stmt_lines, entries_currency = _booked_lines(reader, stmt, stmt_open, stmt_close)
        currency = currency or entries_currency
        if opening is None and stmt_open is not None:
            opening, opening_date = stmt_open, stmt_open_date
        if stmt_close is not None:
            closing, closing_date = stmt_close, stmt_close_date
        raw_lines.extend(stmt_lines)

    return build_statement(
        format=FORMAT_CAMT053,
        source=source,
        iban=iban,
        account_number=None if iban else (account or None),
        currency=currency or "EUR",
        raw_lines=raw_lines,
        opening_balance_cents=opening,
        opening_date=opening_date,
        closing_balance_cents=closing,
        closing_date=closing_date,
    )


def _balances(reader: _Reader, stmt: etree._Element) -> tuple[int | None, date | None, int | None, date | None]:
    opening = closing = None
    opening_date = closing_date = None
    for balance in reader.findall(stmt, "Bal"):
        kind = reader.text(balance, "Tp/CdOrPrtry/Cd")
        amount = reader.find(balance, "Amt")
        if amount is None or kind not in _OPENING + _CLOSING:
            continue
        cents = _signed(amount, reader.text(balance, "CdtDbtInd"), balance.sourceline)
        when = _date_of(reader, reader.find(balance, "Dt"))
        if kind in _OPENING and opening is None:
            opening, opening_date = cents, when
        elif kind in _CLOSING:
            closing, closing_date = cents, when
    return opening, opening_date, closing, closing_date


def _details(reader: _Reader, entry: etree._Element) -> list[etree._Element]:
    return [tx for group in reader.findall(entry, "NtryDtls") for tx in reader.findall(group, "TxDtls")]


def _detail_amount(reader: _Reader, tx: etree._Element, entry_currency: str) -> etree._Element | None:
    """The amount booked for one transaction of an entry (not the payer's instructed amount)."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        found = reader.find(tx, path)
        if found is not None:
            return found
    instructed = reader.find(tx, "AmtDtls/InstdAmt/Amt")
    if instructed is not None and instructed.get("Ccy") == entry_currency:
        return instructed
    return None


def _entry_lines(reader: _Reader, entry: etree._Element) -> Iterator[RawLine]:
    line = entry.sourceline
    amount = reader.find(entry, "Amt")
    assert amount is not None  # checked by the caller
    indicator = reader.text(entry, "CdtDbtInd")
    entry_cents = _signed(amount, indicator, line)
    booking = _date_of(reader, reader.find(entry, "BookgDt")) or _date_of(reader, reader.find(entry, "ValDt"))
    if booking is None:
        raise StatementError("l'opération n'a pas de date de comptabilisation.", line=line)
    value_date = _date_of(reader, reader.find(entry, "ValDt"))
    entry_label = reader.text(entry, "AddtlNtryInf")
    entry_id = reader.text(entry, "AcctSvcrRef")
    code = _transaction_code(reader, entry)
    details = _details(reader, entry)

    split: list[tuple[etree._Element, int]] = []
    if len(details) > 1:
        for tx in details:
            tx_amount = _detail_amount(reader, tx, amount.get("Ccy", ""))
            if tx_amount is None:
                split = []
                break
            tx_indicator = reader.text(tx, "CdtDbtInd") or indicator
            split.append((tx, _signed(tx_amount, tx_indicator, tx.sourceline)))
        if sum(cents for _tx, cents in split) != entry_cents:
            split = []

    if split:
        for index, (tx, cents) in enumerate(split):
            own = _own_reference(reader, tx)
            bank_id = f"{entry_id}/{own or f'#{index + 1}'}" if entry_id else own
            yield _line(reader, tx, cents, booking, value_date, reader.text(tx, "AddtlTxInf") or entry_label,
                        bank_id, code, tx.sourceline)
        return

    # One line for the entry; its details (if any) only add text.
    remittance = " ".join(_remittance(reader, tx) for tx in details).strip()
    first = details[0] if details else None
    parties = " / ".join(dict.fromkeys(p for p in (_counterparty(reader, tx, entry_cents) for tx in details) if p))
    reference = next((r for r in (_creditor_reference(reader, tx) for tx in details) if r), None)
    end_to_end = _end_to_end(reader, first) if len(details) == 1 else None
    label = entry_label or (reader.text(first, "AddtlTxInf") if first is not None else "")
    yield RawLine(
        booking_date=booking,
        value_date=value_date,
        amount_cents=entry_cents,
        label=label,
        remittance=remittance,
        creditor_reference=reference,
        counterparty=parties,
        bank_id=entry_id or (reader.text(first, "Refs/AcctSvcrRef") if len(details) == 1 else "") or None,
        end_to_end_id=end_to_end,
        transaction_code=code,
        source_line=line,
    )


def _line(
    reader: _Reader,
    tx: etree._Element,
    cents: int,
    booking: date,
    value_date: date | None,
    label: str,
    bank_id: str | None,
    code: str,
    line: int,
) -> RawLine:
    return RawLine(
        booking_date=booking,
        value_date=value_date,
        amount_cents=cents,
        label=label,
        remittance=_remittance(reader, tx),
        creditor_reference=_creditor_reference(reader, tx),
        counterparty=_counterparty(reader, tx, cents),
        bank_id=bank_id,
        end_to_end_id=_end_to_end(reader, tx),
        transaction_code=_transaction_code(reader, tx) or code,
        source_line=line,
    )


def _own_reference(reader: _Reader, tx: etree._Element) -> str:
    return reader.text(tx, "Refs/AcctSvcrRef", "Refs/TxId") or (_end_to_end(reader, tx) or "")


def _end_to_end(reader: _Reader, tx: etree._Element | None) -> str | None:
    value = reader.text(tx, "Refs/EndToEndId")
    return value if value and value.upper() != _NOT_PROVIDED else None


def _remittance(reader: _Reader, tx: etree._Element) -> str:
    texts = [u.text.strip() for u in reader.findall(tx, "RmtInf/Ustrd") if u.text and u.text.strip()]
    for structured in reader.findall(tx, "RmtInf/Strd"):
        extra = reader.text(structured, "AddtlRmtInf")
        if extra:
            texts.append(extra)
    return " ".join(texts)


def _creditor_reference(reader: _Reader, tx: etree._Element) -> str | None:
    for structured in reader.findall(tx, "RmtInf/Strd"):
        reference = reader.text(structured, "CdtrRefInf/Ref")
        if reference:
            return reference
    return None


def _counterparty(reader: _Reader, tx: etree._Element, cents: int) -> str:
    """The payer of a credit, the payee of a debit (ultimate party when it differs)."""
    role, ultimate = ("Dbtr", "UltmtDbtr") if cents > 0 else ("Cdtr", "UltmtCdtr")
    names = [
        reader.text(tx, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm"),
        reader.text(tx, f"RltdPties/{ultimate}/Nm", f"RltdPties/{ultimate}/Pty/Nm"),
    ]
    return " / ".join(dict.fromkeys(n for n in names if n))


def _transaction_code(reader: _Reader, element: etree._Element) -> str:
    domain = reader.text(element, "BkTxCd/Domn/Cd")
    if domain:
        family = reader.text(element, "BkTxCd/Domn/Fmly/Cd")
        sub = reader.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd")
        return "/".join(p for p in (domain, family, sub) if p)
    return reader.text(element, "BkTxCd/Prtry/Cd")
