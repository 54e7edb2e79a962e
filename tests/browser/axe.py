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


# A page shown again with a field's error (Django's ``errorlist``) must carry the site's error
# summary (templates/web/_error_summary.html): "Error:" first in the title, the summary in the
# main content, every link in it leading to an element on the page, and every field marked
# invalid described by an element that exists (its message).
_FORM_ERROR_PROBLEMS = r"""() => {
  const problems = [];
  const marked = document.querySelectorAll(".errorlist, [aria-invalid='true']");
  const shown = [...marked].filter(el => el.offsetParent !== null || el.type === "hidden");
  if (!shown.length) return problems;
  const summary = document.querySelector("main [data-error-summary]");
  if (!summary) problems.push("no error summary in the main content");
  if (!document.title.startsWith("Error: ")) {
    problems.push("title without 'Error: ': " + document.title);
  }
  if (summary) {
    if (summary.getAttribute("tabindex") !== "-1") problems.push("summary cannot take focus");
    for (const link of summary.querySelectorAll("a[href^='#']")) {
      if (!document.getElementById(link.getAttribute("href").slice(1))) {
        problems.push("summary link to nothing: " + link.getAttribute("href"));
      }
    }
  }
  for (const field of document.querySelectorAll("[aria-invalid='true']")) {
    const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.length && !field.closest("fieldset")) {
      problems.push("invalid field without a description: " + (field.id || field.name));
    }
    for (const id of ids) {
      if (!document.getElementById(id)) problems.push("described by nothing: " + id);
    }
  }
  return problems;
}"""


def form_error_problems(page) -> list[str]:
    """What the page's error handling misses (an empty list: nothing, or no errors shown)."""
    return page.evaluate(_FORM_ERROR_PROBLEMS)


def assert_accessible(page) -> None:
    """Fail with a readable list if the current page has serious or critical axe violations,
    or shows a form's errors without the site's error summary (see _FORM_ERROR_PROBLEMS)."""
    problems = form_error_problems(page)
    assert not problems, f"form errors on {page.url} without the error summary: {problems}"
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    tracker = getattr(page, "axe_tracker", None)
    if tracker is not None:
        tracker.checked()
    assert not blocking, format_violations(page.url, blocking)
