"""Light on the network: pages compressed by the app, static files under content-hashed names
with a one-year immutable cache, so a navigation only fetches what changed."""

from __future__ import annotations

import gzip
import re

import brotli

from web.assets import StaticAssets

BR = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_pages_link_static_files_by_content_hash(client):
    page = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(page)
    assert urls and all(re.search(r"\.[0-9a-f]{10}\.(css|js|svg|png|webmanifest)$", u) for u in urls), urls


def test_hashed_static_files_are_immutable_for_a_year_and_compressed_once(client):
    css = next(u for u in _asset_urls(client.get("/login").text) if u.endswith(".css"))
    r = client.get(css, headers=BR)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in r.headers["Vary"] and "Cookie" not in r.headers["Vary"]
    assert "Set-Cookie" not in r.headers
    plain = client.get("/static/app.css").data
    assert brotli.decompress(r.data) == plain
    gz = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain
    # revalidation answers 304 without a body
    again = client.get(css, headers={**BR, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_unhashed_or_outdated_names_are_served_but_revalidated(client):
    for url in ("/static/app.css", "/static/app.0123456789.css"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache", url
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nothing.0123456789.css").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "app.css").write_text("body { color: red }")
    assets = StaticAssets(tmp_path)
    first = assets.url_name("app.css")
    (tmp_path / "app.css").write_text("body { color: blue; margin: 0 }")
    second = assets.url_name("app.css")
    assert first != second and first.startswith("app.") and first.endswith(".css")
    asset, current = assets.resolve(second)
    assert current and asset.data.startswith(b"body { color: blue")
    assert assets.resolve(first) == (asset, False)


def test_pages_are_compressed_by_the_app(logged_in):
    r = logged_in.get("/", headers=BR)
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"
    html = brotli.decompress(r.data).decode()
    assert "<html" in html and len(r.data) < len(html.encode()) / 3
    assert r.headers["Cache-Control"] == "no-store"
