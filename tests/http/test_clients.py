"""Client pages and fragments: list/search, create, edit, archive, contacts."""

from sqlalchemy import func, select

from domain.core.models import Client, Contact
from extensions import db
from tests.support.builders import make_client
from tests.support.pages import page_text


def new_client_data(**overrides):
    data = {"kind": "professionnel", "name": "Boulangerie Dupain", "siren": "552 100 554",
            "vat_number": "", "address_line1": "2 rue Mercière", "postal_code": "69002", "city": "Lyon",
            "country": "France", "contact_name": "Paul Girard", "contact_email": "paul@dupain.example.fr",
            "contact_phone": "04 78 42 42 42"}
    data.update(overrides)
    return data


def test_create_client_with_contact(logged_in, app):
    r = logged_in.post("/clients/new", data=new_client_data())
    assert r.status_code == 303
    page = logged_in.get(r.headers["Location"])
    assert "Boulangerie Dupain" in page.text and "paul@dupain.example.fr" in page.text
    with app.app_context():
        client = db.session.scalar(select(Client))
        assert client.siren == "552100554" and client.is_business
        assert [c.email for c in client.contacts] == ["paul@dupain.example.fr"]


def test_create_client_bad_input_saves_nothing(logged_in, app):
    cases = [
        ({"name": ""}, "Saisissez le nom du client."),
        ({"siren": "552100555"}, "SIREN n'est pas valide"),
        ({"contact_email": "paul-at-dupain"}, "il manque le « @ »"),
        ({"postal_code": "6900"}, "5 chiffres"),
        ({"vat_number": "FR00552100554"}, "clé"),
        ({"payment_terms_days": "90"}, "60 jours au plus"),
    ]
    for overrides, message in cases:
        r = logged_in.post("/clients/new", data=new_client_data(**overrides))
        assert r.status_code == 200, overrides
        assert message in page_text(r), overrides
        assert 'class="error"' in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Client.id))) == 0
        assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_particulier_never_keeps_a_siren(logged_in, app):
    logged_in.post("/clients/new", data=new_client_data(kind="particulier", name="Jeanne Martin"))
    with app.app_context():
        assert db.session.scalar(select(Client.siren)) == ""


def _seed(app, company_id, names):
    with app.app_context():
        from domain.core.models import Company

        company = db.session.get(Company, company_id)
        for name in names:
            make_client(company, name=name, email=f"{name.split()[0].lower()}@example.fr")
        db.session.commit()


def test_search_is_accent_and_case_insensitive(logged_in, app, company):
    _seed(app, company, ["Hélène Dupont", "Marc Lefèvre", "Boulangerie Dupain"])
    page = logged_in.get("/clients/?q=HELENE")
    assert "Hélène Dupont" in page.text and "Marc Lefèvre" not in page.text
    fragment = logged_in.get("/clients/?q=dup", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="client-list"')
    assert "<html" not in fragment.text
    assert "Hélène Dupont" in fragment.text and "Boulangerie Dupain" in fragment.text
    assert "2 clients" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # a boosted or history-restore request gets the whole page
    full = logged_in.get("/clients/?q=dup", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full.text
    # LIKE wildcards are literal
    assert "0 client" in logged_in.get("/clients/?q=%25").text


def test_pagination(logged_in, app, company):
    _seed(app, company, [f"Client {i:02d}" for i in range(30)])
    first = logged_in.get("/clients/").text
    assert "Client 00" in first and "Client 25" not in first and "Page 1 / 2" in first
    second = logged_in.get("/clients/?page=2").text
    assert "Client 25" in second and "Client 00" not in second


def test_edit_archive_restore(logged_in, app, company):
    _seed(app, company, ["Marc Lefèvre"])
    with app.app_context():
        cid = db.session.scalar(select(Client.id))
    assert logged_in.get(f"/clients/{cid}/edit").status_code == 200
    r = logged_in.post(f"/clients/{cid}/edit", data={"kind": "particulier", "name": "Marc Lefèvre-Roux",
                                                      "postal_code": "69100", "city": "Villeurbanne",
                                                      "country": "France"})
    assert r.status_code == 303
    assert "Marc Lefèvre-Roux" in logged_in.get(f"/clients/{cid}").text
    hx = {"HX-Request": "true"}
    logged_in.post(f"/clients/{cid}/archive")
    assert "Marc" not in logged_in.get("/clients/", headers=hx).text
    assert "Marc Lefèvre-Roux" in logged_in.get("/clients/?archived=1", headers=hx).text
    logged_in.post(f"/clients/{cid}/restore")
    assert "Marc Lefèvre-Roux" in logged_in.get("/clients/", headers=hx).text


def test_contacts_fragment(logged_in, app, company):
    _seed(app, company, ["Marc Lefèvre"])
    with app.app_context():
        cid = db.session.scalar(select(Client.id))
    r = logged_in.post(f"/clients/{cid}/contacts", data={"name": "Julie", "email": "julie@example.fr", "phone": ""},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="client-contacts"')
    assert "julie@example.fr" in r.text
    bad = logged_in.post(f"/clients/{cid}/contacts", data={"name": "", "email": "", "phone": ""},
                         headers={"HX-Request": "true"})
    assert "Indiquez au moins un nom, un e-mail ou un téléphone." in bad.text
    bad = logged_in.post(f"/clients/{cid}/contacts", data={"email": "julie"}, headers={"HX-Request": "true"})
    assert "il manque le « @ »" in bad.text
    with app.app_context():
        contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
        assert [c.email for c in contacts] == ["marc@example.fr", "julie@example.fr"]
        first_id, second_id = contacts[0].id, contacts[1].id
    r = logged_in.post(f"/clients/{cid}/contacts/{first_id}/delete", headers={"HX-Request": "true"})
    assert "marc@example.fr" not in r.text
    with app.app_context():
        assert db.session.get(Contact, second_id).is_primary


def test_pages_need_login(client):
    for url in ("/clients/", "/clients/new", "/clients/1", "/settings/", "/"):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url


def test_business_client_gives_a_siret_and_keeps_both_numbers(logged_in, app):
    r = logged_in.post("/clients/new", data=new_client_data(siren="552 100 554 00013"))
    assert r.status_code == 303
    page = page_text(logged_in.get(r.headers["Location"]))
    assert "552100554" in page and "55210055400013" in page
    with app.app_context():
        client = db.session.scalar(select(Client))
        assert (client.siren, client.siret) == ("552100554", "55210055400013")
        client_id = client.id
    # The edit form shows the SIRET (it holds the SIREN); a SIREN alone drops the SIRET.
    assert 'value="55210055400013"' in logged_in.get(f"/clients/{client_id}/edit").text
    logged_in.post(f"/clients/{client_id}/edit", data=new_client_data(siren="552100554"))
    with app.app_context():
        client = db.session.get(Client, client_id)
        assert (client.siren, client.siret) == ("552100554", "")


def test_a_wrong_siret_is_refused_next_to_its_field(logged_in, app):
    r = logged_in.post("/clients/new", data=new_client_data(siren="552 100 554 00014"))
    assert r.status_code == 200
    page = page_text(r)
    # The error sits inside the field's own block, which the issue area links to (#field-siren).
    block = page[page.index('id="field-siren"'):page.index('id="field-vat_number"')]
    assert "Ce SIRET n'est pas valide" in block and 'aria-invalid="true"' in block
    r = logged_in.post("/clients/new", data=new_client_data(siren="5521005"))
    assert "Saisissez le SIREN (9 chiffres) ou le SIRET (14 chiffres)" in page_text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count(Client.id))) == 0
