"""Réglages › Facturation électronique."""

from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from domain.einvoicing.models import FILING_CHOICES, SYNTAX_CII, SYNTAX_FACTURX
from web.forms import FrenchForm, choices

SYNTAX_CHOICES = ((SYNTAX_FACTURX, "Factur-X (PDF avec ses données XML)"), (SYNTAX_CII, "XML CII seul"))


class PlatformForm(FrenchForm):
    flow_base_url = StringField("Adresse du service des flux", validators=[
        DataRequired(message="Indiquez l'adresse du service des flux."), Length(max=300)],
        description="Fournie par votre plateforme agréée, se termine souvent par /flow-service.")
    directory_base_url = StringField("Adresse du service annuaire", validators=[
        DataRequired(message="Indiquez l'adresse du service annuaire."), Length(max=300)])
    token_url = StringField("Adresse du jeton (OAuth2)", validators=[
        DataRequired(message="Indiquez l'adresse du jeton."), Length(max=300)])
    client_id = StringField("Identifiant client", validators=[
        DataRequired(message="Indiquez l'identifiant client."), Length(max=200)])
    client_secret = PasswordField(
        "Secret client", validators=[Length(max=500)],
        description="Laissez vide pour garder le secret enregistré (il n'est jamais réaffiché).")
    webhook_secret = PasswordField("Secret de signature des notifications (webhooks)", validators=[Length(max=500)],
                                   description="Celui que la plateforme vous donne pour signer ses notifications ; "
                                               "laissez vide pour garder l'actuel.")
    send_syntax = SelectField("Format envoyé", choices=choices(SYNTAX_CHOICES), default=SYNTAX_FACTURX)
    # Where invoices go is as sensitive as where money goes (the IBAN): the password again.
    confirm_password = PasswordField("Votre mot de passe", validators=[Length(max=500)],
                                     description="Demandé à chaque modification de la plateforme.")


class FilingForm(FrenchForm):
    vat_filing = SelectField("Régime de déclaration de TVA", choices=choices(FILING_CHOICES),
                             description="Il fixe le calendrier de l'e-reporting des ventes aux particuliers.")
