"""Company settings, users and password forms."""

from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from domain.billing.money import MoneyError, parse_amount, parse_percent
from domain.core.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from domain.core.company import clean_timezone
from domain.core.models import LEGAL_FORMS, VAT_FRANCHISE, VAT_NORMAL
from domain.core.roles import ROLE_LABELS, STAFF
from domain.core.validators import (
    clean_bic,
    clean_email,
    clean_iban,
    clean_phone,
    clean_postal_code,
    clean_siret,
    clean_vat_number,
)
from web.forms import FrenchForm, IntegerField, choices, cleaned_by

TIMEZONES = ("Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
             "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti")


class CompanyForm(FrenchForm):
    name = StringField("Raison sociale (ou nom et prénom pour une EI)", validators=[
        DataRequired(message="Saisissez le nom légal de l'entreprise."), Length(max=200)])
    trade_name = StringField("Nom commercial", validators=[Length(max=200)])
    legal_form = SelectField("Forme juridique", choices=choices(LEGAL_FORMS))
    share_capital = StringField("Capital social (sociétés)", validators=[Length(max=30)])
    siret = StringField("SIRET", validators=[DataRequired(message="Le SIRET est obligatoire sur vos factures."),
                                             cleaned_by(clean_siret, optional=False)])
    rcs_rm = StringField("Immatriculation RCS ou RM", validators=[Length(max=120)],
                         description="Par exemple « RCS Lyon 123 456 789 » ou « RM 69 123 456 789 ».")
    vat_regime = RadioField("Régime de TVA", choices=choices([
        (VAT_NORMAL, "Assujetti à la TVA"),
        (VAT_FRANCHISE, "Franchise en base (TVA non applicable, art. 293 B du CGI)")]), default=VAT_NORMAL)
    vat_number = StringField("N° de TVA intracommunautaire", validators=[cleaned_by(clean_vat_number)])
    vat_on_debits = BooleanField("Option pour le paiement de la TVA d'après les débits")
    address_line1 = StringField("Adresse", validators=[DataRequired(message="Saisissez l'adresse."), Length(max=200)])
    address_line2 = StringField("Complément d'adresse", validators=[Length(max=200)])
    postal_code = StringField("Code postal", validators=[DataRequired(message="Saisissez le code postal."),
                                                         cleaned_by(clean_postal_code, optional=False)])
    city = StringField("Ville", validators=[DataRequired(message="Saisissez la ville."), Length(max=100)])
    country = StringField("Pays", default="France", validators=[Length(max=60)])
    email = EmailField("E-mail", validators=[cleaned_by(clean_email)])
    phone = StringField("Téléphone", validators=[cleaned_by(clean_phone)])
    iban = StringField("IBAN", validators=[cleaned_by(clean_iban)])
    bic = StringField("BIC", validators=[cleaned_by(clean_bic)])
    confirm_password = PasswordField("Votre mot de passe (pour changer les coordonnées bancaires)",
                                     validators=[Length(max=PASSWORD_MAX_LENGTH)],
                                     description="Demandé à chaque changement de coordonnées bancaires ; "
                                                 "chaque titulaire en est prévenu par e-mail.")
    logo = FileField("Logo (PNG ou JPEG, 512 Ko au plus)")
    remove_logo = BooleanField("Retirer le logo")
    payment_terms_days = IntegerField("Délai de paiement par défaut (jours)", default=30, validators=[
        DataRequired(message="Indiquez un délai (0 pour paiement à réception)."),
        NumberRange(min=0, max=60, message="Entre 0 et 60 jours (art. L441-10 du Code de commerce).")])
    late_penalty_rate = StringField("Taux des pénalités de retard (%)", validators=[Length(max=10)],
                                    description="Laissez vide pour le taux légal : taux BCE + 10 points.")
    early_payment_discount = StringField("Escompte pour paiement anticipé", validators=[Length(max=200)],
                                         description="Laissez vide : « Pas d'escompte pour paiement anticipé ».")
    quote_validity_days = IntegerField("Validité des devis (jours)", default=30, validators=[
        DataRequired(message="Indiquez une durée."), NumberRange(min=1, max=365, message="Entre 1 et 365 jours.")])
    insurer_name = StringField("Assureur (garantie décennale)", validators=[Length(max=200)])
    insurer_address = StringField("Adresse de l'assureur", validators=[Length(max=300)])
    insurance_policy = StringField("N° de contrat", validators=[Length(max=100)])
    insurance_coverage_area = StringField("Couverture géographique", validators=[Length(max=200)],
                                          description="Par exemple « France métropolitaine ».")
    timezone = SelectField("Fuseau horaire", choices=choices((tz, tz) for tz in TIMEZONES), default="Europe/Paris")

    def validate_timezone(self, field):
        try:
            clean_timezone(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_vat_number(self, field):
        if self.vat_regime.data == VAT_NORMAL and not field.data:
            raise ValidationError("Le numéro de TVA est obligatoire sur les factures d'un assujetti "
                                  "(sauf franchise en base).")

    def validate_share_capital(self, field):
        if field.data and field.data.strip():
            try:
                field.parsed = parse_amount(field.data)
            except MoneyError as exc:
                raise ValidationError(str(exc)) from None
        else:
            field.parsed = None

    def validate_late_penalty_rate(self, field):
        field.parsed = None
        if field.data and field.data.strip():
            try:
                field.parsed = parse_percent(field.data)
            except MoneyError as exc:
                raise ValidationError(str(exc)) from None
            if field.parsed <= 0:
                raise ValidationError("Le taux doit être positif, ou laissez le champ vide pour le taux légal.")

    def company_fields(self) -> dict:
        names = ("name", "trade_name", "legal_form", "siret", "rcs_rm", "vat_regime", "vat_number", "vat_on_debits",
                 "address_line1", "address_line2", "postal_code", "city", "country", "email", "phone", "iban", "bic",
                 "payment_terms_days", "early_payment_discount", "quote_validity_days", "insurer_name",
                 "insurer_address", "insurance_policy", "insurance_coverage_area", "timezone")
        data = {n: getattr(self, n).data for n in names}
        fields = {n: (value.strip() if isinstance(value, str) else value) for n, value in data.items()}
        fields["country"] = fields["country"] or "France"
        fields["share_capital_cents"] = self.share_capital.parsed
        fields["late_penalty_rate_bp"] = self.late_penalty_rate.parsed
        return fields


ROLE_CHOICES = choices(ROLE_LABELS.items())


class NewUserForm(FrenchForm):
    name = StringField("Nom", validators=[DataRequired(message="Saisissez le nom."), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(message="Saisissez l'e-mail."),
                                             cleaned_by(clean_email, optional=False)])
    password = PasswordField("Mot de passe provisoire", validators=[
        DataRequired(message="Choisissez un mot de passe."),
        Length(min=PASSWORD_MIN_LENGTH, max=1024,
               message=f"Le mot de passe doit comporter au moins {PASSWORD_MIN_LENGTH} caractères.")])
    role = SelectField("Rôle", choices=ROLE_CHOICES, default=STAFF,
                       validate_choice=False)  # an unknown role is refused by the domain, next to the field


class RoleForm(FrenchForm):
    role = SelectField("Rôle", choices=ROLE_CHOICES, validate_choice=False)


class PasswordForm(FrenchForm):
    current_password = PasswordField("Mot de passe actuel", validators=[
        DataRequired(message="Saisissez votre mot de passe actuel.")])
    new_password = PasswordField("Nouveau mot de passe", validators=[
        DataRequired(message="Choisissez un nouveau mot de passe."),
        Length(min=PASSWORD_MIN_LENGTH, max=1024,
               message=f"Le mot de passe doit comporter au moins {PASSWORD_MIN_LENGTH} caractères.")])
    confirm = PasswordField("Confirmez", validators=[
        EqualTo("new_password", message="Les deux mots de passe ne correspondent pas.")])
