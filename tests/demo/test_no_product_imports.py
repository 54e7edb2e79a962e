"""The demo department builds on the product from outside: no module under peersupport/ imports
the top-level ``demo`` package, at the top or inside a function."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent / "peersupport"


def _imports_demo(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        if any(name == "demo" or name.startswith("demo.") for name in names):
            lines.append(node.lineno)
    return lines


def test_the_product_does_not_import_the_demo():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        wrong += [f"{rel}:{line}" for line in _imports_demo(path.read_text())]
    assert not wrong, "peersupport/ imports demo:\n" + "\n".join(wrong)


def test_the_reader_sees_imports_inside_functions():
    source = "def f():\n    from demo.personas import PERSONAS\n    import demo\n"
    assert _imports_demo(source) == [2, 3]
    assert _imports_demo("from .demo import x\nimport demographics\n") == []
