"""Importing a statement file: all of it or nothing, each operation once, matched at once.

One transaction (the caller's): the file is read whole first (`statements.parse_statement`);
any unreadable line refuses the file with a French sentence naming the line, before anything
is written. Then the file must be the company's account (`statements.check_account`: the IBAN,
or the account number inside it), in euros, with amounts Encaisse can store.

Never twice. Each operation carries a fingerprint that does not depend on the file it came in
(see `model.py`); the lines are inserted with ON CONFLICT DO NOTHING against the unique
(company, account, fingerprint) constraint, so the same statement imported again, or one that
overlaps an earlier one, adds only the operations not seen yet, even when two imports run at
the same time. The statement row keeps the counts, for the summary "12 opérations nouvelles,
30 déjà importées".

Then every credit still waiting (the new ones and those of earlier imports) is matched against
the invoices as they stand (`reconciliation.match_waiting`); the proposals wait for the user to
confirm them (the exact ones all at once if they like): nothing becomes a payment by itself.

A CSV layout Encaisse does not recognise comes back as `NeedsMapping` (nothing written): the
page asks which column holds what, and the columns chosen are remembered for the account and
used for its next files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from domain.banking import reconciliation
from domain.banking.model import Statement, StatementLine, compact_iban, euros
from domain.banking.models import DEBIT, UNMATCHED, BankAccount, BankLine, BankStatement
from domain.banking.statements import CsvMapping, NeedsMapping, StatementError, check_account, parse_statement
from domain.billing.money import MAX_AMOUNT_CENTS
from domain.core.errors import UserError
from domain.core.orm import utcnow
from extensions import db

__all__ = ["BankImportError", "ImportResult", "bank_account", "import_statement", "mapping_from_dict"]



class BankImportError(UserError):
    """A statement refused as a whole; the French message goes next to the file field."""

    def __init__(self, message: str, field: str | None = "file") -> None:
        super().__init__(message, field)


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or that the columns of a CSV must be chosen first."""

    statement: BankStatement | None
    needs_mapping: NeedsMapping | None = None
    mapping_error: str = ""  # the remembered columns did not fit this file
    waiting: int = 0  # credits to reconcile, all imports together
    exact: int = 0  # of which the proposal names the invoices exactly (RF reference, number)

    @property
    def message(self) -> str:
        """The French summary: "12 opérations nouvelles, 30 déjà importées · …"."""
        if self.statement is None:
            return ""
        new, old = self.statement.new_count, self.statement.duplicate_count
        parts = [f"{new} opération{_s(new)} nouvelle{_s(new)}, {old} déjà importée{_s(old)}"]
        if self.waiting:
            waiting = f"{self.waiting} virement{_s(self.waiting)} à rapprocher"
            if self.exact:
                waiting += f", dont {self.exact} avec la référence exacte d'une facture"
            parts.append(waiting)
        return " · ".join(parts) + "."


def _s(count: int) -> str:
    return "s" if count > 1 else ""


# --------------------------------------------------------------------------------------------
# The account
# --------------------------------------------------------------------------------------------


def bank_account(company) -> BankAccount:
    """The company's account (its IBAN in the settings), created on first use."""
    iban = compact_iban(company.iban)
    if iban is None:
        raise BankImportError("Renseignez d'abord l'IBAN de l'entreprise dans les réglages : un relevé n'est "
                              "importé que pour ce compte.")
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two first imports at once agree on one row (unique company + IBAN).
    db.session.execute(insert(BankAccount).values(company_id=company.id, iban=iban, created_at=utcnow())
                       .on_conflict_do_nothing())
    return db.session.scalars(
        select(BankAccount).where(BankAccount.company_id == company.id, BankAccount.iban == iban)).one()


_MAPPING_FIELDS = {f.name for f in dataclasses.fields(CsvMapping)}


def mapping_from_dict(data: dict | None) -> CsvMapping | None:
    """The remembered CSV columns of an account (None if none, or if no longer valid)."""
    if not data:
        return None
    try:
        return CsvMapping(**{k: v for k, v in data.items() if k in _MAPPING_FIELDS})
    except (TypeError, StatementError):
        return None


# --------------------------------------------------------------------------------------------
# Reading and checking the file
# --------------------------------------------------------------------------------------------


def _refused(exc: StatementError) -> BankImportError:
    message = str(exc)
    if exc.line is not None:
        message += (" Rien n'a été importé : corrigez cette ligne, ou téléchargez le relevé à nouveau depuis "
                    "l'espace en ligne de votre banque.")
    return BankImportError(message)


def _read(account: BankAccount, data: bytes, filename: str, mapping: CsvMapping | None
          ) -> Statement | ImportResult:
    try:
        parsed = parse_statement(data, filename, mapping=mapping)
    except StatementError as exc:
        raise _refused(exc) from None
    if isinstance(parsed, NeedsMapping):
        unmapped = parsed
        remembered = mapping_from_dict(account.csv_mapping)
        if remembered is None:
            return ImportResult(None, needs_mapping=unmapped)
        try:
            parsed = parse_statement(data, filename, mapping=remembered)
        except StatementError as exc:
            return ImportResult(None, needs_mapping=unmapped, mapping_error=str(exc))
        if isinstance(parsed, NeedsMapping):  # pragma: no cover - a mapping always gives a statement
            return ImportResult(None, needs_mapping=parsed)
    elif mapping is not None:
        account.csv_mapping = dataclasses.asdict(mapping)  # remembered for this account's next files
    return parsed


def _check(statement: Statement, company) -> None:
    try:
        check_account(statement, company.iban)
    except StatementError as exc:
        raise BankImportError(f"{exc} Rien n'a été importé.") from None
    if statement.currency and statement.currency.upper() != "EUR":
        raise BankImportError(f"Ce relevé est tenu en {statement.currency} : seuls les comptes en euros sont pris "
                              "en charge. Rien n'a été importé.")
    if not statement.lines:
        raise BankImportError("Ce relevé ne contient aucune opération : rien à importer.")
    for line in statement.lines:
        if abs(line.amount_cents) > MAX_AMOUNT_CENTS:
            raise BankImportError(f"Ligne {line.source_line} : le montant {euros(line.amount_cents)} dépasse ce "
                                  "qu'Encaisse enregistre. Rien n'a été importé.")


def _text(value: str | None, limit: int | None = None) -> str:
    # PostgreSQL text cannot hold U+0000; a column's length is a hard limit there.
    cleaned = (value or "").replace("\x00", "")
    return cleaned[:limit] if limit else cleaned


def _row(line: StatementLine, company_id: int, account_id: int, statement_id: int) -> dict:
    return {
        "company_id": company_id, "account_id": account_id, "statement_id": statement_id,
        "fingerprint": line.fingerprint, "booking_date": line.booking_date, "value_date": line.value_date,
        "amount_cents": line.amount_cents, "label": _text(line.label, 2000), "remittance": _text(line.remittance, 2000),
        "creditor_reference": _text(line.creditor_reference, 35) or None,
        "counterparty": _text(line.counterparty, 140), "bank_id": _text(line.bank_id, 100) or None,
        "end_to_end_id": _text(line.end_to_end_id, 100) or None,
        "transaction_code": _text(line.transaction_code, 40), "source_line": line.source_line,
        "state": UNMATCHED if line.amount_cents > 0 else DEBIT,
        "match_kind": "", "match_score": 0, "match_reason": "", "match_allocations": [], "over_balance_cents": 0,
        "partial": False, "matched_how": "", "excess_cents": 0,
    }


def _insert_new(rows: list[dict]) -> int:
    """Insert the lines not stored yet; returns how many were new.

    One statement compiled once and run for every row (SQLAlchemy batches the parameters into
    multi-row INSERTs); the conflicting rows are skipped by the database and not returned.
    """
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(BankLine).on_conflict_do_nothing(index_elements=["company_id", "account_id", "fingerprint"])
                 .returning(BankLine.id))
    return len(db.session.execute(statement, rows).all()) if rows else 0


# --------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------


def import_statement(company, actor, data: bytes, filename: str, *, mapping: CsvMapping | None = None,
                     now: datetime | None = None) -> ImportResult:
    """Import a statement file for the company's account (see the module docstring).

    Raises BankImportError (nothing written: the caller rolls back) for a file that cannot be
    imported; returns an ImportResult with `needs_mapping` for a CSV whose columns must be chosen.
    """
    now = now or utcnow()
    account = bank_account(company)
    read = _read(account, data, filename, mapping)
    if isinstance(read, ImportResult):
        return read
    _check(read, company)
    days = [line.booking_date for line in read.lines]
    statement = BankStatement(
        company_id=company.id, account_id=account.id, filename=_text(filename, 200), format=read.format,
        source=_text(read.source, 80), sha256=hashlib.sha256(data).hexdigest(),
        period_start=min(days), period_end=max(days),  # the days its operations cover
        line_count=len(read.lines), imported_at=now, imported_by_id=getattr(actor, "id", None),
    )
    db.session.add(statement)
    db.session.flush()
    statement.new_count = _insert_new([_row(line, company.id, account.id, statement.id) for line in read.lines])
    statement.exact_count = reconciliation.match_waiting(company.id)
    db.session.flush()
    return ImportResult(statement, waiting=reconciliation.summary(company.id).waiting_count,
                        exact=statement.exact_count)
