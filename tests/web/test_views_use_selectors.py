"""Views read through selectors, never the ORM directly (docs/architecture.md, "Layers").

Reads every views module of the product (``views*.py`` and the kernel's page modules in
``web/``) and fails on ``<Model>.objects``, ``get_object_or_404`` or ``get_list_or_404``: a
read belongs in the app's ``selectors.py``, which applies the access rule and answers 404.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent / "peersupport"

# Views being moved into their own apps right now; they go through selectors once moved.
NOT_YET: set[str] = set()
# The kernel's page modules in web/ (its other modules are not views).
WEB_PAGES = {"web/views.py", "web/people.py", "web/audit_log.py", "web/pwa.py"}
FORBIDDEN_CALLS = {"get_object_or_404", "get_list_or_404"}


def _views_modules() -> list[Path]:
    found = set(ROOT.glob("*/views*.py")) | {ROOT / name for name in WEB_PAGES}
    return sorted(p for p in found if p.exists())


def _orm_uses(source: str) -> list[tuple[int, str]]:
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            uses.append((node.lineno, f"{ast.unparse(node)}"))
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS:
            uses.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_CALLS:
            uses.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in FORBIDDEN_CALLS:
            uses.append((getattr(node, "lineno", 0), f"import {node.name}"))
    return uses


def test_views_modules_are_found():
    names = {str(p.relative_to(ROOT)) for p in _views_modules()}
    assert {"outreach/views.py", "support/views_supporter.py", "web/people.py"} <= names
    assert names >= NOT_YET, "a module on the allow-list is gone: take it off"


@pytest.mark.parametrize(
    "path", [p for p in _views_modules() if str(p.relative_to(ROOT)) not in NOT_YET], ids=str
)
def test_views_make_no_orm_calls(path):
    uses = _orm_uses(path.read_text())
    assert not uses, f"{path.relative_to(ROOT)} reads the ORM; use a selector: " + ", ".join(
        f"line {line}: {what}" for line, what in uses
    )


@pytest.mark.parametrize(
    "source",
    [
        "x = Contact.objects.filter(pk=1)",
        "from django.shortcuts import get_object_or_404",
        "y = get_list_or_404(qs)",
        "z = shortcuts.get_object_or_404(Model, pk=1)",
    ],
)
def test_the_check_sees_orm_calls(source):
    assert _orm_uses(source)


def test_the_check_lets_selectors_through():
    assert not _orm_uses("item = selectors.contact_for(request.user, contact_id)")
