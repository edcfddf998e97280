"""Quote forms: the quote itself (lines are parsed by documents_web), deposit, refusal."""

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from domain.billing.money import MoneyError, parse_amount, parse_percent
from web.forms import DocumentForm, FrenchDateField, FrenchForm


class QuoteForm(DocumentForm):
    validity_date = FrenchDateField("Valable jusqu'au")

    def draft_input(self, lines):
        """The typed quote, ready for domain.documents."""
        return self.common_input(lines, validity_date=self.validity_date.data)


class TokenForm(FrenchForm):
    """A one-button action carrying a form token (double tap acts once)."""

    token = HiddenField()


class DepositForm(FrenchForm):
    """A deposit invoice on an accepted quote: a percentage or a TTC amount."""

    token = HiddenField()
    percent = StringField("Pourcentage du devis", validators=[Length(max=20)])
    amount = StringField("ou montant TTC", validators=[Length(max=30)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        percent, amount = (self.percent.data or "").strip(), (self.amount.data or "").strip()
        self.percent_bp = self.amount_cents = None
        if not percent and not amount:
            self.percent.errors.append("Indiquez un pourcentage (par exemple 30) ou un montant TTC.")
            return False
        if percent and amount:
            self.amount.errors.append("Indiquez soit un pourcentage, soit un montant, pas les deux.")
            return False
        try:
            if percent:
                self.percent_bp = parse_percent(percent)
            else:
                self.amount_cents = parse_amount(amount, allow_zero=False)
        except MoneyError as exc:
            (self.percent if percent else self.amount).errors.append(str(exc))
            return False
        return ok


class RefuseForm(FrenchForm):
    reason = TextAreaField("Motif du refus (facultatif)", validators=[Length(max=2000)])


class SignForm(FrenchForm):
    """"Bon pour accord" signed on the tablet: the signer's name, the box, the drawn signature.
    The domain checks them (domain.portal.signing) and says what is missing, in French."""

    token = HiddenField()
    full_name = StringField("Prénom et nom du signataire", validators=[Length(max=120)])
    agree = BooleanField("Bon pour accord : j'accepte ce devis, ses prix et ses conditions.")
    signature = HiddenField()
