"""Layers point one way (docs/architecture.md, "Layers").

Reads every module of the product's apps, every import at the top and inside functions, and
fails on an import that points up or sideways between apps. The allowed order is LAYERS below,
bottom first: an app may import the apps of lower layers, never one of its own layer or above.
Because the order is total between layers and nothing sideways is allowed, the graph between
apps has no cycle; test_the_app_graph_has_no_cycle checks that directly too.

Migrations are history (they keep the import paths of their day) and are not read.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from django.apps import apps as django_apps

ROOT = Path(__file__).resolve().parent.parent / "peersupport"

# Bottom first. The kernel comes first; then the domain apps in tiers. Apps in one tier may not
# import each other (sideways); a reaction across them goes through a signal or a registry.
LAYERS: list[tuple[str, ...]] = [
    # the kernel
    ("audit",),
    ("crypto",),
    ("accounts",),
    ("notifications",),
    ("web",),
    ("calendars",),
    ("integrations",),
    # the domains
    ("resources", "governance", "roster"),
    ("training", "support"),
    ("releases", "confidentiality", "outreach", "selection", "committee"),
    ("reports", "cism"),
]
KERNEL = {"audit", "crypto", "accounts", "notifications", "web", "calendars", "integrations"}
RANK = {app: rank for rank, tier in enumerate(LAYERS) for app in tier}


def _apps_on_disk() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}


def _module_name(path: Path) -> list[str]:
    parts = ["peersupport", *path.relative_to(ROOT).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(path: Path):
    """(line, dotted module) for every import in ``path``, relative ones resolved."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here[:-1]
    yield from _imports_in(path.read_text(), package)


def _imports_in(source: str, package: list[str]):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            # ``from peersupport import support`` names the app in the imported names.
            if module == "peersupport":
                for alias in node.names:
                    yield node.lineno, f"peersupport.{alias.name}"


def _app_edges() -> dict[tuple[str, str], list[str]]:
    apps = _apps_on_disk()
    edges = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts or len(rel.parts) < 2 or rel.parts[0] not in apps:
            continue
        source = rel.parts[0]
        for line, module in _imported(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "peersupport" and parts[1] in apps:
                target = parts[1]
                if target != source:
                    edges[(source, target)].append(f"peersupport/{rel}:{line} imports {module}")
    return edges


def test_every_app_has_a_layer():
    on_disk = _apps_on_disk()
    installed = {
        c.name.split(".", 1)[1] for c in django_apps.get_app_configs() if c.name.startswith("pe")
    }
    assert on_disk == installed, "an app folder that is not installed, or the other way round"
    missing = on_disk - RANK.keys()
    assert not missing, f"give {sorted(missing)} a place in LAYERS and docs/architecture.md"
    assert not RANK.keys() - on_disk, "LAYERS names an app that does not exist"


def test_imports_point_down_only():
    wrong = []
    for (source, target), where in sorted(_app_edges().items()):
        if RANK[target] < RANK[source]:
            continue
        kind = "sideways" if RANK[target] == RANK[source] else "up"
        wrong += [f"{kind}: {w}" for w in where]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_kernel_imports_no_domain_app():
    wrong = [
        w
        for (source, target), where in _app_edges().items()
        if source in KERNEL and target not in KERNEL
        for w in where
    ]
    assert not wrong, "\n".join(wrong)


# The project's own modules beside the apps: settings.py, urls.py and the WSGI and ASGI entry
# points put the apps together and start them; the others (the form renderer every app's forms
# use) sit below the kernel and may import no app at all, or an app could reach any other
# through them.
COMPOSITION = {"settings.py", "urls.py", "wsgi.py", "asgi.py"}


def test_the_project_modules_below_the_kernel_import_no_app():
    apps = _apps_on_disk()
    wrong = []
    for path in sorted(ROOT.glob("*.py")):
        if path.name in COMPOSITION:
            continue
        for line, module in _imported(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "peersupport" and parts[1] in apps:
                wrong.append(f"peersupport/{path.name}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)
    assert (ROOT / "formfields.py").exists()  # the module this rule was written for


def test_tenancy_imports_only_django_and_the_standard_library():
    """peersupport/tenancy.py (the current agency) is allowed everywhere, the audit at the bottom
    included, because it imports nothing of the project (docs/design/agencies.md §2.2)."""
    import sys

    allowed = set(sys.stdlib_module_names) | {"django"}
    imported = {m.split(".")[0] for _, m in _imported(ROOT / "tenancy.py")}
    assert imported <= allowed, sorted(imported - allowed)


def test_the_app_graph_has_no_cycle():
    graph = defaultdict(set)
    for source, target in _app_edges():
        graph[source].add(target)
    state: dict[str, int] = {}

    def visit(app, path):
        state[app] = 1
        for nxt in sorted(graph[app]):
            if state.get(nxt) == 1:
                pytest.fail("cycle: " + " -> ".join([*path, app, nxt]))
            if nxt not in state:
                visit(nxt, [*path, app])
        state[app] = 2

    for app in sorted(graph):
        if app not in state:
            visit(app, [])


def test_the_reader_sees_imports_inside_functions():
    """The test must see what a maintainer hides in a function, and resolve relative imports."""
    source = (
        "def f():\n"
        "    from ..roster import selectors\n"
        "    import peersupport.reports\n"
        "    from . import models\n"
        "    from peersupport import training\n"
    )
    found = {m for _, m in _imports_in(source, ["peersupport", "support"])}
    assert {
        "peersupport.roster",
        "peersupport.reports",
        "peersupport.support",
        "peersupport.training",
    } <= found


def test_reads_and_rules_do_not_import_writes():
    """Pure rules import neither reads nor writes; reads (selectors) never import writes, but
    for the audit's ``record``: reading protected data is itself audited."""
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name not in ("selectors.py", "rules.py"):
            continue
        forbidden = {"services"} if path.name == "selectors.py" else {"services", "selectors"}
        for line, module in _imported(path):
            if module == "peersupport.audit.services" and path.name == "selectors.py":
                continue
            if module.rsplit(".", 1)[-1] in forbidden:
                wrong.append(f"peersupport/{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)
