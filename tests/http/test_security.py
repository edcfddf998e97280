"""Security headers, friendly 404, CSRF errors."""


def test_security_headers_on_pages(client, logged_in):
    for url in ("/login", "/", "/clients/", "/does-not-exist", "/static/app.css"):
        with logged_in.get(url) as r:
            h = r.headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert h["X-Content-Type-Options"] == "nosniff", url
        assert h["Referrer-Policy"] == "same-origin", url
        assert h["X-Frame-Options"] == "DENY", url


def test_private_pages_not_cached(logged_in):
    assert logged_in.get("/clients/").headers["Cache-Control"] == "no-store"


def test_friendly_404(client):
    r = client.get("/nimporte/quoi")
    assert r.status_code == 404
    assert "Page introuvable" in r.text


def test_no_inline_scripts(logged_in):
    """The CSP forbids inline script: the pages must not rely on any."""
    import re

    for url in ("/login", "/", "/clients/", "/clients/new", "/settings/"):
        html = logged_in.get(url).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url
        assert "style=" not in html, url
