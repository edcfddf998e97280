"""Foundation flow at tablet size: sign up, log in, edit settings, create a client, search it.

Sign-up now answers "look in your mailbox" (the same answer whether the address had an account
or not) instead of logging in at once: the new owner logs in with the password just chosen.
New bank details ask for that password again."""

import re

from playwright.sync_api import expect


def test_signup_settings_client_search(page, live_server):
    page.goto(f"{live_server}/signup")
    page.get_by_label("Nom de l'entreprise").fill("Électricité Durand")
    page.get_by_label("Votre nom").fill("Léa Durand")
    page.get_by_label("E-mail").fill("lea@durand.example.fr")
    page.get_by_label("Mot de passe", exact=True).fill("courant-alternatif-2026")
    page.get_by_label("Confirmez le mot de passe").fill("courant-alternatif-2026")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/signup/sent$"))
    expect(page.get_by_role("heading", name="Vérifiez votre boîte mail")).to_be_visible()
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("E-mail").fill("lea@durand.example.fr")
    page.get_by_label("Mot de passe").fill("courant-alternatif-2026")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#confirm-email-notice")).to_contain_text("Rien ne part vers vos clients")

    # log out and back in
    page.get_by_role("button", name="Déconnexion").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("E-mail").fill("lea@durand.example.fr")
    page.get_by_label("Mot de passe").fill("courant-alternatif-2026")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Bonjour Léa Durand")).to_be_visible()

    # settings: a bad SIRET is refused next to the field, then fixed
    page.get_by_role("link", name="Réglages", exact=True).click()
    page.get_by_label("SIRET").fill("732 829 320 00075")
    page.get_by_label("Adresse", exact=True).fill("8 rue Volta")
    page.get_by_label("Code postal").fill("69007")
    page.get_by_label("Ville").fill("Lyon")
    page.get_by_label("N° de TVA intracommunautaire").fill("FR44732829320")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("Votre mot de passe").fill("courant-alternatif-2026")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#field-siret .error")).to_contain_text("clé de contrôle")
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_label("Votre mot de passe").fill("courant-alternatif-2026")  # (a password is never sent back)
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_text("Réglages enregistrés.")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_have_value("FR7630006000011234567890189")

    # a client with a contact
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="+ Nouveau client").click()
    page.get_by_label("Professionnel").check()
    page.get_by_label("Nom ou raison sociale").fill("Hôtel Bellevue")
    page.get_by_label("SIREN").fill("552100554")
    page.get_by_label("Adresse", exact=True).fill("1 quai Saint-Antoine")
    page.get_by_label("Code postal", exact=True).fill("69002")
    page.get_by_label("Ville", exact=True).fill("Lyon")
    page.get_by_label("Nom du contact").fill("Camille Roux")
    page.get_by_label("E-mail").fill("camille@bellevue.example.fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name=re.compile("Hôtel Bellevue"))).to_be_visible()
    expect(page.get_by_text("camille@bellevue.example.fr")).to_be_visible()

    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_role("link", name="+ Nouveau client").click()
    page.get_by_label("Nom ou raison sociale").fill("Marc Lefèvre")
    page.get_by_role("button", name="Enregistrer").click()

    # search-as-you-type, accent-free typing finds the accented name, without a page load
    page.get_by_role("link", name="Clients", exact=True).first.click()
    marker = page.evaluate("() => (window.__sameDocument = 'oui')")
    search = page.get_by_role("searchbox", name="Rechercher un client")
    search.press_sequentially("hotel", delay=30)
    expect(page.locator("#client-list")).to_contain_text("Hôtel Bellevue")
    expect(page.locator("#client-list")).not_to_contain_text("Marc Lefèvre")
    expect(page.locator("#client-list")).to_contain_text("1 client pour « hotel »")
    expect(page).to_have_url(re.compile(r"q=hotel"))
    assert page.evaluate("() => window.__sameDocument") == marker

    # touch targets: every visible button and nav link is at least 44 px tall
    for el in page.locator("button:visible, .mainnav a").all():
        box = el.bounding_box()
        assert box and box["height"] >= 44, el.inner_text()
