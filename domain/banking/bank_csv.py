"""CSV statements as French banks export them, recognised by their column titles.

Every bank has its own CSV: semicolons (commas at Qonto), French decimals ("1 234,56", with a
space or a no-break space between thousands), one signed amount column or separate debit and
credit columns, dates dd/mm/yyyy (dd/mm/yy at Caisse d'Épargne, ISO at BoursoBank and Qonto),
Windows-1252 or UTF-8 with or without a BOM, a few lines about the account before the column
titles (account number, balance, period) and sometimes summary lines after the operations.

A file is recognised by its header row (`LAYOUTS`: each bank's documented column titles, with
where they come from). Titles are compared folded (no accents, no case, punctuation as spaces),
so "Libellé", "LIBELLE" and a Latin-1 file read as such all match. A file whose titles are not
recognised gives a `NeedsMapping` listing its columns; the page then asks which column holds
what, and the `CsvMapping` it builds is remembered for that bank account.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime

from domain.core.text import fold

from .model import (
    FORMAT_CSV,
    RawLine,
    Statement,
    StatementError,
    build_statement,
    compact_iban,
    decode_text,
    french_amount_to_cents,
    one_line,
    unknown_format,
)

__all__ = ["LAYOUTS", "BankLayout", "CsvMapping", "NeedsMapping", "parse_csv"]

Column = str | int

# Rows looked at to find the column titles: the longest preamble seen (Crédit Agricole, about
# ten lines, more with several cards) fits well within it.
_HEADER_SEARCH_ROWS = 60
_DELIMITERS = (";", ",", "\t")
_SUMMARY_WORDS = ("solde", "total", "sous-total", "sous total")


def _title(text: str) -> str:
    """A column title as compared: "Montant(EUROS)" → "montant euros"."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


@dataclass(frozen=True)
class BankLayout:
    """A bank's CSV export, as its column titles identify it.

    Each column is given as the folded titles it may have (first found wins); `label` lists
    columns in order of preference (the first non-empty one is the label), `remittance`
    columns are appended to the remittance text.
    """

    bank: str
    header: str  # the documented header row, as the bank writes it
    source: str  # where that header is documented
    signature: tuple[tuple[str, ...], ...]  # every entry must be present (one of its titles)
    date: tuple[str, ...]
    label: tuple[tuple[str, ...], ...]
    amount: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    value_date: tuple[str, ...] = ()
    remittance: tuple[tuple[str, ...], ...] = ()
    counterparty: tuple[str, ...] = ()
    bank_id: tuple[str, ...] = ()
    running_balance: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    skipped_statuses: frozenset[str] = frozenset()
    decimal: str = ","


# Sources are open-source importers and help pages that hard-code each bank's real export;
# the test files in tests/data/bank are built from these header rows.
LAYOUTS: tuple[BankLayout, ...] = (
    BankLayout(
        bank="Crédit Agricole",
        header="Date;Libellé;Débit euros;Crédit euros;",
        source="https://github.com/jbleduigou/budgetcategorizer/blob/HEAD/parser/parser_test.go",
        # About ten lines about the account above the titles; labels span several lines
        # inside quotes; both amount columns are positive.
        signature=(("date",), ("libelle",), ("debit euros",), ("credit euros",)),
        date=("date",),
        label=(("libelle",),),
        debit=("debit euros",),
        credit=("credit euros",),
    ),
    BankLayout(
        bank="BNP Paribas",
        header="Date operation;Libelle court;Type operation;Libelle operation;Montant operation en euro",
        source="https://github.com/BrunBrun24/InsightBank/blob/HEAD/src/accounts/bank/importers/data_extractor.py",
        # One line about the account (type, number, balance) above the titles.
        signature=(("date operation",), ("libelle operation",), ("montant operation en euro", "montant operation")),
        date=("date operation",),
        label=(("libelle operation",), ("libelle court",)),
        amount=("montant operation en euro", "montant operation"),
    ),
    BankLayout(
        bank="Société Générale",
        header="Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise",
        source="https://github.com/AiroPi/moneymanager/blob/HEAD/readers/societe_generale.py",
        # One line about the account (="number";from;to;…) above the titles, Windows-1252.
        signature=(("date de l operation",), ("detail de l ecriture",), ("montant de l operation",)),
        date=("date de l operation",),
        label=(("detail de l ecriture",), ("libelle",)),
        amount=("montant de l operation",),
        currency=("devise",),
    ),
    BankLayout(
        bank="Société Générale (ancien export)",
        header="date_comptabilisation;libellé_complet_operation;montant_operation;devise;",
        source="https://enodev.fr/posts/fin-du-qif-a-la-societe-generale.html",
        signature=(("date comptabilisation",), ("libelle complet operation",), ("montant operation",)),
        date=("date comptabilisation",),
        label=(("libelle complet operation",),),
        amount=("montant operation",),
        currency=("devise",),
    ),
    BankLayout(
        bank="La Banque Postale",
        header="Date;Libellé;Montant(EUROS)",
        source="https://doc4-fr.openflyers.com/Mod%C3%A8le-d'import-de-relev%C3%A9-bancaire-CSV-Banque-Postale-avec-point-virgule",
        # Five or six lines (account number, type, currency, date, balance) above the titles;
        # older files add a Montant(FRANCS) column.
        signature=(("date",), ("libelle",), ("montant euros",)),
        date=("date",),
        label=(("libelle",),),
        amount=("montant euros",),
    ),
    BankLayout(
        bank="Crédit Mutuel / CIC",
        header="Date;Date de valeur;Débit;Crédit;Libellé;Solde",
        source="https://github.com/afup/web/blob/HEAD/sources/AppBundle/Compta/Importer/CreditMutuel.php",
        # The debit is written negative; "Solde" is the balance after each line.
        signature=(("date", "date d operation", "date operation"), ("date de valeur",), ("debit",), ("credit",),
                   ("libelle",), ("solde",)),
        date=("date", "date d operation", "date operation"),
        value_date=("date de valeur",),
        label=(("libelle",),),
        debit=("debit",),
        credit=("credit",),
        running_balance=("solde",),
    ),
    BankLayout(
        bank="Crédit Mutuel / CIC (montant unique)",
        header="Date d'opération,Date de valeur,Montant,Libellé,Solde",
        source="https://doc4-fr-mirror.openflyers.com/index.php?title=Mod%C3%A8le-d%27import-de-relev%C3%A9-bancaire-CSV-CIC-avec-virgule",
        # CIC's comma-separated variant uses a decimal point ("1584.00").
        signature=(("date", "date d operation", "date operation"), ("date de valeur",), ("montant",),
                   ("libelle",), ("solde",)),
        date=("date", "date d operation", "date operation"),
        value_date=("date de valeur",),
        label=(("libelle",),),
        amount=("montant",),
        running_balance=("solde",),
    ),
    BankLayout(
        bank="Caisse d'Épargne / Banque Populaire",
        header=(
            "Date de comptabilisation;Libelle simplifie;Libelle operation;Reference;"
            "Informations complementaires;Type operation;Categorie;Sous categorie;Debit;Credit;"
            "Date operation;Date de valeur;Pointage operation"
        ),
        source="https://github.com/NonoHM/budgetpilot/blob/HEAD/src/lib/server/import/profiles/banque-populaire.ts",
        # Debit written "-46,80", credit "+41,17", the other column "0" or empty; dd/mm/yy
        # in some exports.
        signature=(("date de comptabilisation",), ("libelle operation",), ("debit",), ("credit",)),
        date=("date de comptabilisation",),
        value_date=("date de valeur",),
        label=(("libelle operation",), ("libelle simplifie",)),
        remittance=(("informations complementaires",), ("reference",)),
        debit=("debit",),
        credit=("credit",),
    ),
    BankLayout(
        bank="BoursoBank",
        header="dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;accountNum;accountLabel;accountbalance",
        source="https://github.com/azerpas/bourso-api/blob/HEAD/src/bourso_api/src/client/transaction.rs",
        # ISO dates, "1 718,70". The last column is a balance we do not rely on as a running
        # balance (its meaning is not documented), so lines are told apart by occurrence.
        signature=(("dateop",), ("label",), ("amount",)),
        date=("dateop",),
        value_date=("dateval",),
        label=(("label",),),
        remittance=(("comment",),),
        amount=("amount",),
    ),
    BankLayout(
        bank="Qonto",
        header=(
            "Status,Settlement date (UTC),Operation date (UTC),Total amount (incl. VAT),Currency,"
            "Counterparty name,Payment method,Transaction ID,IBAN,Reference,Category,Note"
        ),
        source="https://github.com/enobase/demo-coda-export/blob/HEAD/src/parsers/qonto.ts",
        # Comma separated, decimal point, signed amounts, "YYYY-MM-DD HH:MM:SS" dates; pending
        # and declined operations are listed too.
        signature=(("settlement date utc", "operation date utc"), ("total amount incl vat",)),
        date=("settlement date utc", "operation date utc"),
        value_date=("operation date utc",),
        label=(("counterparty name",), ("reference",)),
        remittance=(("reference",), ("note",)),
        counterparty=("counterparty name",),
        amount=("total amount incl vat",),
        bank_id=("transaction id",),
        currency=("currency",),
        status=("status",),
        skipped_statuses=frozenset({"pending", "declined", "reversed", "canceled", "cancelled"}),
        decimal=".",
    ),
    BankLayout(
        bank="Shine",
        header=(
            "Transaction ID;Date de la valeur;Date d'opération;IBAN;Type de transaction;"
            "Transaction personnelle;Category;Débit;Crédit;Solde mouvement;Solde bancaire;Libellé;"
            "Nom de la contrepartie;Montant HT;Montant de TVA total;Pièces;Date d'ajout pièces;Commentaire"
        ),
        source="https://github.com/rodulfo-dmgz/RD-Recueil/blob/HEAD/app/js/engine/import-shine.js",
        signature=(("transaction id",), ("date d operation",), ("debit",), ("credit",), ("nom de la contrepartie",)),
        date=("date d operation",),
        value_date=("date de la valeur",),
        label=(("libelle",), ("nom de la contrepartie",)),
        remittance=(("commentaire",),),
        counterparty=("nom de la contrepartie",),
        debit=("debit",),
        credit=("credit",),
        bank_id=("transaction id",),
    ),
)


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what, for a CSV layout Encaisse does not know (kept per account).

    Columns are given by title (as in the file) or by position (0 for the first column).
    `skip_rows` is the number of lines before the column titles (or before the first
    operation when `has_header` is False). `date_format` is a strptime format such as
    "%d/%m/%Y"; without it dd/mm/yyyy, dd/mm/yy and yyyy-mm-dd are recognised.
    """

    date_col: Column
    label_col: Column
    amount_col: Column | None = None
    debit_col: Column | None = None
    credit_col: Column | None = None
    decimal: str = ","
    date_format: str | None = None
    skip_rows: int = 0
    has_header: bool = True
    value_date_col: Column | None = None

    def __post_init__(self) -> None:
        if self.amount_col is None and (self.debit_col is None or self.credit_col is None):
            raise StatementError("Indiquez la colonne du montant, ou les deux colonnes débit et crédit.")
        if self.amount_col is not None and (self.debit_col is not None or self.credit_col is not None):
            raise StatementError(
                "Indiquez soit une colonne de montant, soit les colonnes débit et crédit, pas les deux.")
        if self.decimal not in (",", "."):
            raise StatementError("Le séparateur décimal doit être la virgule ou le point.")
        if self.skip_rows < 0:
            raise StatementError("Le nombre de lignes à ignorer ne peut pas être négatif.")
        columns = (self.date_col, self.label_col, self.amount_col, self.debit_col, self.credit_col, self.value_date_col)
        if not self.has_header and any(isinstance(c, str) for c in columns):
            raise StatementError("Sans ligne de titres, désignez les colonnes par leur position.")


@dataclass(frozen=True)
class NeedsMapping:
    """A CSV file whose columns Encaisse does not recognise: what the mapping form shows."""

    columns: tuple[str, ...]  # titles as in the file, or "Colonne 1"… when it has none
    header_line: int | None  # line of the titles, None when the file has none
    delimiter: str
    encoding: str
    sample_rows: tuple[tuple[str, ...], ...]  # the first operations, to help choose

    @property
    def message(self) -> str:
        """A French sentence for the page."""
        listed = ", ".join(f"« {c} »" for c in self.columns)
        return (
            f"Les colonnes de ce fichier CSV ne sont pas reconnues ({listed}). "
            "Indiquez la colonne de la date, du libellé et du montant (ou du débit et du crédit) : "
            "ce choix sera retenu pour ce compte."
        )


# --------------------------------------------------------------------------------------------
# Reading rows
# --------------------------------------------------------------------------------------------

Row = tuple[int, list[str]]  # (line where the record starts, cells)


def _rows(text: str, delimiter: str) -> list[Row]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter, quotechar='"')
    rows: list[Row] = []
    previous = 0
    try:
        for cells in reader:
            rows.append((previous + 1, cells))
            previous = reader.line_num
    except csv.Error:
        raise StatementError(
            "un guillemet ouvert n'est jamais refermé ou une cellule est illisible.", line=previous + 1
        ) from None
    return rows


def _layout_for(cells: list[str]) -> BankLayout | None:
    titles = {_title(c) for c in cells if c.strip()}
    for layout in LAYOUTS:
        if all(any(name in titles for name in entry) for entry in layout.signature):
            return layout
    return None


def _delimiter(text: str) -> str:
    """The separator: the one under which a known header appears, else the most regular."""
    head = "\n".join(text.replace("\r\n", "\n").split("\n")[:_HEADER_SEARCH_ROWS])
    scores = {}
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(head.split("\n"), delimiter=delimiter))
        except csv.Error:
            continue
        if any(_layout_for(cells) for cells in rows):
            return delimiter
        counts: dict[int, int] = {}
        for cells in rows:
            if len(cells) >= 2:
                counts[len(cells)] = counts.get(len(cells), 0) + 1
        scores[delimiter] = max(counts.values(), default=0)
    return max(_DELIMITERS, key=lambda d: (scores.get(d, 0), d == ";"))


_DMY_RE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})(?:[ T][0-9:.]+)?")
_YMD_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T][0-9:.]+(?:Z|[+-][0-9:]+)?)?")
_COMPACT_YMD_RE = re.compile(r"((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})")  # 20260305


def _parse_date(text: str, date_format: str | None) -> date | None:
    text = text.strip()
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    try:
        match = _DMY_RE.fullmatch(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        match = _YMD_RE.fullmatch(text) or _COMPACT_YMD_RE.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def _looks_like_date(text: str) -> bool:
    return _parse_date(text, None) is not None


# --------------------------------------------------------------------------------------------
# Preamble: account and balance printed above the column titles
# --------------------------------------------------------------------------------------------

_ACCOUNT_TOKEN_RE = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{11,23}(?![0-9A-Z])")
_IBAN_RE = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:\s?[A-Z0-9]){11,30}")
_BALANCE_AT_RE = re.compile(
    r"solde au\s*:?\s*([0-9]{2}/[0-9]{2}/[0-9]{2,4})\s*:?\s*([+-]?\s?[0-9][0-9 \u00a0\u202f]*(?:[.,][0-9]{1,2})?)"
)


@dataclass
class _Preamble:
    iban: str | None = None
    account_number: str | None = None
    closing_cents: int | None = None
    closing_date: date | None = None


def _iban_in(upper: str) -> str | None:
    """The first valid IBAN written in the text (a following word glued to it is cut off)."""
    for match in _IBAN_RE.finditer(upper):
        compact = match.group(0).replace(" ", "")
        for end in range(len(compact), 14, -1):
            iban = compact_iban(compact[:end])
            if iban:
                return iban
    return None


def _account_number_in(upper: str) -> str | None:
    """A national account number: a run of 11 to 23 letters and digits, at least 8 of them digits."""
    return next((t for t in _ACCOUNT_TOKEN_RE.findall(upper) if sum(c.isdigit() for c in t) >= 8), None)


def _closing_balance(rows: list[Row], text: str) -> tuple[int | None, date | None]:
    """(balance, date) printed above the operations, when the bank prints one."""
    # "Solde au 07/05/2026 917,01 €" (Crédit Agricole)
    balance = _BALANCE_AT_RE.search(fold(text))
    if balance:
        try:
            return french_amount_to_cents(balance.group(2).replace(" ", "")), _parse_date(balance.group(1), None)
        except StatementError:
            return None, None
    # "Date ;12/07/2026" and "Solde (EUROS) ;+1234,56" (La Banque Postale)
    values = {_title(cells[0]): cells[1].strip() for _line, cells in rows if len(cells) >= 2 and cells[0].strip()}
    if "solde euros" in values and _looks_like_date(values.get("date", "")):
        try:
            return french_amount_to_cents(values["solde euros"]), _parse_date(values["date"], None)
        except StatementError:
            return None, None
    return None, None


def _preamble(rows: list[Row]) -> _Preamble:
    text = " ; ".join(" ".join(cells) for _line, cells in rows)
    upper = fold(text).upper()
    iban = _iban_in(upper)
    closing_cents, closing_date = _closing_balance(rows, text)
    return _Preamble(iban=iban, account_number=None if iban else _account_number_in(upper),
                     closing_cents=closing_cents, closing_date=closing_date)


# --------------------------------------------------------------------------------------------
# Columns and lines
# --------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    """Positions of the columns a statement needs (None when absent)."""

    date: int
    label: tuple[int, ...]
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    value_date: int | None = None
    remittance: tuple[int, ...] = ()
    counterparty: int | None = None
    bank_id: int | None = None
    running_balance: int | None = None
    currency: int | None = None
    status: int | None = None


def _index(titles: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in titles:
            return titles.index(name)
    return None


def _layout_columns(layout: BankLayout, header: list[str]) -> _Columns:
    titles = [_title(c) for c in header]
    labels = tuple(i for i in (_index(titles, names) for names in layout.label) if i is not None)
    date_index = _index(titles, layout.date)
    assert date_index is not None  # part of the signature
    return _Columns(
        date=date_index,
        label=labels,
        amount=_index(titles, layout.amount),
        debit=_index(titles, layout.debit),
        credit=_index(titles, layout.credit),
        value_date=_index(titles, layout.value_date),
        remittance=tuple(i for i in (_index(titles, names) for names in layout.remittance) if i is not None),
        counterparty=_index(titles, layout.counterparty),
        bank_id=_index(titles, layout.bank_id),
        running_balance=_index(titles, layout.running_balance),
        currency=_index(titles, layout.currency),
        status=_index(titles, layout.status),
    )


def _mapping_column(column: Column | None, header: list[str] | None, what: str) -> int | None:
    if column is None:
        return None
    if isinstance(column, int):
        if column < 0:
            raise StatementError(f"La position de la colonne {what} ne peut pas être négative.")
        return column
    titles = [_title(c) for c in header or []]
    wanted = _title(column)
    if wanted not in titles:
        listed = ", ".join(f"« {c.strip()} »" for c in header or [] if c.strip())
        raise StatementError(f"La colonne « {column} » ({what}) n'existe pas dans ce fichier (colonnes : {listed}).")
    return titles.index(wanted)


def _mapping_columns(mapping: CsvMapping, header: list[str] | None) -> _Columns:
    date_index = _mapping_column(mapping.date_col, header, "date")
    label_index = _mapping_column(mapping.label_col, header, "libellé")
    assert date_index is not None and label_index is not None
    return _Columns(
        date=date_index,
        label=(label_index,),
        amount=_mapping_column(mapping.amount_col, header, "montant"),
        debit=_mapping_column(mapping.debit_col, header, "débit"),
        credit=_mapping_column(mapping.credit_col, header, "crédit"),
        value_date=_mapping_column(mapping.value_date_col, header, "date de valeur"),
    )


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _is_summary(cells: list[str]) -> bool:
    text = fold(" ".join(cells))
    return any(word in text for word in _SUMMARY_WORDS)


def _amount(cells: list[str], columns: _Columns, decimal: str, line: int) -> int:
    if columns.amount is not None:
        text = _cell(cells, columns.amount)
        if not text:
            raise StatementError("le montant est vide.", line=line)
        return french_amount_to_cents(text, decimal=decimal, line=line)
    debit_text, credit_text = _cell(cells, columns.debit), _cell(cells, columns.credit)
    debit = french_amount_to_cents(debit_text, decimal=decimal, line=line) if debit_text else 0
    credit = french_amount_to_cents(credit_text, decimal=decimal, line=line) if credit_text else 0
    if debit and credit:
        raise StatementError(
            f"la ligne a à la fois un débit (« {debit_text} ») et un crédit (« {credit_text} »).", line=line
        )
    if not debit_text and not credit_text:
        raise StatementError("la ligne n'a ni débit ni crédit.", line=line)
    # Some banks write the debit negative ("-46,80"), others positive: it is a debit either way.
    return -abs(debit) if debit else credit


def _lines(
    data_rows: list[Row],
    columns: _Columns,
    *,
    decimal: str,
    date_format: str | None,
    skipped_statuses: frozenset[str] = frozenset(),
) -> tuple[list[RawLine], str]:
    def wanted(cells: list[str]) -> bool:
        return any(c.strip() for c in cells) and fold(_cell(cells, columns.status)) not in skipped_statuses

    # Lines after the last dated operation are summaries ("Solde au…", "Total", "Fin de liste").
    dates = [_parse_date(_cell(cells, columns.date), date_format) if wanted(cells) else None for _l, cells in data_rows]
    last_dated = max((i for i, d in enumerate(dates) if d is not None), default=-1)
    raw_lines: list[RawLine] = []
    currency = ""
    for position, (line, cells) in enumerate(data_rows):
        if not wanted(cells):
            continue  # blank, or pending/declined: not on the account (a booked one comes later)
        booking = dates[position]
        if booking is None:
            date_text = _cell(cells, columns.date)
            trailer = position > last_dated and not any(c.isdigit() for c in date_text)
            if trailer or _is_summary(cells):
                continue  # a total or a balance, under or between the operations
            if not date_text:
                raise StatementError("la date de l'opération est vide.", line=line)
            raise StatementError(f"la date « {date_text} » n'est pas lisible.", line=line)
        value_text = _cell(cells, columns.value_date)
        value_date = _parse_date(value_text, date_format) if value_text else None
        if value_text and value_date is None:
            raise StatementError(f"la date de valeur « {value_text} » n'est pas lisible.", line=line)
        label = next((t for t in (one_line(_cell(cells, i)) for i in columns.label) if t), "")
        remittance = " ".join(
            t for t in (one_line(_cell(cells, i)) for i in columns.remittance) if t and t != label
        )
        balance_text = _cell(cells, columns.running_balance)
        currency = currency or _cell(cells, columns.currency).upper()
        raw_lines.append(
            RawLine(
                booking_date=booking,
                value_date=value_date,
                amount_cents=_amount(cells, columns, decimal, line),
                label=label,
                remittance=remittance,
                counterparty=_cell(cells, columns.counterparty),
                bank_id=_cell(cells, columns.bank_id) or None,
                running_balance_cents=(
                    french_amount_to_cents(balance_text, decimal=decimal, line=line) if balance_text else None
                ),
                source_line=line,
            )
        )
    return raw_lines, currency


def _needs_mapping(rows: list[Row], delimiter: str, encoding: str) -> NeedsMapping:
    """Describe an unknown layout: the likely title row and the first operations."""
    for position, (line, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        filled = [c for c in cells if c.strip()]
        if len(filled) < 2 or any(_looks_like_date(c) for c in filled):
            continue
        following = [cells2 for _l, cells2 in rows[position + 1 :] if any(c.strip() for c in cells2)]
        if following and any(_looks_like_date(c) for c in following[0]):
            columns = tuple(c.strip() or f"Colonne {i + 1}" for i, c in enumerate(cells))
            sample = tuple(tuple(c.strip() for c in row) for row in following[:3])
            return NeedsMapping(columns, line, delimiter, encoding, sample)
    data = [cells for _l, cells in rows if any(_looks_like_date(c) for c in cells)]
    if not data:
        raise unknown_format("Ce texte ne contient aucune opération datée.")
    width = max(len(cells) for cells in data[:10])
    return NeedsMapping(
        tuple(f"Colonne {i + 1}" for i in range(width)),
        None,
        delimiter,
        encoding,
        tuple(tuple(c.strip() for c in row) for row in data[:3]),
    )


def parse_csv(data: bytes, mapping: CsvMapping | None = None) -> Statement | NeedsMapping:
    """Read a bank's CSV export; a layout it does not know gives a NeedsMapping."""
    text, encoding = decode_text(data)
    delimiter = _delimiter(text)
    rows = _rows(text, delimiter)

    if mapping is not None:
        start = next((i for i, (line, _cells) in enumerate(rows) if line > mapping.skip_rows), len(rows))
        header = rows[start][1] if mapping.has_header and start < len(rows) else None
        body = rows[start + 1 :] if mapping.has_header else rows[start:]
        columns = _mapping_columns(mapping, header)
        raw_lines, currency = _lines(body, columns, decimal=mapping.decimal, date_format=mapping.date_format)
        preamble = _preamble(rows[:start])
        source = "CSV (colonnes choisies)"
    else:
        found = next(
            ((i, layout) for i, (_line, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS])
             if (layout := _layout_for(cells))),
            None,
        )
        if found is None:
            return _needs_mapping(rows, delimiter, encoding)
        start, layout = found
        columns = _layout_columns(layout, rows[start][1])
        raw_lines, currency = _lines(
            rows[start + 1 :],
            columns,
            decimal=layout.decimal,
            date_format=None,
            skipped_statuses=layout.skipped_statuses,
        )
        preamble = _preamble(rows[:start])
        source = layout.bank

    if not raw_lines:
        raise StatementError("Ce fichier CSV ne contient aucune opération.")
    return build_statement(
        format=FORMAT_CSV,
        source=source,
        iban=preamble.iban,
        account_number=preamble.account_number,
        currency=currency or "EUR",
        raw_lines=raw_lines,
        closing_balance_cents=preamble.closing_cents,
        closing_date=preamble.closing_date,
    )
