"""Login, sign-up and password reset forms."""

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from domain.core.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from domain.core.validators import clean_email
from web.forms import FrenchForm, cleaned_by


def _new_password(label: str) -> PasswordField:
    """A password being chosen: required, with the length rules of every account."""
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Choisissez un mot de passe."),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                message=f"Le mot de passe doit comporter au moins {PASSWORD_MIN_LENGTH} caractères.",
            ),
        ],
    )


def _password_confirmation() -> PasswordField:
    """The chosen password typed a second time."""
    return PasswordField(
        "Confirmez le mot de passe",
        validators=[EqualTo("password", message="Les deux mots de passe ne correspondent pas.")],
    )


class LoginForm(FrenchForm):
    email = EmailField("E-mail", validators=[DataRequired(message="Saisissez votre e-mail.")])
    password = PasswordField("Mot de passe", validators=[DataRequired(message="Saisissez votre mot de passe.")])


class SignupForm(FrenchForm):
    company_name = StringField(
        "Nom de l'entreprise",
        validators=[DataRequired(message="Saisissez le nom de votre entreprise."), Length(max=200)],
    )
    name = StringField("Votre nom", validators=[DataRequired(message="Saisissez votre nom."), Length(max=120)])
    email = EmailField(
        "E-mail", validators=[DataRequired(message="Saisissez votre e-mail."), cleaned_by(clean_email, optional=False)]
    )
    password = _new_password("Mot de passe")
    password_confirm = _password_confirmation()


class ForgotPasswordForm(FrenchForm):
    email = EmailField("E-mail", validators=[DataRequired(message="Saisissez votre e-mail."), Length(max=254)])


class ResetPasswordForm(FrenchForm):
    password = _new_password("Nouveau mot de passe")
    password_confirm = _password_confirmation()
