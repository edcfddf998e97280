"""Sign-up, login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.auth.forms import LoginForm, SignupForm
from domain.core.accounts import AccountError, Throttle, authenticate, security_log
from domain.onboarding import sign_up
from extensions import db
from web.http import client_ip, redirect_see_other
from web.sessions import log_in, log_out

bp = Blueprint("auth", __name__)


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
