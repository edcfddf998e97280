"""Sign-up, login and logout; a forgotten password reset by e-mail."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from domain.core import accounts, email_tokens, verification
from domain.core.accounts import AccountError, Throttle, authenticate, security_log
from domain.core.errors import UserError
from domain.core.orm import utcnow
from domain.onboarding import SignUp, resend_confirmation, sign_up
from extensions import db
from web.account_mail import compose, deliver, deliver_after, mail_limits
from web.http import client_ip, redirect_see_other, see_other
from web.security import secret_url_headers
from web.sessions import log_in, log_out
from web.urls import absolute_url

bp = Blueprint("auth", __name__)

# Pages whose URL carries a secret token: no Referer to anyone, no cache, no search engine.
TOKEN_ENDPOINTS = frozenset({"auth.reset_password", "auth.verify", "auth.confirm_email"})


@bp.after_request
def _token_page_headers(response):
    return secret_url_headers(response) if request.endpoint in TOKEN_ENDPOINTS else response


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: no open redirect through ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password (throttled, audited)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        cfg = current_app.config
        throttle = Throttle(max_per_email_and_ip=cfg["LOGIN_MAX_FAILURES_PER_EMAIL_AND_IP"],
                            max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"], window=cfg["LOGIN_WINDOW"],
                            max_per_email=cfg["LOGIN_MAX_FAILURES_PER_EMAIL"], email_window=cfg["LOGIN_EMAIL_WINDOW"])
        try:
            user = authenticate(
                form.email.data, form.password.data, ip=client_ip(),
                user_agent=request.headers.get("User-Agent", ""), throttle=throttle,
            )
        except AccountError as exc:
            db.session.commit()  # keep the failed attempt: it feeds the throttle
            error = str(exc)
        else:
            log_in(user)  # a new stored session, fresh key (no fixation)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"), code=303)
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a company and its first user. The answer is the same whether the address already
    has an account or not: an e-mail tells the rest (a link to confirm the new address, or to
    the existing account's owner, the ways back in)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            result = sign_up(company_name=form.company_name.data, user_name=form.name.data, email=form.email.data,
                             password=form.password.data, ip=client_ip(), limits=mail_limits(), now=utcnow())
        except UserError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            db.session.commit()
            return deliver_after(see_other(url_for("auth.signup_sent")), _signup_mail(result))
    return render_template("auth/signup.html", form=form)


def _signup_mail(result: SignUp) -> list:
    if result.user is not None:
        return _confirmation_mail(result.user, result.verify_token)
    if result.existing is not None and result.notify:
        return compose("signup_existing", [result.existing.email], "Votre compte Encaisse existe déjà",
                       user=result.existing, login_link=absolute_url("auth.login"),
                       forgot_link=absolute_url("auth.forgot_password"))
    return []


def _confirmation_mail(user, token: str) -> list:
    hours = int(mail_limits().verify_lifetime.total_seconds() // 3600)
    return compose("verify_address", [user.email], "Confirmez votre adresse e-mail – Encaisse", user=user,
                   link=absolute_url("auth.verify", token=token), hours=hours)


@bp.get("/signup/sent")
def signup_sent():
    """After a sign-up: look in your mailbox (the same page whatever happened)."""
    return render_template("auth/signup_sent.html")


@bp.get("/verify/<token>")
def verify(token: str):
    """A confirmation link opens a page with a button: opening a link changes nothing (mail
    scanners open them too)."""
    now = utcnow()
    if email_tokens.peek(token, email_tokens.VERIFY, now=now) is None:
        used_by = email_tokens.was_used(token, email_tokens.VERIFY)
        if used_by is not None and used_by.email_verified_at is not None:
            return render_template("auth/verified.html")
        return _verify_link_invalid()
    return render_template("auth/verify.html")


def _verify_link_invalid():
    return render_template("auth/link_invalid.html", message=VERIFY_LINK_INVALID, resend=VERIFY_RESEND), 404


VERIFY_LINK_INVALID = ("Ce lien de confirmation n'est plus valable (déjà utilisé, expiré ou remplacé par un plus "
                       "récent).")
VERIFY_RESEND = ("Connectez-vous : le bandeau en haut de la page permet de recevoir un nouveau lien de "
                 "confirmation.")


@bp.post("/verify/<token>")
def confirm_email(token: str):
    """Confirm the address: from now on the company's e-mails reach its clients."""
    user = verification.confirm(token, now=utcnow())
    if user is None:
        db.session.rollback()
        return _verify_link_invalid()
    db.session.commit()
    flash("Adresse e-mail confirmée : vos devis, factures et relances peuvent partir vers vos clients.", "success")
    return see_other(url_for("dashboard.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.post("/account/resend-confirmation")
@login_required
def resend_verification():
    """Send a new confirmation link to my address (from the banner shown until it is confirmed)."""
    user = current_user._get_current_object()
    token = resend_confirmation(user, limits=mail_limits(), now=utcnow())
    db.session.commit()
    if user.email_verified_at is not None:
        flash("Votre adresse e-mail est déjà confirmée.", "info")
    elif token is None:
        flash("Plusieurs e-mails sont déjà partis vers cette adresse : attendez un peu avant d'en redemander un, "
              "et regardez dans les indésirables.", "error")
    elif deliver(_confirmation_mail(user, token)):
        flash(f"Un nouveau lien de confirmation vient d'être envoyé à {user.email}.", "success")
    else:
        flash("L'e-mail n'a pas pu partir (serveur d'e-mail injoignable). Réessayez dans un instant.", "error")
    return see_other(_safe_next(request.form.get("next")) or url_for("dashboard.index"))


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST only, so a link or a prefetch cannot log anyone out)."""
    security_log.info("logout user=%s ip=%s", current_user.id, client_ip())
    log_out()  # the stored session ends: a copy of the cookie is worth nothing now
    db.session.commit()
    flash("Vous êtes déconnecté.", "info")
    response = redirect_see_other("auth.login")
    # Shared tablets: the copies kept for offline reading (service worker caches) go with the
    # session; cookies are kept, the flash above is in one.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether the address has an account or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        limits = mail_limits()
        found = accounts.request_password_reset(form.email.data, limits=limits, now=utcnow())
        db.session.commit()
        items = []
        if found is not None:
            user, token = found
            minutes = int(limits.reset_lifetime.total_seconds() // 60)
            items = compose("password_reset", [user.email], "Choisir un nouveau mot de passe – Encaisse", user=user,
                            link=absolute_url("auth.reset_password", token=token), minutes=minutes)
        flash("Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé avec un lien pour choisir "
              "un nouveau mot de passe. Pensez à regarder dans les indésirables.", "info")
        return deliver_after(see_other(url_for("auth.login")), items)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link (once, in time); every session then ends."""
    if email_tokens.peek(token, email_tokens.RESET, now=utcnow()) is None:
        return render_template("auth/link_invalid.html", message=accounts.RESET_LINK_INVALID), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, now=utcnow())
        except UserError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Votre mot de passe est changé et vos appareils sont déconnectés : connectez-vous avec le nouveau.",
                  "success")
            return see_other(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
