"""Demo data: a plumbing company with clients, so a new user sees a living app."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db

from . import clients as client_rules
from .accounts import hash_password
from .models import KIND_BUSINESS, KIND_INDIVIDUAL, Company, User

DEMO_EMAIL = "artisan@demo.encaisse.fr"
DEMO_PASSWORD = "demo-encaisse-2026"

# SIRET/SIREN below pass the Luhn check but are made up for the demo.
DEMO_CLIENTS = [
    (KIND_INDIVIDUAL, "Hélène Dupont", "", "12 rue des Lilas", "69003", "Lyon", ("Hélène Dupont", "helene.dupont@example.fr", "06 12 34 56 78")),
    (KIND_INDIVIDUAL, "Marc Lefèvre", "", "4 impasse du Moulin", "69100", "Villeurbanne", ("Marc Lefèvre", "marc.lefevre@example.fr", "06 23 45 67 89")),
    (KIND_INDIVIDUAL, "Sophie et Karim Benali", "", "27 avenue Jean Jaurès", "69007", "Lyon", ("Sophie Benali", "sophie.benali@example.fr", "07 11 22 33 44")),
    (KIND_INDIVIDUAL, "Jeanne Martin", "", "3 place de l'Église", "69340", "Francheville", ("Jeanne Martin", "", "04 78 12 34 56")),
    (KIND_INDIVIDUAL, "Lucas Moreau", "", "85 cours Gambetta", "69003", "Lyon", ("Lucas Moreau", "lucas.moreau@example.fr", "")),
    (KIND_INDIVIDUAL, "Chantal Garnier", "", "9 chemin des Vignes", "69570", "Dardilly", ("Chantal Garnier", "chantal.garnier@example.fr", "06 98 76 54 32")),
    (KIND_BUSINESS, "SCI Les Terrasses", "732829320", "18 quai Perrache", "69002", "Lyon", ("Nadia Roux, gérante", "gestion@sci-terrasses.example.fr", "04 72 00 11 22")),
    (KIND_BUSINESS, "Boulangerie Au Bon Pain SARL", "552100554", "2 rue Mercière", "69002", "Lyon", ("Paul Girard", "contact@aubonpain.example.fr", "04 78 42 42 42")),
    (KIND_BUSINESS, "Régie Immobilière Bellecour", "443061841", "40 place Bellecour", "69002", "Lyon", ("Service travaux", "travaux@regie-bellecour.example.fr", "04 72 56 56 56")),
    (KIND_BUSINESS, "Bâtir Ensemble SAS", "517320487", "150 route de Vienne", "69008", "Lyon", ("Thomas Bernard", "t.bernard@batir-ensemble.example.fr", "06 55 44 33 22")),
    (KIND_BUSINESS, "Hôtel du Parc", "401233168", "1 boulevard des Belges", "69006", "Lyon", ("Accueil", "direction@hotelduparc.example.fr", "04 78 24 24 24")),
    (KIND_BUSINESS, "Syndic Rhône Copro", "564961563", "77 rue Garibaldi", "69006", "Lyon", ("Élodie Fabre", "e.fabre@rhonecopro.example.fr", "04 72 83 83 83")),
]


def load_demo() -> Company | None:
    """Create "Plomberie Démo" with its artisan login and a dozen clients; None if it exists."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is not None:
        return None
    company = Company(
        name="Plomberie Démo", legal_form="EI", siret="73282932000074", rcs_rm="RM 69 732 829 320",
        vat_number="FR44732829320", address_line1="5 rue de la Part-Dieu", postal_code="69003", city="Lyon",
        email="contact@plomberie-demo.example.fr", phone="04 78 00 00 00",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", payment_terms_days=30,
        insurer_name="Mutuelle des Artisans du Bâtiment", insurer_address="10 rue de l'Assurance, 75008 Paris",
        insurance_policy="DEC-2026-004512", insurance_coverage_area="France métropolitaine",
    )
    db.session.add(company)
    db.session.add(User(company=company, email=DEMO_EMAIL, name="Jean Plombier",
                        password_hash=hash_password(DEMO_PASSWORD), role="owner"))
    db.session.flush()
    for kind, name, siren, street, postal_code, city, (cname, cemail, cphone) in DEMO_CLIENTS:
        client_rules.create_client(
            company, kind=kind, name=name, siren=siren,
            vat_number=f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}" if siren else "",
            address_line1=street, postal_code=postal_code, city=city,
            payment_terms_days=None, contact={"name": cname, "email": cemail, "phone": cphone},
        )
    return company
