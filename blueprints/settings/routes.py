"""Company settings (legal identity for documents, bank details), users; my account (password,
devices). Who may open which page is decided once for all routes in web/roles.py: the company's
settings and users are for owners; "Mon compte" is everyone's."""

from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, render_template, url_for
from flask_login import current_user, login_required, login_user

from blueprints.settings.forms import CompanyForm, NewUserForm, PasswordForm, RoleForm
from domain.core import accounts, roles, sessions
from domain.core import company as company_rules
from domain.core.errors import UserError
from domain.core.models import User, UserSession
from domain.core.orm import utcnow
from domain.core.validators import InvalidValue
from extensions import db
from web.account_mail import send_account_mail
from web.http import redirect_see_other
from web.once import Done, finish
from web.saving import saved
from web.sessions import current_session_id, lifetimes, log_out
from web.tenancy import get_owned_or_404

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
            rate = Decimal(company.late_penalty_rate_bp).scaleb(-2).normalize()
            form.late_penalty_rate.data = str(rate).replace(".", ",")
    return form


def _actor() -> User:
    return current_user._get_current_object()


def _render(form=None, user_form=None, status=200):
    company = current_user.company
    return render_template(
        "settings/page.html",
        form=form or _company_form(company),
        user_form=user_form or NewUserForm(formdata=None),
        role_form=RoleForm,
        role_labels=roles.ROLE_SHORT,
        company=company,
        bank_history=company_rules.bank_history(company),
        missing=company_rules.missing_for_documents(company),
    ), status


@bp.get("/")
def index():
    """The settings page."""
    return _render()


@bp.post("/")
def save():
    """Save the company's settings; nothing is saved if one field is wrong.

    New bank details need the owner's password; once saved, every owner is told by e-mail."""
    company = current_user.company
    form = _company_form(company)
    if form.validate_on_submit():
        logo = _uploaded_logo(form)
        if not form.logo.errors:
            try:
                change = company_rules.update_settings(company, actor=_actor(), password=form.confirm_password.data,
                                                       **form.company_fields())
            except UserError as exc:
                db.session.rollback()
                getattr(form, exc.field or "confirm_password").errors.append(str(exc))
            else:
                if logo:
                    company_rules.set_logo(company, *logo)
                elif form.remove_logo.data:
                    company_rules.set_logo(company, None)
                db.session.commit()
                if change is not None:
                    _tell_owners(company, change)
                flash("Réglages enregistrés.", "success")
                return redirect_see_other("settings.index")
    flash("Certains champs sont à corriger : rien n'a été enregistré.", "error")
    return _render(form=form)


def _uploaded_logo(form) -> tuple[bytes, str] | None:
    upload = form.logo.data
    if not (upload and getattr(upload, "filename", "")):
        return None
    try:
        return company_rules.clean_logo(upload.read(), current_app.config["LOGO_MAX_BYTES"])
    except InvalidValue as exc:
        form.logo.errors = [str(exc)]
        return None


def _tell_owners(company, change: company_rules.SensitiveChange) -> None:
    """Every owner hears of new bank details (after the commit: no transaction waits on SMTP)."""
    send_account_mail("bank_details_changed", accounts.owner_addresses(company.id),
                      f"Coordonnées bancaires modifiées – {company.name}",
                      company=company, actor=_actor(), change=change)


@bp.get("/logo")
def logo():
    """The company logo, for the settings preview."""
    company = current_user.company
    if not company.logo:
        abort(404)
    return Response(company.logo, mimetype=company.logo_mime, headers={"Cache-Control": "private, max-age=60"})


@bp.post("/users")
def add_user():
    """Add a user to the company (e.g. the person who does the paperwork), with a role."""
    form = NewUserForm()
    if form.validate_on_submit() and saved(form, "email", accounts.AccountError, accounts.add_user, _actor(),
                                           name=form.name.data, email=form.email.data, password=form.password.data,
                                           role=form.role.data or roles.STAFF):
        flash(f"{form.name.data} peut maintenant se connecter avec {form.email.data}.", "success")
        return redirect_see_other("settings.index")
    return _render(user_form=form)


def _user_action(user_id: int, act, message: str):
    """Change a colleague (role, access): one domain call, then back to the users list."""
    target = get_owned_or_404(User, user_id)
    try:
        act(target)
    except UserError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect_see_other("settings.index", _anchor="users")
    return finish(Done(url_for("settings.index", _anchor="users"), message.format(name=target.name)))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    """Give a colleague another role."""
    role = RoleForm().role.data or ""
    return _user_action(user_id, lambda target: accounts.set_role(_actor(), target, role),
                        "Le rôle de {name} est modifié.")


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    """Remove a colleague's access: they are logged out everywhere at once."""
    return _user_action(user_id, lambda target: accounts.deactivate_user(_actor(), target),
                        "{name} n'a plus accès à Encaisse ; ses sessions sont terminées.")


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    """Give a colleague their access back."""
    return _user_action(user_id, lambda target: accounts.reactivate_user(_actor(), target),
                        "{name} a de nouveau accès à Encaisse.")


# --- my account ----------------------------------------------------------------------------


def _render_account(password_form=None):
    devices = sessions.visible_to(_actor(), now=utcnow(), lifetimes=lifetimes(current_app))
    return render_template(
        "settings/account.html",
        password_form=password_form or PasswordForm(formdata=None),
        devices=devices,
        current_session_id=current_session_id(),
        device_label=sessions.device_label,
    )


@bp.get("/account")
def account():
    """My account: my password and the devices connected to the company."""
    return _render_account()


@bp.post("/password")
def change_password():
    """Change my password; my other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = _actor()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data,
                                     keep_session=current_session_id())
        except (accounts.AccountError, InvalidValue) as exc:
            db.session.rollback()
            form.current_password.errors.append(str(exc))
        else:
            login_user(user)  # keep this session, on the new version
            db.session.commit()
            flash("Mot de passe modifié. Vos autres sessions ont été déconnectées.", "success")
            return redirect_see_other("settings.account")
    return _render_account(password_form=form)


@bp.post("/sessions/<int:session_id>/end")
def end_session(session_id: int):
    """Disconnect one device (mine, or for an owner, anyone's in the company)."""
    actor = _actor()
    record = get_owned_or_404(UserSession, session_id)
    if not sessions.can_end(actor, record):
        abort(404)  # a colleague's session is not for a non-owner to see
    accounts.security_log.info("session ended session=%s user=%s by user=%s", record.id, record.user_id, actor.id)
    if record.id == current_session_id():
        log_out()
        return finish(Done(url_for("auth.login"), "Vous êtes déconnecté de cet appareil."))
    sessions.end(record.id)
    return finish(Done(url_for("settings.account"), "Appareil déconnecté."))


@bp.post("/sessions/end-others")
def end_other_sessions():
    """Disconnect every other device of mine."""
    ended = sessions.end_all(_actor(), keep=current_session_id())
    accounts.security_log.info("sessions ended user=%s count=%s (all other devices)", current_user.id, ended)
    return finish(Done(url_for("settings.account"), "Vos autres appareils sont déconnectés."))
