"""axe-core accessibility checks for the page a browser test is looking at.

axe-playwright-python ships the axe-core script; we inject it ourselves so that it is evaluated
once per document and so that the failure message lists what a person fixing the template needs:
the rule, its impact, the elements (CSS selectors) and the help text with its link.

The script goes in through Playwright's evaluate(), which works through DevTools and is not
subject to the page's Content Security Policy, so the pages are checked under the real policy.
(Were that ever refused, ``new_context(bypass_csp=True)`` is the way out, at the price of the
CSP checks in conftest.py for that context.)
"""

from axe_playwright_python.base import AXE_SCRIPT

# The impacts that fail a test. "minor" and "moderate" findings are left to review.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

_OPTIONS = {"resultTypes": ["violations"]}


def axe_violations(page) -> list[dict]:
    """Run axe-core on the whole current document; return its violations (all impacts)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => window.axe.run(document, options)", _OPTIONS)
    return results["violations"]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail with a readable list if the current page has serious or critical axe violations."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    tracker = getattr(page, "axe_tracker", None)
    if tracker is not None:
        tracker.checked()
    assert not blocking, format_violations(page.url, blocking)
