"""All payments received, with filters (period, method, client, cancelled) and totals."""

from flask import Blueprint, request
from flask_login import current_user, login_required

from domain.billing import lists
from web.filters import parse_payment_filters
from web.http import render_page

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.before_request
@login_required
def _require_login():
    """The payments page needs a logged-in user."""


@bp.get("/")
def index():
    """Payments, filterable by period, method, client, search; cancelled ones on demand."""
    filters, values, errors = parse_payment_filters(request.args)
    result = lists.list_payments(current_user.company_id, filters)
    return render_page("payments/index.html", "payments/_list.html", result=result, values=values, errors=errors,
                       clients=lists.clients_for_filter(current_user.company_id, filters.client_id))
