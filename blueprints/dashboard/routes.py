"""Home page after login: the collections dashboard; and a client's payment activity block."""

from datetime import timedelta

from flask import Blueprint, current_app, url_for
from flask_login import current_user, login_required

from domain.banking import reconciliation
from domain.collections import dashboard as board
from domain.collections import messages, reminders
from domain.core.clock import today_in
from domain.core.company import missing_for_documents
from web.http import render_page

bp = Blueprint("dashboard", __name__)


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def invoices_url(**filters) -> str:
    """The invoice list with these filters (dates as ISO), the target of every card."""
    args = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v is not None}
    return url_for("invoices.index", **args)


@bp.get("/")
@login_required
def index():
    """Tableau de bord: what is due, late, to send, to do today, and how fast clients pay."""
    company = current_user.company
    today = today_in(company.timezone)
    data = board.dashboard(company, today)
    return render_page(
        "dashboard/index.html", "dashboard/_board.html", company=company, missing=missing_for_documents(company),
        board=data, today=today, invoices_url=invoices_url, level_labels=reminders.LEVEL_LABELS,
        template_labels=messages.TEMPLATE_KEYS,
        reminders_url=url_for("reminders.index") if _has("reminders.index") else None,
        payments_url=(url_for("payments.index", date_from=data.delay.since.isoformat())
                      if _has("payments.index") else None),
        week_end=today + timedelta(days=27),
        # The bank sits above collections: its figure comes from its own module, next to the board's.
        bank=reconciliation.summary(company.id) if _has("bank.index") else None,
    )


