"""Catalogue line form."""

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from domain.billing.catalog import ITEM_KINDS, ItemInput
from domain.billing.money import MoneyError, parse_amount
from web.editor import UNITS, VAT_CHOICES
from web.forms import FrenchForm, choices


class CatalogItemForm(FrenchForm):
    kind = RadioField("Type", choices=choices(ITEM_KINDS), default="prestation")
    label = StringField("Désignation", validators=[DataRequired(message="Saisissez la désignation."), Length(max=300)])
    description = TextAreaField("Description (facultatif)", validators=[Length(max=2000)])
    unit = SelectField("Unité", choices=choices((u, u) for u in UNITS), default="u")
    unit_price = StringField("Prix unitaire HT",
                             validators=[DataRequired(message="Saisissez le prix unitaire HT, par exemple 52,00.")])
    vat_rate = SelectField("TVA", choices=choices(VAT_CHOICES), default="2000")

    def validate_unit_price(self, field):
        try:
            self.unit_price_cents = parse_amount(field.data or "")
        except MoneyError as exc:
            raise ValidationError(str(exc)) from None

    def item_input(self) -> ItemInput:
        """The typed line, ready for domain.catalog."""
        return ItemInput(label=self.label.data or "", kind=self.kind.data, description=self.description.data or "",
                         unit=self.unit.data, unit_price_cents=self.unit_price_cents,
                         vat_rate_bp=int(self.vat_rate.data))
