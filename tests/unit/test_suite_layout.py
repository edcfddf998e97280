"""The suite's own layout: shared code lives in tests/support, conftest files hold fixtures.

Every Python file under tests/ is read, so a new module cannot escape the rule. A test
module importing another one (or a conftest) ties unrelated tests together, and pytest
then sees that module's fixtures and tests in two places.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(TESTS)): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(TESTS.rglob("*.py"))}


def _imported(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def _shared_code_misplaced(module: str) -> bool:
    """An import of a conftest, or of any part of the suite other than tests.support."""
    parts = module.split(".")
    return "conftest" in parts or (parts[0] == "tests" and len(parts) > 1 and parts[1] != "support")


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def test_suite_code_is_imported_only_from_tests_support():
    wrong = {path: bad for path, tree in _modules().items()
             if (bad := [name for name in _imported(tree) if _shared_code_misplaced(name)])}
    assert wrong == {}, f"move what these modules need to tests/support: {wrong}"


def test_conftest_files_define_only_fixtures_and_hooks():
    wrong = {}
    for path, tree in _modules().items():
        if Path(path).name != "conftest.py":
            continue
        other = [node.name for node in tree.body
                 if isinstance(node, ast.ClassDef)
                 or (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("pytest_")
                     and not any(_is_fixture(d) for d in node.decorator_list))]
        if other:
            wrong[path] = other
    assert wrong == {}, f"move these to tests/support: {wrong}"
