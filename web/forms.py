"""Form base classes and fields shared by every blueprint (French messages, dates, ids)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms import IntegerField as _IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from domain.billing import categories, terms
from domain.billing.documents import DocumentError, DraftInput, LineInput
from domain.billing.models import Document, VatRegime
from domain.core import idempotency
from domain.core.models import Client
from extensions import db
from web.tenancy import parse_id

REGIME_LABELS = {
    VatRegime.NORMAL: "TVA normale",
    VatRegime.AUTOLIQUIDATION: "Autoliquidation (sous-traitance BTP)",
    VatRegime.FRANCHISE: "Franchise en base",
}


class FrenchForm(FlaskForm):
    """FlaskForm with WTForms' built-in French messages ("Ce champ est requis.")."""

    class Meta:
        locales = ("fr_FR", "fr")


class IntegerField(_IntegerField):
    """WTForms' IntegerField, refusing a number too long to mean anything: NumberRange would
    crash on it (its math.isnan() of a 400-digit int raises OverflowError: a 500)."""

    MAX_DIGITS = 12

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > self.MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


def cleaned_by(clean, *, optional: bool = True):
    """WTForms validator running a domain `clean_*` function and keeping its normalised value."""

    def _validator(_form, field):
        raw = (field.data or "").strip() if isinstance(field.data, str) or field.data is None else field.data
        if optional and raw in ("", None):
            field.data = ""
            return
        try:
            field.data = clean(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    return _validator


def choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated in 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


DATE_MESSAGE = "Saisissez une date valide, par exemple 23/11/2026."


class FrenchDateField(DateField):
    """<input type=date> (ISO), also accepting a typed 23/11/2026, with a French error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators or [Optional()], format=["%Y-%m-%d", "%d/%m/%Y"],
                         invalid_value_message=DATE_MESSAGE, **kwargs)


class DocumentForm(FrenchForm):
    """Fields every editable document shares; lines are parsed apart (see parse_lines)."""

    version = HiddenField()
    token = HiddenField()
    client_id = SelectField("Client", validate_choice=False)
    subject = StringField("Objet", validators=[Length(max=200)],
                          description="Par exemple « Rénovation de la salle de bain ».")
    site_name = StringField("Chantier", validators=[Length(max=200)])
    site_address = TextAreaField("Adresse du chantier", validators=[Length(max=1000)])
    vat_regime = RadioField("TVA", validate_choice=False, default=VatRegime.NORMAL)
    # A mention from 2027 (décret 2022-1299); "" lets domain.billing.categories decide from the lines.
    operation_category = RadioField(
        "Catégorie de l'opération", validate_choice=False, default="",
        choices=choices([("", "D'après les lignes"), *categories.LABELS.items()]),
        description="Imprimée sur la facture. « D'après les lignes » : prestation de services, sauf lignes du "
                    "catalogue de type fourniture (ou vendues au poids ou au volume).")
    notes = TextAreaField("Notes (imprimées sur le document)", validators=[Length(max=5000)])

    def setup(self, company, doc: Document | None) -> DocumentForm:
        """Fill the choices: the company's active clients (plus the document's own)."""
        rows = db.session.execute(
            db.select(Client.id, Client.name).where(
                Client.company_id == company.id,
                (Client.archived_at.is_(None)) | (Client.id == (doc.client_id if doc else -1)))
            .order_by(db.func.lower(Client.name))
        ).all()
        self.client_id.choices = choices([("", "Choisissez un client…"), *((str(i), n) for i, n in rows)])
        if company.is_vat_franchise:
            self.vat_regime.choices = choices([(VatRegime.FRANCHISE, REGIME_LABELS[VatRegime.FRANCHISE])])
        else:
            self.vat_regime.choices = choices([(r, REGIME_LABELS[r])
                                               for r in (VatRegime.NORMAL, VatRegime.AUTOLIQUIDATION)])
        if not self.is_submitted():
            if doc is not None:
                self.client_id.data = str(doc.client_id)
                self.version.data = str(doc.version)
                self.operation_category.data = doc.operation_category or ""
            if doc is None or company.is_vat_franchise:
                self.vat_regime.data = VatRegime.FRANCHISE if company.is_vat_franchise else VatRegime.NORMAL
            self.token.data = idempotency.new_token()
        return self

    def client_value(self) -> int:
        """The chosen client id (0 when none: the domain answers "Choisissez un client.")."""
        try:
            return parse_id(self.client_id.data) or 0
        except (TypeError, ValueError):
            return 0

    def version_value(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def common_input(self, lines: list[LineInput], **extra) -> DraftInput:
        """The typed content, ready for the domain."""
        return DraftInput(
            client_id=self.client_value(), lines=lines, subject=self.subject.data or "",
            site_name=self.site_name.data or "", site_address=self.site_address.data or "",
            notes=self.notes.data or "", vat_regime=self.vat_regime.data or VatRegime.NORMAL,
            operation_category=self.operation_category.data or None, **extra,
        )

    def show_domain_error(self, exc: DocumentError) -> str | None:
        """Put a domain error next to its field; return it when it belongs to no field."""
        target = getattr(self, exc.field, None) if exc.field and exc.field != "lines" else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, str(exc)]
            return None
        return str(exc)


def check_due_date_input(due: date | None, client: Client | None, today: date) -> str | None:
    """French error for a requested due date that the issue (today) would refuse."""
    if due is None:
        return None
    try:
        terms.check_due_date(today, due, professional=bool(client and client.is_business))
    except terms.LegalError as exc:
        return str(exc)
    return None
