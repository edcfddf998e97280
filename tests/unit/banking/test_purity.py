"""domain.banking stays pure: no database, no Flask, only the parsers and two domain helpers."""

import ast
import sys
from pathlib import Path

import domain.banking

PACKAGE = Path(domain.banking.__file__).parent
ALLOWED_LIBRARIES = {"lxml", "ofxtools", "cfonb", "stdnum"}
ALLOWED_DOMAIN = {"domain.billing.money", "domain.core.text"}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_modules_import_only_the_standard_library_parsers_and_two_domain_helpers():
    offending = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__" or top in ALLOWED_LIBRARIES:
                continue
            if name in ALLOWED_DOMAIN:
                continue
            offending.setdefault(path.name, []).append(name)
    assert offending == {}
