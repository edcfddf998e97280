"""The client's side of a document (public, no login) and the artisan's link controls.

Public: the document page through its secret link (/c/<token>), its PDF, the client's
answers (accept, refuse, promise to pay: POST with CSRF, throttled per link and IP) and
the e-mail open pixel (/t/<token>.gif). A bad, expired, revoked or draft token gets one
and the same 404 page, without data. Public responses are never cached, never indexed
and never send a Referer (the token is in the URL).

Artisan (login): the lifecycle panel of a document as a fragment, and the link controls
(create, revoke, regenerate).
"""

from __future__ import annotations

import base64
import contextlib
import logging
from datetime import timedelta

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

import database
from blueprints.portal.forms import AcceptForm, PromiseForm, RefuseForm
from domain.billing import printing as document_files
from domain.billing import status
from domain.billing.models import Document
from domain.core.accounts import security_log
from domain.core.clock import today_in
from domain.core.orm import utcnow
from domain.portal import answers, tracking
from domain.portal import links as portal
from domain.portal.links import PortalError
from domain.portal.models import ClientResponse, DocumentLink
from extensions import db
from output.epc_qr import epc_payload, epc_qr_svg_data_uri
from output.mail import Outgoing
from web import urls as links
from web.http import client_ip, is_fragment_request, mailer
from web.security import secret_url_headers
from web.tenancy import get_owned_or_404
from web.urls import document_url

bp = Blueprint("portal", __name__)
log = logging.getLogger("encaisse.portal")

PUBLIC_ENDPOINTS = frozenset({"portal.page", "portal.pdf", "portal.accept", "portal.refuse", "portal.promise",
                              "portal.pixel"})
# The smallest transparent GIF (43 bytes).
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@bp.before_request
def _take_write_lock():
    """Public pages all write (view counter, pixel, answers): on SQLite take the write lock up front."""
    if request.endpoint in PUBLIC_ENDPOINTS and "_write_token" not in g:
        g._write_token = database.set_write_intent(True)


@bp.after_request
def _public_headers(response):
    """The token is in the URL: no Referer to third parties, no cache, no search engine."""
    return secret_url_headers(response) if request.endpoint in PUBLIC_ENDPOINTS else response


def _unavailable():
    """The one answer for every token that does not open a document (same status, same body)."""
    return render_template("portal/unavailable.html"), 404


@bp.errorhandler(404)
def _not_found(_e):
    if request.endpoint in PUBLIC_ENDPOINTS:
        return _unavailable()
    return render_template("errors/404.html"), 404


@bp.errorhandler(CSRFError)
def _csrf_error(e):
    security_log.warning("csrf refused path=%s ip=%s reason=%s", request.path, client_ip(), e.description)
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return render_template("errors/error.html", title="Formulaire expiré",
                               message="Le formulaire a expiré. Rechargez la page et recommencez : "
                                       "rien n'a été enregistré."), 400
    token = (request.view_args or {}).get("token", "")
    return render_template("portal/message.html", title="Formulaire expiré",
                           message="Votre réponse n'a pas pu être enregistrée : la page était ouverte depuis trop "
                                   "longtemps ou les cookies sont bloqués. Rouvrez le document et recommencez.",
                           back_url=url_for("portal.page", token=token) if token else None), 400


def _throttle() -> portal.Throttle:
    cfg = current_app.config
    return portal.Throttle(max_per_link=int(cfg.get("PORTAL_MAX_ATTEMPTS_PER_LINK", 10)),
                           max_per_ip=int(cfg.get("PORTAL_MAX_ATTEMPTS_PER_IP", 30)),
                           window=timedelta(minutes=int(cfg.get("PORTAL_WINDOW_MINUTES", 15))))


def _today(doc: Document):
    return today_in(doc.company.timezone)


def _is_own_artisan(doc: Document) -> bool:
    """The artisan previewing their own client's page (not counted as a client view)."""
    return bool(current_user and current_user.is_authenticated and current_user.company_id == doc.company_id)


def _qr_data_uri(doc: Document, amount_cents: int, iban: str, bic: str, name: str) -> str | None:
    if not iban or amount_cents <= 0:
        return None
    # The invoice's RF reference (structured remittance) when it has one, else its number.
    reference = document_files.payment_reference_of(doc) or doc.number or ""
    try:
        return epc_qr_svg_data_uri(epc_payload(name, iban, bic or None, amount_cents, reference,
                                               note=f"{doc.kind_label} {doc.number}"))
    except ValueError:
        return None  # an IBAN the bank would refuse: the text instructions remain


def _page_context(link: DocumentLink, today, **forms) -> dict:
    doc = link.document
    company = doc.company
    seller = (doc.snapshot or {}).get("seller", {})
    iban, bic = seller.get("iban") or company.iban, seller.get("bic") or company.bic
    beneficiary = seller.get("name") or company.name
    remaining = doc.remaining_cents if doc.is_invoice else 0
    promise_from, promise_to = answers.promise_window(doc, today)
    default_pay_on = doc.due_date if doc.due_date and promise_from <= doc.due_date <= promise_to else promise_from
    context = {
        "link": link, "doc": doc, "company": company, "today": today,
        "view": document_files.document_view(doc, today=today),
        "status": status.status_of(doc, today),
        "remaining": remaining,
        "iban": " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if iban else "",
        "bic": bic, "beneficiary": beneficiary,
        "qr": _qr_data_uri(doc, remaining, iban, bic, beneficiary) if doc.is_invoice else None,
        "decision": answers.decision(doc) if doc.is_quote else None,
        "quote_closed": answers.quote_open_for_answer(doc, today) if doc.is_quote else None,
        "promise": answers.active_promise(doc, today) if doc.is_invoice else None,
        "promise_from": promise_from, "promise_to": promise_to,
        "preview": _is_own_artisan(doc), "form_error": None,
        "accept_form": AcceptForm(formdata=None),
        "refuse_form": RefuseForm(formdata=None),
        "promise_form": PromiseForm(formdata=None, pay_on=default_pay_on),
        "open_form": None,
    }
    context.update(forms)
    return context


@bp.get("/c/<token>")
def page(token: str):
    """The document as the client sees it: amounts, PDF, how to pay, and the answer forms."""
    now = utcnow()
    link = portal.resolve(token, now=now)
    if link is None:
        return _unavailable()
    doc = link.document
    # The page shown right after the client's own answer (303 after POST) is not a new visit.
    after_answer = session.pop("portal_answered", None) == link.id
    if request.method == "GET" and not after_answer and not _is_own_artisan(doc):
        tracking.record_view(link, now=now)
        db.session.commit()
    return render_template("portal/document.html", **_page_context(link, _today(doc)))


@bp.get("/c/<token>/pdf")
def pdf(token: str):
    """The PDF exactly as issued (its frozen bytes)."""
    link = portal.resolve(token)
    if link is None:
        return _unavailable()
    doc = link.document
    name, data = document_files.document_pdf(doc, today=_today(doc))
    db.session.commit()  # an old document may just have been frozen
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _answer(token: str, action: str):
    """Shared shape of the three answers: throttle, validate, act once, commit, tell the artisan."""
    form_cls, run, done_message, again_message = _ANSWERS[action]
    now = utcnow()
    link = portal.resolve(token, now=now)
    if portal.throttled(link, client_ip(), action, _throttle(), now=now):
        db.session.rollback()
        security_log.warning("portal throttled action=%s link=%s ip=%s", action, link.id if link else None, client_ip())
        return render_template("portal/message.html", title="Trop de tentatives",
                               message="Trop de tentatives depuis votre connexion. Réessayez dans quelques minutes.",
                               back_url=None), 429
    db.session.commit()  # the attempt counts even if what follows fails
    if link is None:
        return _unavailable()
    doc = link.document
    today = _today(doc)
    form = form_cls()
    if not form.validate():
        return render_template("portal/document.html", **_page_context(link, today, **{f"{action}_form": form},
                                                                       open_form=action))
    try:
        with db.session.begin_nested():
            outcome = run(link, form, ip=client_ip(), user_agent=request.user_agent.string, today=today, now=now)
    except PortalError as exc:
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, str(exc)]
            return render_template("portal/document.html", **_page_context(link, today, **{f"{action}_form": form},
                                                                           open_form=action))
        return render_template("portal/document.html", **_page_context(link, today, form_error=str(exc)))
    db.session.commit()
    session["portal_answered"] = link.id
    if outcome.changed:
        _notify_artisan(outcome.response.id)
        flash(done_message, "success")
    else:
        flash(again_message, "info")
    return redirect(url_for("portal.page", token=token), code=303)


def _notify_artisan(response_id: int) -> None:
    """E-mail the artisan, after the answer is committed: a failed e-mail never loses it."""
    try:
        response = db.session.get(ClientResponse, response_id)
        doc = db.session.get(Document, response.document_id)
        doc_url = document_url(doc, external=True)
        note = answers.notification_for(response, doc, doc_url=doc_url)
        if note is None:
            return
        item = Outgoing(recipients=note.recipients, subject=note.subject, body=note.body)
        mailer().deliver([item])
        if not item.delivered:
            log.warning("artisan notification not delivered response=%s: %s", response_id, item.error)
    except Exception:
        log.exception("artisan notification failed response=%s", response_id)


# What each answer form does: (form, domain call, message when done, message when already done).
_ANSWERS = {
    "accept": (AcceptForm, lambda link, form, **kw: answers.accept(
        link, full_name=form.full_name.data, agreed=form.agree.data, **kw),
        "Merci ! Votre accord est enregistré : l'entreprise est prévenue.",
        "Ce devis est déjà accepté : rien n'a changé."),
    "refuse": (RefuseForm, lambda link, form, **kw: answers.refuse(link, reason=form.reason.data or "", **kw),
               "Votre réponse est enregistrée : l'entreprise est prévenue.",
               "Ce devis est déjà refusé : rien n'a changé."),
    "promise": (PromiseForm, lambda link, form, **kw: answers.promise(
        link, full_name=form.full_name.data, pay_on=form.pay_on.data, **kw),
        "Merci ! Votre date de paiement est enregistrée.",
        "Votre date de paiement était déjà enregistrée : rien n'a changé."),
}


@bp.post("/c/<token>/accept")
def accept(token: str):
    """"Bon pour accord" on a quote (full name and checkbox). A second tap changes nothing."""
    return _answer(token, "accept")


@bp.post("/c/<token>/refuse")
def refuse(token: str):
    """Refuse a quote, with an optional reason."""
    return _answer(token, "refuse")


@bp.post("/c/<token>/promise")
def promise(token: str):
    """"Je valide, je vais payer le …" on an invoice: the automatic reminders pause until then."""
    return _answer(token, "promise")


@bp.get("/t/<token>.gif")
def pixel(token: str):
    """E-mail open pixel: always the same 1×1 GIF, whatever the token; counts real opens only."""
    if request.method == "GET":
        try:
            if tracking.record_open(token):
                db.session.commit()
        except Exception:
            log.exception("pixel failed")
            with contextlib.suppress(Exception):  # nor may the rollback after it
                db.session.rollback()
    response = make_response(PIXEL_GIF)
    response.headers["Content-Type"] = "image/gif"
    response.headers["Content-Length"] = str(len(PIXEL_GIF))
    return response


# --- the artisan's side -------------------------------------------------------------


def _panel(doc: Document, message: tuple[str, str] | None = None):
    if is_fragment_request():
        return render_template("documents/_lifecycle.html", doc=doc, lifecycle_message=message)
    if message:
        flash(message[1], message[0])
    return redirect(document_url(doc), code=303)


def _owned_document(document_id: int) -> Document:
    return get_owned_or_404(Document, document_id)


@bp.get("/documents/<int:document_id>/lifecycle")
@login_required
def lifecycle(document_id: int):
    """The lifecycle panel alone (htmx refreshes it while the client is on the link)."""
    doc = _owned_document(document_id)
    if not is_fragment_request():
        return redirect(document_url(doc), code=303)
    return render_template("documents/_lifecycle.html", doc=doc)


@bp.post("/documents/<int:document_id>/client-link")
@login_required
def create_link(document_id: int):
    """Create the client link of an issued document (to copy into a message)."""
    return _link_action(document_id, portal.ensure_link, "Lien client prêt : copiez-le pour l'envoyer.")


def _link_action(document_id: int, make_link, success: str):
    doc = _owned_document(document_id)
    try:
        make_link(doc, current_user._get_current_object(), secret=links.link_secret(), lifetime=links.link_lifetime())
    except PortalError as exc:
        db.session.rollback()
        return _panel(doc, ("error", str(exc)))
    db.session.commit()
    return _panel(doc, ("success", success))


@bp.post("/documents/<int:document_id>/client-link/revoke")
@login_required
def revoke_link(document_id: int):
    """Stop the current link from working at once (a leaked link, a wrong recipient)."""
    doc = _owned_document(document_id)
    done = portal.revoke_link(doc, current_user._get_current_object())
    db.session.commit()
    return _panel(doc, ("success", "Lien révoqué : il n'ouvre plus le document.") if done
                  else ("info", "Aucun lien actif."))


@bp.post("/documents/<int:document_id>/client-link/regenerate")
@login_required
def regenerate_link(document_id: int):
    """Replace the link by a new one (the old one stops working)."""
    return _link_action(document_id, portal.regenerate_link, "Nouveau lien créé : l'ancien n'ouvre plus le document.")
