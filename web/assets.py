"""Static files under content-hashed names, compressed once, cached for a year.

`url_for('static', filename='app.css')` gives `/static/app.3f2a1b9c0d.css`: the name
changes when the bytes do, so the browser may keep the file for a year without asking
(`Cache-Control: immutable`) and only what changed is fetched again after a deploy. On a
tablet with one bar of signal that is the difference between a page and a spinner.

The files are compressed here, once per content (brotli at its best level, gzip for old
browsers), rather than on every request: Flask-Compress compresses the dynamic answers
(pages, fragments, JSON), whose bytes change each time. An unhashed or outdated name still
answers (old pages during a deploy, the PDF renderer, tests) but is revalidated each time.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

HASH_LEN = 10
ONE_YEAR = 365 * 24 * 3600
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{" + str(HASH_LEN) + r"})(?P<ext>\.[A-Za-z0-9]+)$")
_COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json",
                 "application/manifest+json", "text/plain"}
_MIN_COMPRESS = 500

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


@dataclass
class Asset:
    """One static file as served: its bytes, their hash, and their compressed forms."""

    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size): a changed file is read again
    data: bytes
    digest: str
    mimetype: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    def hashed_name(self, name: str) -> str:
        """"app.css" -> "app.<hash>.css"."""
        stem, dot, ext = name.rpartition(".")
        return f"{stem}.{self.digest}.{ext}" if dot and "/" not in ext else f"{name}.{self.digest}"

    def body(self, encoding: str) -> bytes:
        """The bytes in this encoding ("" for identity), compressed on first use."""
        if not encoding:
            return self.data
        if encoding not in self.encoded:
            if encoding == "br":
                self.encoded[encoding] = brotli.compress(self.data, quality=11)
            else:
                self.encoded[encoding] = gzip.compress(self.data, 9, mtime=0)
        return self.encoded[encoding]


class StaticAssets:
    """The static folder, read once per file content."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Asset | None:
        """The file `name` under the static folder (None if missing or outside it)."""
        joined = safe_join(str(self.folder), name)
        if joined is None:
            return None
        path = Path(joined)
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(name)
        if cached is not None and cached.stamp == stamp:
            return cached
        data = path.read_bytes()
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        asset = Asset(path, stamp, data, hashlib.sha256(data).hexdigest()[:HASH_LEN], mimetype)
        with self._lock:
            self._cache[name] = asset
        return asset

    def url_name(self, name: str) -> str:
        """The hashed name to put in a URL (the name itself for a missing file)."""
        asset = self.get(name)
        return asset.hashed_name(name) if asset is not None else name

    def resolve(self, requested: str) -> tuple[Asset | None, bool]:
        """(asset, current): the file a requested name means, and whether its hash is the current one."""
        match = _HASHED.match(requested)
        if match:
            asset = self.get(match["stem"] + match["ext"])
            if asset is not None:
                return asset, asset.digest == match["hash"]
        return self.get(requested), False


def _encoding(asset: Asset) -> str:
    if asset.mimetype not in _COMPRESSIBLE or len(asset.data) < _MIN_COMPRESS:
        return ""
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept-Encoding", "").split(",")}
    return "br" if "br" in accepted else ("gzip" if "gzip" in accepted else "")


def init_app(app: Flask) -> StaticAssets:
    """Serve /static/ through StaticAssets and make url_for('static', …) give hashed names."""
    assets = StaticAssets(app.static_folder or "static")
    app.extensions["encaisse.assets"] = assets

    @app.url_defaults
    def _hashed_static_names(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.url_name(values["filename"])

    def static(filename: str):
        """A static file; immutable for a year under its current hashed name."""
        asset, current = assets.resolve(filename)
        if asset is None:
            abort(404)
        encoding = _encoding(asset)
        response = Response(asset.body(encoding), mimetype=asset.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{asset.digest}-{encoding or 'id'}")
        response.headers["Cache-Control"] = (f"public, max-age={ONE_YEAR}, immutable" if current
                                             else "no-cache")
        return response.make_conditional(request)

    app.view_functions["static"] = static
    return assets


def asset_urls(app: Flask, names: list[str]) -> list[str]:
    """The hashed URLs of these static files (the service worker's app shell)."""
    assets: StaticAssets = app.extensions["encaisse.assets"]
    prefix = (app.static_url_path or "/static").rstrip("/")
    return [f"{prefix}/{assets.url_name(name)}" for name in names]
