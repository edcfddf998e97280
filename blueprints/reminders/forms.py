"""Sending, reminders, plan, templates and rates forms."""

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from domain.billing.terms import TABLE_KINDS
from domain.collections.messages import TEMPLATE_KEYS
from web.forms import FrenchForm, IntegerField, choices


class TemplateForm(FrenchForm):
    subject = StringField("Objet", validators=[DataRequired(message="L'objet ne peut pas être vide."), Length(max=300)])
    body = TextAreaField("Message", validators=[DataRequired(message="Le message ne peut pas être vide."),
                                                Length(max=20000)])


class SettingsForm(FrenchForm):
    reminders_enabled = BooleanField("Relances automatiques activées")
    confirm_formal_notice = BooleanField("Demander ma confirmation avant d'envoyer une mise en demeure")
    formal_notice_deadline_days = IntegerField("Délai laissé par la mise en demeure (jours)", validators=[
        InputRequired(message="Indiquez un délai."), NumberRange(min=8, max=30, message="Entre 8 et 30 jours.")])
    auto_send_invoices = BooleanField("Envoyer automatiquement les factures émises")
    auto_send_hour = IntegerField("à (heure)", validators=[
        InputRequired(message="Indiquez une heure."), NumberRange(min=0, max=23, message="Entre 0 et 23 h.")])
    copy_company_on_sends = BooleanField("Me mettre en copie de chaque envoi")
    open_tracking_enabled = BooleanField("Suivre l'ouverture des e-mails (indicatif)")


class RateForm(FrenchForm):
    kind = SelectField("Taux", choices=choices((k, label) for k, (label, _) in TABLE_KINDS.items()))
    start = DateField("En vigueur à partir du",
                      validators=[InputRequired(message="Choisissez le 1er janvier ou le 1er juillet.")])
    rate = StringField("Taux (%)", validators=[DataRequired(message="Indiquez le taux, par exemple 2,15.")])
    source = StringField("Source", validators=[Length(max=300)],
                         description="Par exemple l'arrêté ou la page de la Banque de France.")


TEMPLATE_CHOICES = [(k, v) for k, v in TEMPLATE_KEYS.items() if k not in ("invoice_send", "quote_send")]

