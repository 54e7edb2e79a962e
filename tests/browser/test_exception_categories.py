"""Exception categories and the PDFs in a real browser: the BHS manager adds a category (after
a duplicate code is refused), edits it, retires it and restores it; a requester without an
account downloads the notice as a PDF from the page they ask on, and a supporter the policy in
force. Every page checked with axe."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion

from .axe import assert_accessible
from .conftest import open_page


@pytest.fixture(autouse=True)
def installed(personas):
    # The live server's transactional tests flush the tables the data migration filled.
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_bhs_manager_adds_edits_and_retires_a_category(page, sign_in):
    sign_in("bhs_manager")
    page.goto("/policy/categories/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exception categories")
    expect(page.get_by_text("only when the BHS manager drafts a new version")).to_be_visible()
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="Add a category"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an exception category")
    expect(page.get_by_label("Place in the list")).to_have_value("90")
    assert_accessible(page)
    page.get_by_label("Code").fill("danger-to-self")
    page.get_by_label("Name").fill("State reporting law")
    page.get_by_label("Explanation").fill("The state requires a report.")
    page.get_by_label("Action it triggers").fill("Escalate to the BHS manager.")
    submit(page, page.get_by_role("button", name="Add the category"))
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "The code is taken by “Danger to self”."
    )
    assert_accessible(page)
    assert not ExceptionCategory.objects.filter(name="State reporting law").exists()

    page.get_by_label("Code").fill("state-law")
    submit(page, page.get_by_role("button", name="Add the category"))
    expect(page.get_by_text("Added “State reporting law”.")).to_be_visible()
    active = page.get_by_role("region", name="Active categories")
    expect(active.get_by_role("row", name="State reporting law")).to_be_visible()
    assert_accessible(page)
    assert ExceptionCategory.objects.get(code="state-law").active

    submit(page, page.get_by_role("link", name="Edit State reporting law"))
    expect(page.get_by_text("fixed: escalations refer to it")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Explanation").fill("The state's reporting law requires a report.")
    page.get_by_label("Show the supporter crisis resources when it is raised").check()
    submit(page, page.get_by_role("button", name="Save changes"))
    expect(page.get_by_text("Saved “State reporting law”.")).to_be_visible()
    assert_accessible(page)
    category = ExceptionCategory.objects.get(code="state-law")
    assert category.crisis_resources
    assert category.explanation == "The state's reporting law requires a report."

    submit(page, page.get_by_role("link", name="Retire State reporting law"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Retire State reporting law")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Retire this category"))
    expect(page.get_by_text("Retired “State reporting law”.")).to_be_visible()
    retired = page.get_by_role("region", name="Retired categories")
    expect(retired.get_by_role("row", name="State reporting law")).to_be_visible()
    expect(active.get_by_role("row", name="State reporting law")).to_have_count(0)
    assert_accessible(page)
    assert not ExceptionCategory.objects.get(code="state-law").active

    # Retired by mistake: it comes back.
    submit(page, retired.get_by_role("link", name="Restore State reporting law"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Restore State reporting law")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Restore this category"))
    expect(page.get_by_text("Restored “State reporting law”.")).to_be_visible()
    expect(active.get_by_role("row", name="State reporting law")).to_be_visible()
    assert_accessible(page)
    assert ExceptionCategory.objects.get(code="state-law").active
    assert list(
        AuditEvent.objects.filter(details__code="state-law")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        AuditAction.CATEGORY_CREATED,
        AuditAction.CATEGORY_UPDATED,
        AuditAction.CATEGORY_RETIRED,
        AuditAction.CATEGORY_RESTORED,
    ]


def test_a_requester_without_an_account_downloads_the_notice(new_context):
    page = open_page(new_context())
    page.goto("/support/public/ask/")
    notice = page.get_by_role("region", name="The limits of confidentiality")
    assert_accessible(page)
    with page.expect_download() as info:
        notice.get_by_role("link", name="Download this notice (PDF)").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == "confidentiality-notice-program-default-1.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")


def test_a_supporter_downloads_the_policy_in_force(new_context, sign_in):
    context = new_context()
    sign_in("supporter", into=context)
    page = open_page(context)
    page.goto("/policy/current/")
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download version 1 as PDF").click()
    assert info.value.suggested_filename == "program-policy-v1.pdf"
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action=AuditAction.POLICY_PDF).count() == 1
