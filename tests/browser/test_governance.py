"""A policy version in a real browser: the BHS manager drafts and submits it, the Chief returns
it with a comment, the BHS manager edits and resubmits, the Chief approves, and a supporter
acknowledges it. Every page checked with axe."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.governance import defaults
from peersupport.governance.models import (
    ExceptionCategory,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
)

from .axe import assert_accessible
from .conftest import open_page

S = PolicyVersion.Status


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


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def test_draft_return_resubmit_approve_acknowledge(new_context, sign_in):
    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto("/policy/")
    expect(bhs.get_by_role("heading", level=1)).to_have_text("Program policy")
    assert_accessible(bhs)

    submit(bhs, bhs.get_by_role("link", name="Draft a new version of the program policy"))
    assert_accessible(bhs)
    bhs.get_by_label("Takes effect on").fill(timezone.localdate().isoformat())
    bhs.get_by_label("Policy text").fill("")
    submit(bhs, bhs.get_by_role("button", name="Save the draft"))
    expect(bhs.locator("[data-error-summary]")).to_contain_text("This field is required.")
    assert_accessible(bhs)
    bhs.get_by_label("Policy text").fill("Version two of the policy.")
    submit(bhs, bhs.get_by_role("button", name="Save the draft"))
    expect(bhs.get_by_role("heading", level=1)).to_have_text(
        "Peer Support Program policy, version 2"
    )
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("button", name="Submit to the Chief for approval"))
    expect(bhs.get_by_text("Version 2 is submitted to the Chief.")).to_be_visible()
    assert_accessible(bhs)
    version = PolicyVersion.objects.get(number=2, document__kind="program_policy")
    assert version.status == S.SUBMITTED

    chief = as_persona(new_context, sign_in, "chief")
    chief.goto(f"/policy/versions/{version.pk}/")
    assert_accessible(chief)
    submit(chief, chief.get_by_role("button", name="Return with comments"))
    expect(chief.locator("[data-error-summary]")).to_contain_text(
        "Say what needs to change before returning it."
    )
    assert_accessible(chief)
    chief.get_by_label("What needs to change").fill("Add the training hours.")
    submit(chief, chief.get_by_role("button", name="Return with comments"))
    expect(chief.get_by_text("Version 2 is returned.")).to_be_visible()
    assert_accessible(chief)

    bhs.goto(f"/policy/versions/{version.pk}/")
    expect(bhs.get_by_text("Add the training hours.")).to_be_visible()
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("link", name="Edit this version"))
    assert_accessible(bhs)
    bhs.get_by_label("Policy text").fill("Version two, with 32 hours of training a year.")
    submit(bhs, bhs.get_by_role("button", name="Save the draft"))
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("button", name="Submit to the Chief for approval"))
    assert_accessible(bhs)

    chief.goto(f"/policy/versions/{version.pk}/")
    assert_accessible(chief)
    submit(chief, chief.get_by_role("button", name="Approve version 2"))
    expect(chief.get_by_text("Version 2 is approved.")).to_be_visible()
    assert_accessible(chief)
    version.refresh_from_db()
    assert version.status == S.APPROVED and version.chief_comment == ""

    supporter = as_persona(new_context, sign_in, "supporter")
    supporter.goto("/policy/current/")
    expect(supporter.get_by_text("32 hours of training a year")).to_be_visible()
    assert_accessible(supporter)
    submit(supporter, supporter.get_by_role("button", name="I have read this policy"))
    expect(supporter.get_by_text("You have acknowledged this version.")).to_be_visible()
    assert_accessible(supporter)
    assert PolicyAcknowledgement.objects.get().version == version

    coordinator = as_persona(new_context, sign_in, "coordinator")
    coordinator.goto("/policy/acknowledgements/")
    expect(coordinator.get_by_text("Every active supporter has acknowledged")).to_be_visible()
    assert_accessible(coordinator)
