"""The web layer, between the blueprints and the domain (blueprints → web → domain → output).

One module per job: ``http`` (page or fragment, redirects), ``tenancy`` (the current
company, bounded ids), ``forms``, ``editor`` (the lines editor), ``filters`` (list filters),
``once`` (a POST acts once), ``urls`` (document pages, client links, public base URL),
``panels`` (fragments several pages embed), ``documents`` (the frozen answer, PDFs),
``templating`` (every template filter and global), ``security`` (headers), ``errors``,
``roles`` (who may call which route), ``sessions`` (server-side sessions) and ``proxy``
(forwarded headers believed only from a configured proxy).
Blueprints import these and the domain, never each other.
"""

from __future__ import annotations

from flask import Flask

from web import errors, roles, security, templating
from web.tenancy import IdConverter


def init_app(app: Flask) -> None:
    """Register hooks, headers, error pages and template helpers (before any blueprint: the
    routes' `<int:…>` converter is replaced here)."""
    app.url_map.converters["int"] = IdConverter
    security.init_app(app)
    roles.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
