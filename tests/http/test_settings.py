"""Company settings, users."""

import io

from PIL import Image
from sqlalchemy import select

from domain.core.models import Company, User
from extensions import db
from tests.support.config import TEST_PASSWORD
from tests.support.forms import settings_data
from tests.support.pages import page_text


def png_bytes(size=(120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 216)).save(out, format="PNG")
    return out.getvalue()


def test_settings_save(logged_in, app, company):
    assert logged_in.get("/settings/").status_code == 200
    r = logged_in.post("/settings/", data=settings_data(late_penalty_rate="12,5"))
    assert r.status_code == 303
    with app.app_context():
        c = db.session.get(Company, company)
        assert (c.name, c.legal_form, c.siret, c.iban) == ("Plomberie Martin", "SARL", "73282932000074",
                                                           "FR7630006000011234567890189")
        assert c.share_capital_cents == 750000 and c.late_penalty_rate_bp == 1250 and c.quote_validity_days == 60
    page = page_text(logged_in.get("/settings/"))
    assert 'value="12,5"' in page and 'value="7500,00"' in page


def test_settings_bad_input_saves_nothing(logged_in, app, company):
    cases = [
        ({"siret": "73282932000075"}, "clé de contrôle"),
        ({"siret": ""}, "Le SIRET est obligatoire"),
        ({"iban": "FR7630006000011234567890188"}, "Cet IBAN n'est pas valide"),
        ({"bic": "XX"}, "Ce BIC n'est pas valide"),
        ({"email": "contact.martin.example.fr"}, "il manque le « @ »"),
        ({"name": ""}, "Saisissez le nom légal"),
        ({"vat_number": ""}, "Le numéro de TVA est obligatoire"),
        ({"payment_terms_days": "75"}, "Entre 0 et 60 jours"),
        ({"late_penalty_rate": "douze"}, "valide"),
        ({"share_capital": "-5"}, ""),
    ]
    for overrides, message in cases:
        r = logged_in.post("/settings/", data=settings_data(**overrides))
        assert r.status_code == 200, overrides
        text = page_text(r)
        assert message in text and "rien n'a été enregistré" in text, overrides
    with app.app_context():
        assert db.session.get(Company, company).name == "Plomberie Test"


def test_franchise_en_base_needs_no_vat_number(logged_in, app, company):
    r = logged_in.post("/settings/", data=settings_data(vat_regime="franchise", vat_number=""))
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Company, company).is_vat_franchise


def test_logo_upload_and_limits(logged_in, app, company):
    r = logged_in.post("/settings/", data={**settings_data(), "logo": (io.BytesIO(png_bytes()), "logo.png")},
                       content_type="multipart/form-data")
    assert r.status_code == 303
    logo = logged_in.get("/settings/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data[:4] == b"\x89PNG"

    fake = logged_in.post("/settings/", data={**settings_data(name="Autre nom"),
                                              "logo": (io.BytesIO(b"<svg></svg>"), "logo.png")},
                          content_type="multipart/form-data")
    assert "PNG ou JPEG" in page_text(fake)
    # (a smaller cap here: above 500 kB Werkzeug's test client spools to a file it never closes)
    app.config["LOGO_MAX_BYTES"] = 100 * 1024
    huge = logged_in.post("/settings/", data={**settings_data(name="Autre nom"),
                                              "logo": (io.BytesIO(b"\x89PNG" + b"0" * 120_000), "logo.png")},
                          content_type="multipart/form-data")
    assert "dépasse 100 Ko" in page_text(huge)
    with app.app_context():
        assert db.session.get(Company, company).name == "Plomberie Martin"  # neither bad upload saved anything

    big = png_bytes((3000, 1500))
    logged_in.post("/settings/", data={**settings_data(), "logo": (io.BytesIO(big), "big.png")},
                   content_type="multipart/form-data")
    with Image.open(io.BytesIO(logged_in.get("/settings/logo").data)) as img:
        assert max(img.size) == 800  # shrunk so every PDF stays light


def test_request_too_large_is_a_clear_413(logged_in):
    # A 5 MB upload announced by its Content-Length is refused before it is read.
    r = logged_in.post("/settings/", data=b"--x--", content_type="multipart/form-data; boundary=x",
                       environ_overrides={"CONTENT_LENGTH": "5000000"})
    assert r.status_code == 413 and "trop volumineux" in page_text(r)


def test_add_second_user(logged_in, app, client, company):
    r = logged_in.post("/settings/users", data={"name": "Anne Compta", "email": "anne@test.example.fr",
                                                "password": "secretariat-2026"})
    assert r.status_code == 303
    dup = logged_in.post("/settings/users", data={"name": "X", "email": "anne@test.example.fr",
                                                  "password": "secretariat-2026"})
    assert "Un compte existe déjà" in page_text(dup)
    with app.app_context():
        users = db.session.scalars(select(User).where(User.company_id == company)).all()
        assert sorted(u.email for u in users) == ["anne@test.example.fr", "artisan@test.example.fr"]
    other = app.test_client()
    assert other.post("/login", data={"email": "anne@test.example.fr",
                                      "password": "secretariat-2026"}).status_code == 303
    # A new user is staff unless the owner chooses otherwise: their own account, not the company's settings.
    assert "Anne Compta" in page_text(other.get("/settings/account"))
    assert other.get("/settings/").status_code == 403


def test_wrong_current_password(logged_in):
    r = logged_in.post("/settings/password", data={"current_password": "pas le bon", "new_password": "nouveau-secret",
                                                    "confirm": "nouveau-secret"})
    assert "Mot de passe actuel incorrect." in page_text(r)
    assert logged_in.post("/logout").status_code == 303
    assert logged_in.post("/login", data={"email": "artisan@test.example.fr",
                                          "password": TEST_PASSWORD}).status_code == 303
