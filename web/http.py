"""HTTP plumbing: a page or its htmx fragment from one URL, redirects after a POST, the client IP."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for

from output.mail import Mailer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_fragment_request() -> bool:
    """True when htmx asks for a fragment (not a boosted navigation nor a history restore)."""
    h = request.headers
    return h.get("HX-Request") == "true" and not h.get("HX-Boosted") and not h.get("HX-History-Restore-Request")


def render_page(page: str, fragment: str, **context):
    """Render the whole page, or only its fragment for an htmx request (same URL)."""
    return render_template(fragment if is_fragment_request() else page, **context)


def redirect_see_other(endpoint: str, **values):
    """303 after a POST; htmx gets HX-Redirect so the whole page changes."""
    return see_other(url_for(endpoint, **values))


def client_ip() -> str:
    """Client IP (ProxyFix rewrites remote_addr when the app sits behind a proxy)."""
    return request.remote_addr or "?"


def see_other(url: str):
    """303 to a URL after a POST; htmx gets HX-Redirect so the whole page changes."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def mailer() -> Mailer:
    """The application's mailer (built from its MAIL_* settings in create_app)."""
    return current_app.extensions["encaisse.mailer"]
