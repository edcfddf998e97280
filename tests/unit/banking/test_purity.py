"""The readers and the matcher of domain.banking stay pure: no database, no Flask, only the
parsers and three small domain helpers. (The import transaction, the models and the
reconciliation sit beside them in `models`, `imports`, `reconciliation` and `lists`.)"""

import ast
import sys
from pathlib import Path

import domain.banking

PACKAGE = Path(domain.banking.__file__).parent
PURE_MODULES = ("__init__", "model", "statements", "ofx", "camt053", "cfonb120", "bank_csv", "references", "matching")
ALLOWED_LIBRARIES = {"lxml", "ofxtools", "cfonb", "stdnum"}
ALLOWED_DOMAIN = {"domain.billing.money", "domain.billing.payment_reference", "domain.core.text"}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_readers_and_matcher_import_only_the_standard_library_parsers_and_domain_helpers():
    offending = {}
    for path in (PACKAGE / f"{name}.py" for name in PURE_MODULES):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__" or top in ALLOWED_LIBRARIES:
                continue
            if name in ALLOWED_DOMAIN:
                continue
            offending.setdefault(path.name, []).append(name)
    assert offending == {}
