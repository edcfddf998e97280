"""The client's forms on the document page: bon pour accord, refusal, promise to pay."""

from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from web.forms import FrenchForm

NAME_MESSAGE = "Indiquez votre prénom et votre nom."


class AcceptForm(FrenchForm):
    """"Bon pour accord": a typed full name and a checkbox."""

    full_name = StringField("Vos prénom et nom",
                            validators=[DataRequired(NAME_MESSAGE), Length(min=2, max=120, message=NAME_MESSAGE)])
    agree = BooleanField("Bon pour accord : j'accepte ce devis, ses prix et ses conditions.",
                         validators=[DataRequired("Cochez la case pour donner votre accord.")])


class RefuseForm(FrenchForm):
    """A refusal, with an optional reason."""

    reason = TextAreaField("Motif (facultatif)",
                           validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")],
                           description="Par exemple : prix trop élevé, travaux reportés, autre entreprise retenue.")


class PromiseForm(FrenchForm):
    """"Je valide, je vais payer le …"."""

    full_name = StringField("Vos prénom et nom",
                            validators=[DataRequired(NAME_MESSAGE), Length(min=2, max=120, message=NAME_MESSAGE)])
    pay_on = DateField("Je vais payer le", format=["%Y-%m-%d", "%d/%m/%Y"],
                       validators=[InputRequired("Choisissez la date à laquelle vous pensez payer.")],
                       invalid_value_message="Saisissez une date valide, par exemple 23/11/2026.")
