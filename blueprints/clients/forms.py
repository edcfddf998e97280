"""Client and contact forms."""

from __future__ import annotations

from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from domain.core.models import CLIENT_KINDS, KIND_BUSINESS
from domain.core.validators import clean_email, clean_phone, clean_postal_code, clean_siren_or_siret, clean_vat_number
from web.forms import FrenchForm, IntegerField, choices, cleaned_by


class ContactForm(FrenchForm):
    name = StringField("Nom du contact", validators=[Length(max=120)])
    email = EmailField("E-mail", validators=[cleaned_by(clean_email)])
    phone = StringField("Téléphone", validators=[cleaned_by(clean_phone)])
    role = StringField("Rôle", validators=[Length(max=80)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not ((self.name.data or "").strip() or self.email.data or self.phone.data):
            self.name.errors.append("Indiquez au moins un nom, un e-mail ou un téléphone.")
            return False
        return ok


class ClientForm(FrenchForm):
    kind = RadioField("Type de client", choices=choices(CLIENT_KINDS), default="particulier",
                      validators=[DataRequired(message="Choisissez le type de client.")])
    name = StringField("Nom ou raison sociale", validators=[
        DataRequired(message="Saisissez le nom du client."), Length(max=200)])
    # One field for either number (décret 2022-1299 asks for the SIREN; a SIRET contains it).
    siren = StringField("SIREN ou SIRET", validators=[Length(max=40)],
                        description="9 chiffres (SIREN) ou 14 chiffres (SIRET) : obligatoire sur les factures "
                                    "à un professionnel.")
    vat_number = StringField("N° de TVA intracommunautaire", validators=[cleaned_by(clean_vat_number)])
    address_line1 = StringField("Adresse", validators=[Length(max=200)])
    address_line2 = StringField("Complément d'adresse", validators=[Length(max=200)])
    postal_code = StringField("Code postal", validators=[Length(max=10)])
    city = StringField("Ville", validators=[Length(max=100)])
    country = StringField("Pays", default="France", validators=[Length(max=60)])
    site_address_line1 = StringField("Adresse du chantier", validators=[Length(max=200)])
    site_postal_code = StringField("Code postal du chantier", validators=[Length(max=10)])
    site_city = StringField("Ville du chantier", validators=[Length(max=100)])
    payment_terms_days = IntegerField(
        "Délai de paiement (jours)",
        validators=[Optional(), NumberRange(min=0, max=365, message="Entre 0 et 365 jours.")],
    )
    notes = TextAreaField("Notes internes", validators=[Length(max=5000)])

    def load(self, client) -> ClientForm:
        """Show the SIRET when the client gave one (the SIREN is part of it)."""
        if not self.is_submitted() and client.siret:
            self.siren.data = client.siret
        return self

    def validate_siren(self, field):
        field.siret = ""
        value = (field.data or "").strip()
        if not value or self.kind.data != KIND_BUSINESS:
            field.data = ""
            return
        try:
            field.data, field.siret = clean_siren_or_siret(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_postal_code(self, field):
        if field.data:
            try:
                field.data = clean_postal_code(field.data, self.country.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    def validate_site_postal_code(self, field):
        if field.data:
            try:
                field.data = clean_postal_code(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    def validate_payment_terms_days(self, field):
        # Code de commerce L441-10: between businesses, 60 days from issue at most.
        if field.data is not None and self.kind.data == KIND_BUSINESS and field.data > 60:
            raise ValidationError("Entre professionnels, le délai légal est de 60 jours au plus "
                                  "(art. L441-10 du Code de commerce).")

    def client_fields(self) -> dict:
        """The cleaned values, ready for the domain."""
        fields = {name: getattr(self, name).data for name in (
            "kind", "name", "siren", "vat_number", "address_line1", "address_line2", "postal_code", "city",
            "country", "site_address_line1", "site_postal_code", "site_city", "payment_terms_days", "notes")}
        for key, value in fields.items():
            if isinstance(value, str):
                fields[key] = value.strip()
        fields["siret"] = getattr(self.siren, "siret", "")
        if fields["kind"] != KIND_BUSINESS:
            fields["siren"] = fields["siret"] = ""  # a person has no SIREN; never print a stale one
        fields["country"] = fields["country"] or "France"
        return fields


class NewClientForm(ClientForm):
    """Client creation also takes the first contact, so one screen does it all."""

    contact_name = StringField("Nom du contact", validators=[Length(max=120)])
    contact_email = EmailField("E-mail", validators=[cleaned_by(clean_email)])
    contact_phone = StringField("Téléphone", validators=[cleaned_by(clean_phone)])

    def contact_fields(self) -> dict:
        return {"name": (self.contact_name.data or "").strip(), "email": self.contact_email.data or "",
                "phone": self.contact_phone.data or ""}
