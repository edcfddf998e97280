"""The installable web app: the manifest, the service worker and what it keeps for site visits
without network.

The service worker is small and hand-written (static/sw.js, about 150 lines) rather than
Workbox: the rules fit on a page (the app shell cache-first under content-hashed names;
document pages network-first with the saved copy as fallback; frozen PDFs cache-first; nothing
written offline), and the one thing Workbox would add, its routing and expiration plugins,
would be more code to ship and audit than the rules themselves. It is served from the root
(its scope is the whole app) with the hashed URLs of the shell and a version that changes
with any of them, so a deploy replaces the cache in one step.

What is kept: GET /offline/documents.json (logged in) lists the company's documents to keep
(domain.billing.offline), with the versions that tell the worker what changed. The worker
clears the copies when the list says another user is logged in, when the session is gone,
and the logout answer clears the site's storage (Clear-Site-Data).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_login import current_user, login_required

from domain.billing import offline
from web.assets import asset_urls
from web.security import offline_owner

bp = Blueprint("offline", __name__)

# The app shell: what every page needs, kept by the worker at install.
SHELL_FILES = ("app.css", "app.js", "offline.js", "htmx-2.0.11.min.js", "favicon.svg", "icons/icon-192.png")
SW_SOURCE = Path(__file__).resolve().parents[2] / "static" / "sw.js"


def _shell() -> list[str]:
    return [*asset_urls(current_app, list(SHELL_FILES)), url_for("offline.page")]


@bp.get("/sw.js")
def service_worker():
    """The service worker, with the shell's hashed URLs and its version (public: no user data)."""
    shell = _shell()
    source = SW_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256((source + "\n".join(shell)).encode()).hexdigest()[:12]
    settings = json.dumps({"version": version, "shell": shell, "offlinePage": url_for("offline.page"),
                           "documents": url_for("offline.documents")})
    body = f"self.ENCAISSE = {settings};\n{source}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """What makes Encaisse installable on the tablet's home screen."""
    icon = {"192": "icons/icon-192.png", "512": "icons/icon-512.png"}
    body = {
        "name": "Encaisse", "short_name": "Encaisse", "lang": "fr",
        "description": "Devis, factures, paiements et relances pour les artisans.",
        "start_url": url_for("dashboard.index"), "scope": "/", "display": "standalone",
        "orientation": "any", "background_color": "#f4f6f9", "theme_color": "#14213d",
        "icons": [{"src": url_for("static", filename=path), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any"} for size, path in icon.items()],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def page():
    """The page the worker shows for a page it has no copy of (public, the same for everyone)."""
    return render_template("offline/page.html")


@bp.get("/offline/documents.json")
@login_required
def documents():
    """The company's documents to keep on the tablet, with their pages, PDFs and versions."""
    docs, clients = offline.documents_to_keep(current_user.company_id)
    items = []
    for d in docs:
        quote = d.kind == "quote"
        page = url_for("quotes.detail", quote_id=d.id) if quote else url_for("invoices.detail", invoice_id=d.id)
        pdf = url_for("quotes.pdf", quote_id=d.id) if quote else url_for("invoices.pdf", invoice_id=d.id)
        label = ("Devis" if quote else ("Avoir" if d.kind == "credit_note" else "Facture"))
        items.append({"page": page, "version": d.version, "pdf": pdf if d.pdf_sha256 else None,
                      "pdf_version": d.pdf_sha256, "title": f"{label} {d.number} · {d.client_name}"})
    for c in clients:
        items.append({"page": url_for("clients.detail", client_id=c.id), "version": c.version, "pdf": None,
                      "pdf_version": "", "title": f"Client · {c.name}"})
    response = jsonify({"owner": offline_owner(), "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "items": items})
    response.headers["Cache-Control"] = "no-store"
    return response
