"""Sign-up, login and logout; a forgotten password reset by e-mail."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from domain.core import accounts, email_tokens
from domain.core.accounts import AccountError, Throttle, authenticate, security_log
from domain.core.errors import UserError
from domain.core.orm import utcnow
from domain.onboarding import sign_up
from extensions import db
from web.account_mail import compose, deliver_after, mail_limits
from web.http import client_ip, redirect_see_other, see_other
from web.sessions import log_in, log_out
from web.urls import absolute_url

bp = Blueprint("auth", __name__)

# Pages whose URL carries a secret token: no Referer to anyone, no cache, no search engine.
TOKEN_ENDPOINTS = frozenset({"auth.reset_password"})


@bp.after_request
def _token_page_headers(response):
    if request.endpoint in TOKEN_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


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
            log_in(current_app, user)  # a new stored session, fresh key (no fixation)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"), code=303)
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a company and its first user."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = sign_up(
                company_name=form.company_name.data, user_name=form.name.data,
                email=form.email.data, password=form.password.data,
            )
        except AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            log_in(current_app, user)
            db.session.commit()
            flash("Bienvenue ! Complétez les informations de votre entreprise : elles figurent sur vos devis "
                  "et factures.", "success")
            return redirect(url_for("settings.index"), code=303)
    return render_template("auth/signup.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST only, so a link or a prefetch cannot log anyone out)."""
    security_log.info("logout user=%s ip=%s", current_user.id, client_ip())
    log_out()  # the stored session ends: a copy of the cookie is worth nothing now
    db.session.commit()
    flash("Vous êtes déconnecté.", "info")
    return redirect_see_other("auth.login")


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
