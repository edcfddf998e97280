"""Invoice forms: standalone invoice and drafts (lines parsed by documents_web), payment,
payment cancellation, credit note."""

from dataclasses import replace

from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from domain.billing.models import PAYMENT_METHOD_LABELS
from domain.billing.money import MoneyError, parse_amount
from web.forms import DocumentForm, FrenchDateField, FrenchForm, IntegerField, choices


class InvoiceForm(DocumentForm):
    service_date = FrenchDateField("Date de la prestation", description="Laissez vide : date d'émission.")
    payment_terms_days = IntegerField(
        "Délai de paiement (jours)",
        validators=[Optional(), NumberRange(min=0, max=365, message="Entre 0 et 365 jours.")],
        description="Laissez vide : délai du client, sinon celui de vos réglages.")
    requested_due_date = FrenchDateField("Échéance (facultatif)",
                                         description="Laissez vide : calculée à l'émission à partir du délai.")

    def draft_input(self, lines, **fixed):
        """The typed invoice, ready for domain.documents (fixed: client/regime of a derived invoice)."""
        data = self.common_input(lines, service_date=self.service_date.data,
                                 payment_terms_days=self.payment_terms_days.data,
                                 requested_due_date=self.requested_due_date.data)
        return replace(data, **fixed) if fixed else data


class TokenForm(FrenchForm):
    """A one-button action carrying a form token (double tap acts once)."""

    token = HiddenField()


class PaymentForm(FrenchForm):
    """Money received: amount (prefilled with what is left), date, method, reference."""

    token = HiddenField()
    amount = StringField("Montant reçu", validators=[Length(max=30)])
    paid_on = FrenchDateField("Date du paiement", validators=[DataRequired(message="Indiquez la date du paiement.")])
    method = RadioField("Mode de paiement",
                        choices=choices((m.value, label) for m, label in PAYMENT_METHOD_LABELS.items()),
                        validate_choice=False)
    reference = StringField("Référence (n° de chèque, libellé du virement…)", validators=[Length(max=120)])

    def validate_amount(self, field):
        try:
            self.amount_cents = parse_amount(field.data or "", allow_zero=False)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from None

    def validate_method(self, field):
        if field.data not in {m.value for m in PAYMENT_METHOD_LABELS}:
            raise ValidationError("Choisissez un mode de paiement.")


class CancelPaymentForm(FrenchForm):
    reason = StringField("Motif de l'annulation", validators=[
        DataRequired(message="Indiquez le motif de l'annulation (chèque impayé, erreur de saisie…)."),
        Length(max=2000)])


class CreditNoteForm(FrenchForm):
    """A credit note on an issued invoice: the whole remaining amount, or typed lines."""

    token = HiddenField()
    reason = TextAreaField("Motif de l'avoir", validators=[Length(max=2000)],
                           description="Imprimé sur l'avoir, par exemple « Geste commercial » "
                                       "ou « Erreur de quantité ».")
