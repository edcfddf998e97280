"""Bank forms: the statement upload, the columns of an unknown CSV, confirming and splitting a credit."""

from __future__ import annotations

import base64
import binascii

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField

from domain.banking.model import StatementError
from domain.banking.statements import CsvMapping, NeedsMapping
from domain.billing.money import MoneyError, parse_amount
from domain.core import idempotency
from web.forms import FrenchForm, choices
from web.tenancy import parse_id

UPLOAD_LABEL = "Relevé bancaire (OFX, QFX, CAMT.053, CFONB 120 ou CSV)"
MAX_COLUMNS = 60


class UploadForm(FrenchForm):
    """The statement file, as downloaded from the bank's website."""

    token = HiddenField()
    file = FileField(UPLOAD_LABEL)

    def file_bytes(self) -> tuple[bytes, str] | None:
        """(bytes, file name) of the upload, or None with a French error on the field."""
        upload = self.file.data
        if upload is None or not getattr(upload, "filename", ""):
            self.file.errors = [*self.file.errors, "Choisissez le fichier du relevé téléchargé depuis votre banque."]
            return None
        data = upload.read()
        if not data:
            self.file.errors = [*self.file.errors, "Le fichier est vide."]
            return None
        return data, upload.filename

    @classmethod
    def fresh(cls) -> UploadForm:
        return cls(formdata=None, token=idempotency.new_token())


def _column_choices(columns: tuple[str, ...], *, optional: bool) -> list:
    pairs = [("", "— aucune —")] if optional else [("", "Choisissez la colonne…")]
    pairs += [(str(i), f"{i + 1}. {title}"[:80]) for i, title in enumerate(columns[:MAX_COLUMNS])]
    return choices(pairs)


class MappingForm(FrenchForm):
    """Which column of an unknown CSV holds the date, the label and the amount (or debit and credit)."""

    token = HiddenField()
    file_data = HiddenField()  # the file, base64: nothing is stored before the columns are known
    filename = HiddenField()
    skip_rows = HiddenField()
    has_header = HiddenField()
    date_col = SelectField("Date de l'opération", validate_choice=False)
    label_col = SelectField("Libellé", validate_choice=False)
    amount_col = SelectField("Montant (signé : négatif pour un débit)", validate_choice=False)
    debit_col = SelectField("Ou bien : colonne Débit", validate_choice=False)
    credit_col = SelectField("et colonne Crédit", validate_choice=False)
    decimal = RadioField("Séparateur décimal",
                         choices=choices([(",", "Virgule (1 234,56)"), (".", "Point (1,234.56)")]),
                         default=",", validate_choice=False)

    def setup(self, needs: NeedsMapping | None, columns: tuple[str, ...] | None = None) -> MappingForm:
        """Fill the column choices (and, on first display, what the file told)."""
        columns = needs.columns if needs is not None else (columns or ())
        for name in ("date_col", "label_col"):
            getattr(self, name).choices = _column_choices(columns, optional=False)
        for name in ("amount_col", "debit_col", "credit_col"):
            getattr(self, name).choices = _column_choices(columns, optional=True)
        if needs is not None and not self.is_submitted():
            self.skip_rows.data = str((needs.header_line - 1) if needs.header_line else 0)
            self.has_header.data = "1" if needs.header_line else "0"
            self.token.data = idempotency.new_token()
        return self

    def file_bytes(self) -> bytes | None:
        """The file carried by the form (None if it did not come back whole)."""
        try:
            return base64.b64decode((self.file_data.data or "").encode("ascii"), validate=True) or None
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None

    def _column(self, name: str) -> int | None:
        value = parse_id(getattr(self, name).data)
        return value if value is not None and value < MAX_COLUMNS else None

    def mapping(self) -> CsvMapping | None:
        """The columns chosen, as the CSV reader takes them; None with French errors next to the fields."""
        date_col, label_col = self._column("date_col"), self._column("label_col")
        if date_col is None:
            self.date_col.errors = ["Choisissez la colonne de la date."]
        if label_col is None:
            self.label_col.errors = ["Choisissez la colonne du libellé."]
        if date_col is None or label_col is None:
            return None
        skip = parse_id(self.skip_rows.data) or 0
        try:
            return CsvMapping(date_col=date_col, label_col=label_col, amount_col=self._column("amount_col"),
                              debit_col=self._column("debit_col"), credit_col=self._column("credit_col"),
                              decimal="." if self.decimal.data == "." else ",", skip_rows=min(skip, 1000),
                              has_header=self.has_header.data == "1")
        except StatementError as exc:  # the amount: one column, or débit and crédit
            self.amount_col.errors = [str(exc)]
            return None


def encode_file(data: bytes) -> str:
    """The file as the mapping form carries it."""
    return base64.b64encode(data).decode("ascii")


class ConfirmForm(FrenchForm):
    """One tap: the proposal as it is; the excess, if any, acknowledged."""

    token = HiddenField()
    acknowledge_excess = BooleanField("Le trop-perçu sera traité à part (remboursement ou avoir)")


class SplitForm(FrenchForm):
    """Amounts typed for a client's open invoices (fields `amount-<invoice id>`)."""

    token = HiddenField()
    client_id = HiddenField()
    acknowledge_excess = BooleanField("Le trop-perçu sera traité à part (remboursement ou avoir)")

    def client_value(self) -> int | None:
        return parse_id(self.client_id.data)

    def allocations(self, formdata, invoice_ids) -> tuple[list[tuple[int, int]], dict[int, str]]:
        """(invoice id, cents) typed for these invoices, and French errors by invoice id."""
        wanted, errors = [], {}
        for invoice_id in invoice_ids:
            raw = (formdata.get(f"amount-{invoice_id}") or "").strip()
            if not raw:
                continue
            try:
                cents = parse_amount(raw)
            except MoneyError as exc:
                errors[invoice_id] = str(exc)
                continue
            if cents:
                wanted.append((invoice_id, cents))
        return wanted, errors
