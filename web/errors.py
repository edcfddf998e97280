"""French error pages for every status the app answers with."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from domain.core.accounts import security_log
from extensions import db
from output.pdf import PdfRenderError
from web.http import client_ip
from web.limits import TooManyRenders


def error_page(title: str, message: str, status: int):
    """The generic French error page."""
    return render_template("errors/error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(404)
    def _not_found(_e):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def _not_allowed(_e):
        return error_page("Action impossible", "Cette action n'est pas possible à cette adresse.", 405)

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        security_log.warning("csrf refused path=%s ip=%s reason=%s", request.path, client_ip(), e.description)
        return error_page("Formulaire expiré", "Le formulaire a expiré ou n'a pas été envoyé depuis Encaisse. "
                          "Rechargez la page et recommencez : rien n'a été enregistré.", 400)

    @app.errorhandler(413)
    def _too_large(_e):
        return error_page("Fichier trop volumineux",
                          "L'envoi dépasse la taille autorisée. Choisissez un fichier plus petit.", 413)

    @app.errorhandler(PdfRenderError)
    def _pdf_unavailable(e):
        # Over a bound (pages, lines, time: the user's document, a 422) or a real failure
        # (it has a cause, already logged by the renderer: a 500). The message is French.
        return error_page("PDF indisponible", str(e), 500 if e.__cause__ is not None else 422)

    @app.errorhandler(TooManyRenders)
    def _too_many_renders(e):
        body, status = error_page("Un instant", "Plusieurs PDF de votre entreprise sont déjà en préparation : "
                                  "réessayez dans quelques secondes.", 429)
        return body, status, {"Retry-After": str(e.retry_after)}

    @app.errorhandler(500)
    def _server_error(_e):
        db.session.rollback()
        return error_page("Erreur inattendue", "Une erreur inattendue s'est produite. Rien n'a été enregistré ; "
                          "réessayez dans un instant.", 500)
