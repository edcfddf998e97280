"""Home page after login."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from domain.company import missing_for_documents

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    """Tableau de bord."""
    company = current_user.company
    return render_template("dashboard/index.html", company=company, missing=missing_for_documents(company))
