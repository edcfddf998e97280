"""Driving and reading pages through Flask's test client."""

from __future__ import annotations

import html

from tests.support.config import TEST_PASSWORD

HX = {"HX-Request": "true"}  # what htmx adds to its requests: the page answers with the fragment
NNBSP, NBSP = "\u202f", "\u00a0"


class AuthActions:
    """Log the test client in and out (flaskr's `auth` fixture)."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str = "artisan@test.example.fr", password: str = TEST_PASSWORD):
        """POST the login form."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """POST the logout form."""
        return self._client.post("/logout")


def page_text(response) -> str:
    """Response HTML with entities decoded (Jinja escapes apostrophes as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


def euros(text: str) -> str:
    """'2 173,28 €' written with plain spaces -> Babel's characters (U+202F, U+00A0)."""
    number, _, _ = text.partition(" €")
    return number.replace(" ", NNBSP) + NBSP + "€"
