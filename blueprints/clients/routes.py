"""Clients: searchable list, page, create/edit/archive, contacts."""

from flask import Blueprint, Response, flash, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.clients.forms import ClientForm, ContactForm, NewClientForm
from domain.collections import letters
from domain.core import clients as client_rules
from domain.core.models import Client, Contact
from extensions import db
from web.http import redirect_see_other, render_page
from web.limits import render_slot
from web.once import Done, finish
from web.tenancy import company_today, get_owned_or_404

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.before_request
@login_required
def _require_login():
    """Every client page needs a logged-in user."""


@bp.get("/")
def index():
    """Client list with search-as-you-type (the same URL serves the page or the list fragment)."""
    q = request.args.get("q", "")[:100]
    archived = request.args.get("archived") == "1"
    page = request.args.get("page", 1, type=int)
    result = client_rules.search_clients(current_user.company_id, q, archived=archived, page=page)
    return render_page("clients/index.html", "clients/_list.html", result=result, q=q, archived=archived)


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Create a client with its first contact."""
    form = NewClientForm()
    if form.validate_on_submit():
        client = client_rules.create_client(
            current_user.company, contact=form.contact_fields(), **form.client_fields()
        )
        db.session.commit()
        flash(f"Client « {client.name} » créé.", "success")
        return redirect_see_other("clients.detail", client_id=client.id)
    return render_template("clients/form.html", form=form, client=None)


@bp.get("/<int:client_id>")
def detail(client_id: int):
    """A client's page: identity, contacts, and later its documents and balance."""
    client = get_owned_or_404(Client, client_id)
    return render_template("clients/detail.html", client=client, contact_form=ContactForm())


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int):
    """Edit a client's details."""
    client = get_owned_or_404(Client, client_id)
    form = ClientForm(obj=client).load(client)
    if form.validate_on_submit():
        client_rules.update_client(client, **form.client_fields())
        db.session.commit()
        flash("Client mis à jour.", "success")
        return redirect_see_other("clients.detail", client_id=client.id)
    return render_template("clients/form.html", form=form, client=client)


@bp.post("/<int:client_id>/archive", defaults={"archived": True})
@bp.post("/<int:client_id>/restore", defaults={"archived": False})
def set_archived(client_id: int, archived: bool):
    """Archive a client (kept with its documents, hidden from pickers), or bring it back."""
    client = client_rules.set_archived(get_owned_or_404(Client, client_id), archived)
    return finish(Done(url_for("clients.detail", client_id=client.id),
                       f"Client « {client.name} » {'archivé' if archived else 'restauré'}."))


@bp.post("/<int:client_id>/contacts")
def add_contact(client_id: int):
    """Add a contact; answers the contacts fragment (errors shown inside it)."""
    client = get_owned_or_404(Client, client_id)
    form = ContactForm()
    if form.validate_on_submit():
        client_rules.add_contact(client, name=form.name.data.strip(), email=form.email.data,
                                 phone=form.phone.data, role=(form.role.data or "").strip())
        db.session.commit()
        form = ContactForm(formdata=None)
    return render_page("clients/detail.html", "clients/_contacts.html", client=client, contact_form=form)


@bp.post("/<int:client_id>/contacts/<int:contact_id>/delete")
def delete_contact(client_id: int, contact_id: int):
    """Remove a contact from a client."""
    client = get_owned_or_404(Client, client_id)
    contact = get_owned_or_404(Contact, contact_id)
    if contact.client_id != client.id:
        return render_template("errors/404.html"), 404
    client_rules.remove_contact(client, contact)
    db.session.commit()
    return render_page("clients/detail.html", "clients/_contacts.html", client=client, contact_form=ContactForm())


@bp.get("/<int:client_id>/statement.pdf")
def statement(client_id: int):
    """The client's statement of account today (open invoices, payments received, balance)."""
    client = get_owned_or_404(Client, client_id)
    with render_slot(client.company_id):
        name, data = letters.statement_pdf(client, today=company_today())
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"', "Cache-Control": "no-store"})
