"""CFONB 120 statements ("relevé de compte 120 caractères"), the French banks' own format.

Records of 120 characters: 01 old balance, 04 transaction, 05 complement of the transaction
above it (qualifier LIB: more label, NPY: payer's name, NBE: payee's name, LCC/LC2: the payer's
remittance text, LCS: structured creditor reference, RCN: end-to-end id…), 07 new balance.
Amounts are 14 digits whose last character carries both the last digit and the sign (the old
COBOL "overpunch": "{" and A–I are +0 to +9, "}" and J–R are −0 to −9).

python-cfonb reads each record (`cfonb.parser.common.Row`: the field layouts, the qualifier
parsers of the 05 records and the overpunch amounts). We assemble the records ourselves rather
than through `cfonb.StatementReader`, because the reader (2.13) keeps no line numbers, raises
English messages, and attaches a 05 record that comes before any 04 to the 01 header without a
word. Assembling here also lets us check each day's block: old balance + transactions = new
balance, which catches a truncated or hand-edited file.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from cfonb.parser.common import ParsingError, Row

from .model import (
    FORMAT_CFONB120,
    RawLine,
    Statement,
    StatementError,
    build_statement,
    decode_text,
    euros,
)

__all__ = ["looks_like_cfonb120", "parse_cfonb120"]

RECORD_LENGTH = 120
_CODES = ("01", "04", "05", "07")
_AMOUNT_RE = re.compile(r"[0-9]{13}[{}A-R]")
_NOT_PROVIDED = "NOTPROVIDED"
# Positions (0-based, end excluded) from the CFONB layout, to give precise messages before
# handing the record to python-cfonb.
_AMOUNT = slice(90, 104)
_DATE_01_04_07 = slice(34, 40)
_VALUE_DATE_04 = slice(42, 48)
_DECIMALS = 19


def _split_records(text: str) -> list[tuple[int, str]]:
    """(line number, record) pairs; blank lines skipped, DOS end-of-file mark dropped."""
    text = text.rstrip("\x1a\r\n")
    if "\n" not in text and len(text) > RECORD_LENGTH and len(text) % RECORD_LENGTH == 0:
        # Some banks send fixed-length records without line breaks.
        return [(n + 1, text[i : i + RECORD_LENGTH]) for n, i in enumerate(range(0, len(text), RECORD_LENGTH))]
    return [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def looks_like_cfonb120(head: bytes) -> bool:
    """True when a file starts like a CFONB 120 statement: an old-balance record (01), then
    records whose code is 01, 04, 05 or 07 (a bad record further down is the parser's to report,
    with its line number)."""
    records = _split_records(head.decode("latin-1"))
    if not records:
        return False
    first = records[0][1].rstrip()
    if not (first[:2] == "01" and first[2:7].isdigit() and 80 <= len(first) <= RECORD_LENGTH):
        return False
    return len(records) == 1 or records[1][1][:2] in _CODES


def _record(number: int, record: str) -> str:
    if len(record) > RECORD_LENGTH:
        if record[RECORD_LENGTH:].strip():
            raise StatementError(
                f"un enregistrement CFONB fait 120 caractères, celui-ci en fait {len(record)}.",
                line=number,
            )
        record = record[:RECORD_LENGTH]
    # Trailing spaces are often trimmed by the tools that copy the file.
    return record.ljust(RECORD_LENGTH)


def _check_fields(number: int, record: str) -> None:
    code = record[:2]
    if code not in _CODES:
        raise StatementError(
            f"le code d'enregistrement « {code} » est inconnu (01, 04, 05 ou 07 attendu).", line=number
        )
    if code == "05":
        return
    if record[_DECIMALS] != "2":
        raise StatementError(
            "seuls les comptes tenus dans une devise à deux décimales (l'euro) sont pris en charge.",
            line=number,
        )
    amount = record[_AMOUNT]
    if not _AMOUNT_RE.fullmatch(amount):
        raise StatementError(f"le montant « {amount.strip()} » n'est pas lisible.", line=number)
    dates = [record[_DATE_01_04_07]] + ([record[_VALUE_DATE_04]] if code == "04" else [])
    for value in dates:
        try:
            datetime.strptime(value, "%d%m%y")
        except ValueError:
            raise StatementError(f"la date « {value} » n'est pas lisible (JJMMAA attendu).", line=number) from None


def _row(number: int, record: str) -> Row:
    _check_fields(number, record)
    try:
        return Row(record)
    except (ParsingError, ValueError, KeyError):
        raise StatementError(
            f"l'enregistrement {record[:2]} ne respecte pas le format CFONB 120.", line=number
        ) from None


def _cents(amount: Decimal) -> int:
    # python-cfonb returns an exact Decimal with the record's two decimals.
    return int(amount * 100)


def _date(iso: str) -> date:
    return date.fromisoformat(iso)


class _Block:
    """One 01 … 07 block: a day (or a period) of one account."""

    def __init__(self, number: int, row: Row) -> None:
        self.start = number
        self.account = f"{row['bank_code']}{row['desk_code']}{row['account_nb']}"
        self.currency = row["currency_code"]
        self.opening = _cents(row["prev_amount"])
        self.opening_date = _date(row["prev_date"])
        self.closing: int | None = None
        self.closing_date: date | None = None
        self.lines: list[RawLine] = []
        self.names: dict[int, dict[str, str]] = {}


def _closed(block: _Block, row: Row, number: int) -> _Block:
    """The block with its 07 record: old balance + transactions must be the new balance."""
    closing = _cents(row["next_amount"])
    booked = sum(line.amount_cents for line in block.lines)
    if block.opening + booked != closing:
        raise StatementError(
            f"le solde final ({euros(closing)}) ne correspond pas au solde initial "
            f"({euros(block.opening)}) plus les opérations ({euros(booked)}). "
            "Le fichier est peut-être incomplet.",
            line=number,
        )
    block.closing = closing
    block.closing_date = _date(row["next_date"])
    return block


def _read_blocks(text: str) -> list[_Block]:
    """The 01…07 blocks of the file, each with its transactions and their complements."""
    blocks: list[_Block] = []
    block: _Block | None = None
    last: RawLine | None = None
    for number, raw_record in _split_records(text):
        record = _record(number, raw_record)
        row = _row(number, record)
        code = record[:2]
        if code == "01":
            if block is not None:
                raise StatementError(
                    "un nouveau solde initial (01) arrive avant le solde final (07) du bloc commencé "
                    f"ligne {block.start}.",
                    line=number,
                )
            block, last = _Block(number, row), None
        elif block is None:
            raise StatementError(
                f"l'enregistrement {code} arrive avant le solde initial (01) de son compte.", line=number
            )
        elif code == "04":
            last = _transaction(number, row, record)
            block.lines.append(last)
        elif code == "05":
            if last is None:
                raise StatementError("un complément (05) arrive sans opération (04) avant lui.", line=number)
            _complement(row, last, block.names.setdefault(id(last), {}))
        else:  # 07
            blocks.append(_closed(block, row, number))
            block, last = None, None
    if block is not None:
        raise StatementError(
            f"Le bloc commencé ligne {block.start} n'a pas de solde final (07) : le fichier est peut-être tronqué."
        )
    return blocks


def _with_counterparties(blocks: list[_Block]) -> list[RawLine]:
    """The transactions, each with the payer (credit) or payee (debit) its complements named."""
    raw_lines = []
    for b in blocks:
        for line in b.lines:
            names = b.names.get(id(line), {})
            if line.amount_cents > 0:
                line.counterparty = " / ".join(n for n in (names.get("payer"), names.get("ultimate_payer")) if n)
            else:
                line.counterparty = " / ".join(n for n in (names.get("payee"), names.get("ultimate_payee")) if n)
            raw_lines.append(line)
    return raw_lines


def parse_cfonb120(data: bytes) -> Statement:
    """Read a CFONB 120 statement file (one account; one or several 01…07 blocks)."""
    text, _encoding = decode_text(data, "cp1252")
    blocks = _read_blocks(text)
    if not blocks:
        raise StatementError("Ce fichier CFONB ne contient aucun relevé (enregistrement 01).")
    accounts = list(dict.fromkeys(b.account for b in blocks))
    if len(accounts) > 1:
        raise StatementError(
            f"Ce fichier contient les relevés de {len(accounts)} comptes ({', '.join(accounts)}). "
            "Téléchargez le relevé d'un seul compte à la fois."
        )
    return build_statement(
        format=FORMAT_CFONB120,
        source="CFONB 120",
        iban=None,
        account_number=accounts[0],
        currency=blocks[0].currency or "EUR",
        raw_lines=_with_counterparties(blocks),
        opening_balance_cents=blocks[0].opening,
        opening_date=blocks[0].opening_date,
        closing_balance_cents=blocks[-1].closing,
        closing_date=blocks[-1].closing_date,
    )


def _transaction(number: int, row: Row, record: str) -> RawLine:
    entry_number = row["reference"].strip()
    zone_reference = record[104:120].strip()
    return RawLine(
        booking_date=_date(row["operation_date"]),
        value_date=_date(row["value_date"]),
        amount_cents=_cents(row["amount"]),
        label=row["label"],
        remittance=zone_reference,
        # The entry number ("numéro d'écriture") is the bank's; blank or zeros when unused.
        bank_id=entry_number if entry_number.strip("0") else None,
        transaction_code=row["operation_code"],
        source_line=number,
    )


def _complement(row: Row, line: RawLine, names: dict[str, str]) -> None:
    """Fold a 05 record into the transaction above it."""
    if row.get("label"):
        line.label = f"{line.label} {row['label']}"
    for key in ("remittance_information_1", "remittance_information_2"):
        if row.get(key):
            line.remittance = f"{line.remittance} {row[key]}".strip()
    if row.get("creditor_ref_information"):
        line.creditor_reference = row["creditor_ref_information"].strip()
    e2e = (row.get("end2end_identification") or "").strip()
    if e2e and e2e.upper() != _NOT_PROVIDED:
        line.end_to_end_id = e2e
    for key, role in (
        ("debtor_name", "payer"),
        ("ultimate_debtor_name", "ultimate_payer"),
        ("creditor_name", "payee"),
        ("ultimate_creditor_name", "ultimate_payee"),
    ):
        if row.get(key):
            names[role] = row[key].strip()
