"""Import directions: output.platform is a leaf; platform_local knows nothing of the Encaisse app."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_MODULES = {"app", "web", "domain", "blueprints", "extensions", "database", "documents_web", "cli", "config"}


def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_output_platform_is_a_leaf():
    allowed_third_party = {"requests", "lxml"}
    for path, names in _imports("output/platform").items():
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top in allowed_third_party or name.startswith("output"), \
                f"{path} imports {name}"


def test_the_local_platform_does_not_know_the_app():
    for path, names in _imports("platform_local").items():
        for name in names:
            top = name.split(".")[0]
            assert top not in APP_MODULES, f"{path} imports {name}"
            if top == "output":
                assert name.startswith("output.einvoice"), f"{path} imports {name}: only the checker is shared"
