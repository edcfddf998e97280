"""The catalogue of frequent lines: list, add, edit, archive/restore."""

from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.catalog.forms import CatalogItemForm
from domain.billing import catalog
from domain.billing.models import CatalogItem
from domain.billing.money import format_amount_input
from web.editor import UNITS
from web.forms import choices
from web.http import redirect_see_other, render_page
from web.once import Done, finish
from web.saving import saved
from web.tenancy import get_owned_or_404

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.before_request
@login_required
def _require_login():
    """The catalogue needs a logged-in user."""


def _new_form(formdata=True) -> CatalogItemForm:
    form = CatalogItemForm() if formdata else CatalogItemForm(formdata=None)
    if current_user.company.is_vat_franchise and not form.is_submitted():
        form.vat_rate.data = "0"
    return form


@bp.get("/")
def index():
    """The catalogue (active or archived lines) with the form to add one."""
    archived = request.args.get("archived") == "1"
    result = catalog.list_items(current_user.company_id, archived=archived, page=request.args.get("page", 1, type=int))
    return render_page("catalog/index.html", "catalog/_list.html", result=result, archived=archived,
                       form=_new_form(formdata=False))


@bp.post("/")
def create():
    """Add a line to the catalogue."""
    form = _new_form()
    if form.validate():
        item = saved(form, "label", catalog.CatalogError, catalog.create_item, current_user.company, form.item_input())
        if item is not None:
            flash(f"« {item.label} » ajouté au catalogue.", "success")
            return redirect_see_other("catalog.index")
    result = catalog.list_items(current_user.company_id)
    return render_template("catalog/index.html", result=result, archived=False, form=form)


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
def edit(item_id: int):
    """Change a catalogue line (documents already written keep their copy)."""
    item = get_owned_or_404(CatalogItem, item_id)
    form = CatalogItemForm(obj=item)
    if item.unit not in UNITS:
        form.unit.choices = choices((u, u) for u in (*UNITS, item.unit))
    if not form.is_submitted():
        form.unit_price.data = format_amount_input(item.unit_price_cents)
        form.vat_rate.data = str(item.vat_rate_bp)
    elif form.validate() and saved(form, "label", catalog.CatalogError,
                                   catalog.update_item, item, current_user.company, form.item_input()):
        flash("Ligne du catalogue enregistrée.", "success")
        return redirect_see_other("catalog.index")
    return render_template("catalog/form.html", form=form, item=item)


@bp.post("/<int:item_id>/archive", defaults={"archived": True})
@bp.post("/<int:item_id>/restore", defaults={"archived": False})
def set_archived(item_id: int, archived: bool):
    """Hide a line from the quick insert (kept, restorable), or bring it back."""
    item = catalog.set_archived(get_owned_or_404(CatalogItem, item_id), archived)
    url = url_for("catalog.index") if archived else url_for("catalog.index", archived=1)
    return finish(Done(url, f"« {item.label} » {'archivé' if archived else 'restauré'}."))
