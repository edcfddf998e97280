"""Security hooks for every response: CSP, headers, NUL characters, the write intent."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user

import database
from web.http import SAFE_METHODS

# No inline script anywhere (htmx is configured through a <meta> tag and app.js), so
# the policy needs neither 'unsafe-inline' nor 'unsafe-eval'.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def secret_url_headers(response):
    """A page whose URL carries a secret token (client link, password reset, address
    confirmation): no Referer to anyone, no cache, no search engine."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def offline_owner() -> str:
    """Who the copies a tablet keeps for offline reading belong to (user and company under the
    secret key: the same for the same login, another for anyone else, and says nothing)."""
    if not (current_user and current_user.is_authenticated):
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{current_user.id}:{current_user.company_id}".encode(), hashlib.sha256).hexdigest()[:20]


def init_app(app: Flask) -> None:
    """Headers on every response; NUL characters refused; the write intent of a POST."""

    @app.before_request
    def _mark_write_intent():
        if request.method not in SAFE_METHODS:
            g._write_token = database.set_write_intent(True)

    @app.before_request
    def _refuse_nul_characters():
        # No keyboard types U+0000, and PostgreSQL text cannot hold it (psycopg refuses the
        # query: a 500). Refused once here for every field and query string. (URL parts are
        # ids, keys checked against a list, or portal tokens looked up by their hash.)
        fields = [*request.args.lists(), *(request.form.lists() if request.method not in SAFE_METHODS else ())]
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
            return render_template("errors/error.html", title="Saisie invalide",
                                   message="Un caractère invisible (NUL) s'est glissé dans la saisie : il ne peut pas "
                                           "être enregistré. Retirez-le et recommencez."), 400
        return None

    @app.teardown_request
    def _clear_write_intent(_exc):
        token = g.pop("_write_token", None)
        if token is not None:
            database.reset_write_intent(token)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.vary.add("HX-Request")
        # (mimetype first: static files must not cost a user lookup)
        if response.mimetype == "text/html" and current_user and current_user.is_authenticated:
            # Shared tablets: never leave a client's data in the browser cache.
            headers.setdefault("Cache-Control", "no-store")
        return response
