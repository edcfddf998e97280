"""The URL map turned into concrete URLs.

Routes are always enumerated from the application's URL map, so a route added later is
covered (or makes a test fail until it is described in World.ids_for) instead of escaping
the checks.
"""

from __future__ import annotations

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def rules(app, *, methods: set[str] | None = None):
    """(rule, method) for every route of the URL map, HEAD/OPTIONS left out."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                yield rule, method


def url_of(app, rule, values: dict) -> str:
    """The rule's URL with its arguments taken from `values` (KeyError names a missing one)."""
    fixed = rule.defaults or {}  # two rules of one view told apart by their defaults (archive / restore)
    missing = [name for name in rule.arguments if name not in values and name not in fixed]
    if missing:
        raise KeyError(f"{rule.rule}: no value for {missing}; describe it in tests/support/world.py (World.ids_for)")
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        arguments = {name: values[name] for name in rule.arguments if name not in fixed} | fixed
        return adapter.build(rule.endpoint, arguments, force_external=False)
