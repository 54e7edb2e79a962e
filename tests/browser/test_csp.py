"""The pages work under the site's real Content Security Policy.

Every browser test runs under the real policy and fails on any violation (see conftest.py);
these tests show that the violation detector works, and that the one script-driven feature so
far, the htmx search on People, runs under the policy.
"""

from playwright.sync_api import expect

from peersupport.accounts.models import Employee

from .axe import assert_accessible

INJECT_INLINE_CODE = """() => {
  document.querySelector("main").insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
  const script = document.createElement("script");
  script.textContent = "window.inlineScriptRan = true;";
  document.body.append(script);
}"""


def test_policy_violations_are_detected(page, sign_in):
    sign_in("employee")
    page.goto("/")
    assert_accessible(page)

    page.evaluate(INJECT_INLINE_CODE)
    problems = page.context.problems
    for _ in range(40):  # the violation events arrive asynchronously
        if len(problems.csp_violations) >= 2:
            break
        page.wait_for_timeout(50)
    violations = problems.take_csp_violations()
    assert {v["directive"] for v in violations} == {"style-src-attr", "script-src-elem"}
    # Enforced, not just reported.
    assert page.evaluate("() => window.inlineScriptRan") is None


def test_htmx_search_runs_under_the_policy(page, sign_in, personas):
    sign_in("sysadmin")
    page.goto("/people/")
    expect(page.get_by_text(f"{Employee.objects.count()} employees.")).to_be_visible()
    assert page.evaluate("() => typeof window.htmx") == "object"
    assert_accessible(page)

    number = personas["chief"].employee.employee_number
    page.evaluate("() => { window.sameDocument = true; }")
    page.get_by_role("searchbox", name="Search").press_sequentially(number)
    expect(page.get_by_text("1 matching employee.")).to_be_visible()
    rows = page.get_by_role("region", name="Employees").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the chief
    # htmx swapped the results in: no new page was loaded, and the address was updated.
    assert page.evaluate("() => window.sameDocument") is True
    assert page.url.endswith(f"/people/?q={number}")
    assert_accessible(page)
