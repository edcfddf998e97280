"""Company settings (legal identity for documents), users, password."""

from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, render_template
from flask_login import current_user, login_required, login_user

from blueprints.settings.forms import CompanyForm, NewUserForm, PasswordForm
from domain.core import accounts
from domain.core import company as company_rules
from domain.core.validators import InvalidValue
from extensions import db
from web.http import redirect_see_other

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.before_request
@login_required
def _require_login():
    """Settings are for logged-in users only."""


def _company_form(company, formdata=True) -> CompanyForm:
    form = CompanyForm(obj=company) if formdata else CompanyForm(obj=company, formdata=None)
    if not form.is_submitted():
        if company.share_capital_cents is not None:
            form.share_capital.data = str(Decimal(company.share_capital_cents).scaleb(-2)).replace(".", ",")
        if company.late_penalty_rate_bp is not None:
            form.late_penalty_rate.data = str(Decimal(company.late_penalty_rate_bp).scaleb(-2).normalize()).replace(".", ",")
    return form


def _render(form=None, user_form=None, password_form=None, status=200):
    company = current_user.company
    return render_template(
        "settings/page.html",
        form=form or _company_form(company),
        user_form=user_form or NewUserForm(formdata=None),
        password_form=password_form or PasswordForm(formdata=None),
        company=company,
        missing=company_rules.missing_for_documents(company),
    ), status


@bp.get("/")
def index():
    """The settings page."""
    return _render()


@bp.post("/")
def save():
    """Save the company's settings; nothing is saved if one field is wrong."""
    company = current_user.company
    form = _company_form(company)
    logo = None
    if form.validate_on_submit():
        upload = form.logo.data
        if upload and getattr(upload, "filename", ""):
            try:
                logo = company_rules.clean_logo(upload.read(), current_app.config["LOGO_MAX_BYTES"])
            except InvalidValue as exc:
                form.logo.errors = [str(exc)]
        if not form.logo.errors:
            company_rules.update_settings(company, **form.company_fields())
            if logo:
                company_rules.set_logo(company, *logo)
            elif form.remove_logo.data:
                company_rules.set_logo(company, None)
            db.session.commit()
            flash("Réglages enregistrés.", "success")
            return redirect_see_other("settings.index")
    flash("Certains champs sont à corriger : rien n'a été enregistré.", "error")
    return _render(form=form)


@bp.get("/logo")
def logo():
    """The company logo, for the settings preview."""
    company = current_user.company
    if not company.logo:
        abort(404)
    return Response(company.logo, mimetype=company.logo_mime, headers={"Cache-Control": "private, max-age=60"})


@bp.post("/users")
def add_user():
    """Add a user to the company (e.g. the person who does the paperwork)."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            accounts.add_user(current_user.company, name=form.name.data, email=form.email.data, password=form.password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{form.name.data} peut maintenant se connecter avec {form.email.data}.", "success")
            return redirect_see_other("settings.index")
    return _render(user_form=form)


@bp.post("/password")
def change_password():
    """Change my password; other sessions are logged out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user._get_current_object(), form.current_password.data, form.new_password.data)
        except (accounts.AccountError, InvalidValue) as exc:
            db.session.rollback()
            form.current_password.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session on the new version
            flash("Mot de passe modifié. Vos autres sessions ont été déconnectées.", "success")
            return redirect_see_other("settings.index")
    return _render(password_form=form)
