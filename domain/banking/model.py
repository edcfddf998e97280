"""What every statement parser produces: `Statement`, `StatementLine`, errors, fingerprints.

Amounts are integer cents, signed from the account holder's side: a credit (money in) is
positive, a debit negative. Floats never appear: amounts are read as text and converted
exactly (`Decimal`, or `domain.billing.money.parse_amount` for French CSV amounts).

Fingerprints. The same transaction comes back in every statement that covers its day (the
artisan downloads "the last 30 days" every week), so each line gets a fingerprint that does not
depend on the file it came from:

    sha256("v1", account, booking date, amount, normalized label, discriminator, occurrence)

- account: the IBAN, or the national account number, when the file carries one;
- normalized label: label and remittance text folded (no accents, lower case) with runs of
  spaces collapsed, so a re-wrapped label still matches;
- discriminator: the bank's own transaction id when the format has one (OFX FITID, CAMT
  AcctSvcrRef, a CSV "Transaction ID"), otherwise the running balance after the line when the
  file prints one (it differs between two identical payments of the same day), otherwise
  nothing;
- occurrence: the rank of the line among the lines of the file with the same values above
  (0 for the first). Two genuinely different transfers of 50,00 € from the same client on the
  same day with the same label get 0 and 1; the rank is never needed when the bank gives ids
  or balances, but it also guarantees that no two lines of one file share a fingerprint.

The rank is stable across overlapping statements because identical lines are
interchangeable: whatever their order in each file, a file holding both transfers of the day
gives fingerprints #0 and #1 every time. A statement exported in the middle of a day may hold
only the first; the next one holds both, and exactly one of them (#1) is new, which is true.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import iban as stdnum_iban

from domain.billing.money import MoneyError, format_amount_input, parse_amount
from domain.core.text import fold

__all__ = [
    "ACCEPTED_FORMATS_FR",
    "FORMAT_CAMT053",
    "FORMAT_CFONB120",
    "FORMAT_CSV",
    "FORMAT_OFX",
    "RawLine",
    "Statement",
    "StatementError",
    "StatementLine",
    "build_statement",
    "compact_iban",
    "decimal_to_cents",
    "decode_text",
    "euros",
    "french_amount_to_cents",
    "normalize_label",
    "one_line",
    "unknown_format",
]

FORMAT_OFX = "ofx"
FORMAT_CAMT053 = "camt053"
FORMAT_CFONB120 = "cfonb120"
FORMAT_CSV = "csv"

ACCEPTED_FORMATS_FR = (
    "OFX ou QFX, CAMT.053 (XML ISO 20022), CFONB 120 (relevé 120 caractères) "
    "et CSV des banques françaises"
)


def unknown_format(detail: str = "") -> StatementError:
    """The error for a file in no format we read, listing the ones we do."""
    detail = f"{detail} " if detail else ""
    return StatementError(
        f"Ce fichier n'est pas un relevé bancaire lisible. {detail}"
        f"Formats acceptés : {ACCEPTED_FORMATS_FR}. Téléchargez le relevé sous l'un de ces formats "
        "depuis l'espace en ligne de votre banque."
    )


# A month of an artisan's account is a few hundred lines; a year of a busy company's account
# exported as CSV is under 2 MB. Beyond this, the file is not a statement (or is a mistake).
MAX_FILE_BYTES = 20 * 1024 * 1024


class StatementError(ValueError):
    """A statement file that cannot be imported; str(error) is a French sentence for the user.

    The whole file is refused (the caller rolls back): importing the readable part of a file
    would leave a hole that nobody sees until the balance disagrees with the bank's.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        if line is not None:
            message = f"Ligne {line} : {message}"
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked transaction of a statement."""

    booking_date: date
    value_date: date | None
    amount_cents: int  # credit > 0, debit < 0
    label: str  # the bank's text for the line, on one line
    remittance: str  # the payer's free text (SEPA "Ustrd", CFONB LCC…), "" when none
    creditor_reference: str | None  # structured reference (CAMT Strd/CdtrRefInf/Ref, CFONB LCS)
    counterparty: str  # payer of a credit, payee of a debit, "" when the file does not say
    bank_id: str | None  # the bank's id of the transaction (FITID, AcctSvcrRef…)
    end_to_end_id: str | None  # SEPA end-to-end id chosen by the payer
    running_balance_cents: int | None  # balance after this line, when the file prints it
    transaction_code: str  # bank's kind of operation (OFX TRNTYPE, CAMT BkTxCd, CFONB code)
    source_line: int  # line of the file where the transaction starts, for messages
    fingerprint: str  # see the module docstring

    @property
    def is_credit(self) -> bool:
        """Money in."""
        return self.amount_cents > 0

    @property
    def text(self) -> str:
        """Everything a person or the matcher can read about the line, on one line."""
        return " ".join(p for p in (self.label, self.remittance, self.creditor_reference or "") if p)


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement file, normalized: one account, its balances when given, its lines."""

    format: str  # FORMAT_OFX, FORMAT_CAMT053, FORMAT_CFONB120, FORMAT_CSV
    source: str  # what was recognised: "OFX 1.02", "CAMT.053.001.02", "Crédit Agricole"…
    iban: str | None  # compact, when the file carries it
    account_number: str | None  # national number (RIB: bank, branch, account) when no IBAN
    currency: str
    opening_balance_cents: int | None
    opening_date: date | None
    closing_balance_cents: int | None
    closing_date: date | None
    lines: tuple[StatementLine, ...] = field(default=())

    @property
    def credits(self) -> tuple[StatementLine, ...]:
        """The lines that bring money in: the ones matched against invoices."""
        return tuple(line for line in self.lines if line.amount_cents > 0)


@dataclass(slots=True)
class RawLine:
    """A line as a parser reads it, before its fingerprint is known."""

    booking_date: date
    amount_cents: int
    label: str
    source_line: int
    value_date: date | None = None
    remittance: str = ""
    creditor_reference: str | None = None
    counterparty: str = ""
    bank_id: str | None = None
    end_to_end_id: str | None = None
    running_balance_cents: int | None = None
    transaction_code: str = ""


_SPACES_RE = re.compile(r"\s+")


def one_line(text: str | None) -> str:
    """Collapse runs of spaces and line breaks (multi-line CSV labels, padded fields)."""
    return _SPACES_RE.sub(" ", text or "").strip()


def normalize_label(text: str) -> str:
    """The label as the fingerprint sees it: folded, spaces collapsed."""
    return one_line(fold(text))


def _fingerprint(parts: Iterable[str]) -> str:
    # The parts are joined with the unit separator, which cannot be inside a part: labels
    # went through one_line, and Python counts U+001F as a space, so it became " ". No two
    # different part lists hash the same text.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def build_statement(
    *,
    format: str,
    source: str,
    iban: str | None,
    account_number: str | None,
    currency: str,
    raw_lines: Iterable[RawLine],
    opening_balance_cents: int | None = None,
    opening_date: date | None = None,
    closing_balance_cents: int | None = None,
    closing_date: date | None = None,
) -> Statement:
    """Give each raw line its fingerprint and freeze the statement."""
    account = iban or account_number or ""
    seen: dict[tuple[str, ...], int] = {}
    lines = []
    for raw in raw_lines:
        label = one_line(raw.label)
        remittance = one_line(raw.remittance)
        bank_id = one_line(raw.bank_id) or None
        if bank_id:
            discriminator = f"id:{bank_id}"
        elif raw.running_balance_cents is not None:
            discriminator = f"balance:{raw.running_balance_cents}"
        else:
            discriminator = ""
        key = (
            "v1",
            account,
            raw.booking_date.isoformat(),
            str(raw.amount_cents),
            normalize_label(f"{label} {remittance}"),
            discriminator,
        )
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        lines.append(
            StatementLine(
                booking_date=raw.booking_date,
                value_date=raw.value_date,
                amount_cents=raw.amount_cents,
                label=label,
                remittance=remittance,
                creditor_reference=(raw.creditor_reference or "").strip() or None,
                counterparty=one_line(raw.counterparty),
                bank_id=bank_id,
                end_to_end_id=(raw.end_to_end_id or "").strip() or None,
                running_balance_cents=raw.running_balance_cents,
                transaction_code=raw.transaction_code.strip(),
                source_line=raw.source_line,
                fingerprint=_fingerprint((*key, str(occurrence))),
            )
        )
    return Statement(
        format=format,
        source=source,
        iban=iban,
        account_number=account_number,
        currency=currency,
        opening_balance_cents=opening_balance_cents,
        opening_date=opening_date,
        closing_balance_cents=closing_balance_cents,
        closing_date=closing_date,
        lines=tuple(lines),
    )


# --------------------------------------------------------------------------------------------
# Reading text and amounts
# --------------------------------------------------------------------------------------------


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a downloaded file: UTF-8 (with or without BOM) if it is, else the declared
    charset, else Windows-1252 (Latin-1 for the few bytes cp1252 leaves undefined).

    Valid UTF-8 first because a Latin-1 text with accents is almost never valid UTF-8, while
    banks do send UTF-8 files that declare "1252" or nothing.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in (declared, "cp1252"):
        if not encoding:
            continue
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1"), "latin-1"


_MACHINE_AMOUNT_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?|[+-]?[.,][0-9]+")


def euros(cents: int) -> str:
    """An amount for a message: -123456 → "-1234,56 €" (display formatting lives in output)."""
    return f"{format_amount_input(cents)}\u00a0€"


def compact_iban(text: str | None) -> str | None:
    """The compact IBAN if `text` is a valid one (spaces allowed), else None."""
    compact = "".join((text or "").split()).upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not stdnum_iban.is_valid(compact):
        return None
    return compact


def decimal_to_cents(text: str | None, *, line: int | None = None) -> int:
    """An amount written by a machine ("1234.56", "-8,00", "+12") into cents, exactly."""
    raw = (text or "").strip()
    if not _MACHINE_AMOUNT_RE.fullmatch(raw):
        raise StatementError(f"le montant « {raw} » n'est pas lisible.", line=line)
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex already refused it
        raise StatementError(f"le montant « {raw} » n'est pas lisible.", line=line) from None
    cents = value * 100
    if cents != cents.to_integral_value():
        raise StatementError(
            f"le montant « {raw} » a plus de deux décimales.", line=line
        )
    return int(cents)


def french_amount_to_cents(text: str, *, decimal: str = ",", line: int | None = None) -> int:
    """An amount as French banks print it in CSV ("1 234,56", "-12,50", "+41,17 €") in cents.

    With `decimal=","` a point is a thousands separator only when a comma follows
    ("1.234,56"); with `decimal="."` commas are thousands separators ("1,234.56").
    """
    raw = (text or "").strip()
    cleaned = raw
    if decimal == ",":
        if "," in cleaned and "." in cleaned:
            cleaned = cleaned.replace(".", "")
    elif decimal == ".":
        cleaned = cleaned.replace(",", "")
    else:
        raise ValueError(f"decimal separator must be ',' or '.', not {decimal!r}")
    try:
        return parse_amount(cleaned, allow_negative=True)
    except MoneyError:
        raise StatementError(f"le montant « {raw} » n'est pas lisible.", line=line) from None
