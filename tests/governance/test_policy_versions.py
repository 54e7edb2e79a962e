"""Policy versions: the approval state machine (every allowed and refused move), effective
dates, the confidentiality notice read from the approved version, acknowledgements, the pages
and the defaults installed by the data migration."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults, selectors, services
from peersupport.governance.models import (
    ExceptionCategory,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
)
from peersupport.governance.notice import _DEFAULT, current_notice
from peersupport.support.models import ContactMethod, SupportRequest

from ..factories import UserFactory, grant

pytestmark = pytest.mark.django_db
S = PolicyVersion.Status
Kind = PolicyDocument.Kind


@pytest.fixture(autouse=True)
def installed(db):
    """The defaults of the data migration (a transactional test elsewhere may have flushed)."""
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


def doc(kind=Kind.PROGRAM_POLICY) -> PolicyDocument:
    return PolicyDocument.objects.get(kind=kind)


def today() -> datetime.date:
    return timezone.localdate()


def draft(personas, kind=Kind.PROGRAM_POLICY, **over) -> PolicyVersion:
    content = (
        {"intro": "Before.", "closing": "After."}
        if kind == Kind.CONFIDENTIALITY_NOTICE
        else {"body": "The new policy."}
    )
    content |= over
    content.setdefault("effective_date", today())
    return services.policy_version_draft(
        actor=personas["bhs_manager"], document=doc(kind), **content
    )


def submitted(personas, kind=Kind.PROGRAM_POLICY, **over) -> PolicyVersion:
    version = draft(personas, kind, **over)
    return services.policy_version_submit(actor=personas["bhs_manager"], version=version)


def approved(personas, kind=Kind.PROGRAM_POLICY, **over) -> PolicyVersion:
    version = submitted(personas, kind, **over)
    return services.policy_version_approve(actor=personas["chief"], version=version)


def snapshot(version: PolicyVersion) -> dict:
    return PolicyVersion.objects.filter(pk=version.pk).values().get()


def audit_count() -> int:
    return AuditEvent.objects.count()


# --- The data migration's defaults ----------------------------------------------------------


def test_migration_installs_the_eight_exceptions_and_approved_version_1():
    codes = list(ExceptionCategory.objects.values_list("code", flat=True))
    assert codes == [c[0] for c in defaults.EXCEPTION_CATEGORIES]
    assert len(codes) == 8
    assert all(c.action and c.explanation and c.active for c in ExceptionCategory.objects.all())
    for kind in Kind:
        current = selectors.current_version(kind)
        assert current.number == 1 and current.status == S.APPROVED
        assert current.effective_date <= today()


def test_notice_version_1_repeats_the_built_in_notice_word_for_word():
    notice = current_notice()
    assert notice == _DEFAULT  # text, exceptions and version string


def test_without_an_approved_notice_the_built_in_default_is_shown():
    PolicyVersion.objects.filter(document__kind=Kind.CONFIDENTIALITY_NOTICE).update(status=S.DRAFT)
    assert current_notice() == _DEFAULT


# --- Allowed moves --------------------------------------------------------------------------


def test_bhs_manager_drafts_edits_and_submits(personas):
    before = audit_count()
    version = draft(personas)
    assert (version.number, version.status, version.label) == (2, S.DRAFT, "policy-v2")
    assert version.drafted_by == personas["bhs_manager"]
    version = services.policy_version_edit(
        actor=personas["bhs_manager"], version=version, effective_date=today(), body="Better."
    )
    assert PolicyVersion.objects.get(pk=version.pk).body == "Better."
    version = services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    assert version.status == S.SUBMITTED and version.submitted_by == personas["bhs_manager"]
    actions = list(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True))
    assert actions == [AuditAction.POLICY_DRAFTED] * 2 + [AuditAction.POLICY_SUBMITTED]


def test_chief_approves_and_it_is_current(personas):
    version = approved(personas)
    assert version.status == S.APPROVED and version.decided_by == personas["chief"]
    assert selectors.current_version(Kind.PROGRAM_POLICY) == version
    assert AuditEvent.objects.filter(
        action=AuditAction.POLICY_APPROVED, target_id=str(version.pk)
    ).exists()


def test_chief_returns_with_comment_then_bhs_edits_and_resubmits(personas):
    version = submitted(personas)
    version = services.policy_version_return(
        actor=personas["chief"], version=version, comment="Say who may read contacts."
    )
    assert version.status == S.RETURNED and version.chief_comment == "Say who may read contacts."
    assert AuditEvent.objects.filter(action=AuditAction.POLICY_RETURNED).count() == 1
    version = services.policy_version_edit(
        actor=personas["bhs_manager"], version=version, effective_date=today(), body="Fixed."
    )
    version = services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    assert version.status == S.SUBMITTED
    version = services.policy_version_approve(actor=personas["chief"], version=version)
    assert selectors.current_version(Kind.PROGRAM_POLICY).body == "Fixed."


# --- Refused moves: a clear message, nothing changed -----------------------------------------


def _refused(call, version, message):
    before, events = snapshot(version), audit_count()
    with pytest.raises(ValidationError) as exc:
        call()
    assert message in " ".join(exc.value.messages)
    assert snapshot(version) == before
    assert audit_count() == events


@pytest.mark.parametrize(
    "persona", ["bhs_manager", "coordinator", "supporter", "sysadmin", "employee", "supervisor"]
)
def test_approval_by_anyone_but_the_chief_is_refused(personas, persona):
    version = submitted(personas)
    _refused(
        lambda: services.policy_version_approve(actor=personas[persona], version=version),
        version,
        "Only the Chief of Police approves",
    )
    _refused(
        lambda: services.policy_version_return(
            actor=personas[persona], version=version, comment="No."
        ),
        version,
        "Only the Chief of Police",
    )


@pytest.mark.parametrize("persona", ["chief", "coordinator", "supporter"])
def test_only_the_bhs_manager_drafts_edits_and_submits(personas, persona):
    version = draft(personas)
    actor = personas[persona]
    _refused(
        lambda: services.policy_version_submit(actor=actor, version=version),
        version,
        "Only the BHS manager",
    )
    _refused(
        lambda: services.policy_version_edit(
            actor=actor, version=version, effective_date=today(), body="Mine."
        ),
        version,
        "Only the BHS manager",
    )
    version.delete()
    count = PolicyVersion.objects.count()
    with pytest.raises(ValidationError, match="Only the BHS manager"):
        services.policy_version_draft(actor=actor, document=doc(), effective_date=today(), body="x")
    assert PolicyVersion.objects.count() == count


@pytest.mark.parametrize(
    ("state", "action", "persona"),
    [
        ("draft", "approve", "chief"),
        ("draft", "return", "chief"),
        ("submitted", "submit", "bhs_manager"),
        ("approved", "submit", "bhs_manager"),
        ("approved", "approve", "chief"),
        ("approved", "return", "chief"),
        ("returned", "approve", "chief"),
        ("returned", "return", "chief"),
    ],
)
def test_moves_not_in_the_table_are_refused(personas, state, action, persona):
    version = {"draft": draft, "submitted": submitted, "approved": approved}.get(state, submitted)(
        personas
    )
    if state == "returned":
        version = services.policy_version_return(
            actor=personas["chief"], version=version, comment="Again."
        )
    _refused(
        lambda: services.policy_version_transition(
            actor=personas[persona], version=version, action=action, comment="c"
        ),
        version,
        "cannot be",
    )


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_only_drafts_and_returned_versions_can_be_edited(personas, state):
    version = submitted(personas) if state == "submitted" else approved(personas)
    _refused(
        lambda: services.policy_version_edit(
            actor=personas["bhs_manager"], version=version, effective_date=today(), body="x"
        ),
        version,
        "cannot be edited",
    )


def test_return_needs_a_comment(personas):
    version = submitted(personas)
    _refused(
        lambda: services.policy_version_return(
            actor=personas["chief"], version=version, comment=" "
        ),
        version,
        "Say what needs to change",
    )


def test_one_version_in_progress_at_a_time(personas):
    draft(personas)
    count = PolicyVersion.objects.count()
    with pytest.raises(ValidationError, match="already has a version in progress"):
        draft(personas)
    assert PolicyVersion.objects.count() == count


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"effective_date": None}, "Give the date"),
        ({"body": "  "}, "Write the text"),
    ],
)
def test_bad_drafts_are_refused(personas, over, message):
    count = PolicyVersion.objects.count()
    with pytest.raises(ValidationError, match=message):
        draft(personas, **over)
    assert PolicyVersion.objects.count() == count


def test_past_effective_date_is_refused(personas):
    with pytest.raises(ValidationError, match="cannot be in the past"):
        draft(personas, effective_date=today() - datetime.timedelta(days=1))
    version = draft(personas)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        _refused(
            lambda: services.policy_version_submit(actor=personas["bhs_manager"], version=version),
            version,
            "cannot be in the past",
        )


# --- Effective dates ------------------------------------------------------------------------


def test_future_effective_date_becomes_current_on_that_date(personas):
    start = timezone.now()
    later = today() + datetime.timedelta(days=10)
    version = approved(personas, Kind.CONFIDENTIALITY_NOTICE, effective_date=later)
    assert current_notice().version == "program-default-1"
    assert selectors.current_version(Kind.CONFIDENTIALITY_NOTICE).number == 1
    with time_machine.travel(start + datetime.timedelta(days=10)):
        assert selectors.current_version(Kind.CONFIDENTIALITY_NOTICE) == version
        assert current_notice().version == "notice-v2"


# --- The notice shown and recorded ----------------------------------------------------------


def test_current_notice_follows_the_approved_notice_and_requests_record_it(personas, client_for):
    ExceptionCategory.objects.create(
        code="state-law",
        name="State reporting law",
        explanation="As the state requires.",
        action="Escalate.",
        order=99,
    )
    ExceptionCategory.objects.filter(code="narcotic-offenses").update(active=False)
    approved(personas, Kind.CONFIDENTIALITY_NOTICE, intro="New intro.", closing="New closing.")
    notice = current_notice()
    assert notice.version == "notice-v2"
    assert (notice.intro, notice.closing) == ("New intro.", "New closing.")
    assert notice.exceptions[0] == "Danger to self: The person may harm themselves."
    assert "State reporting law: As the state requires." in notice.exceptions
    assert not any("Narcotic" in line for line in notice.exceptions)

    page = client_for("employee").get(reverse("support:ask"))
    assert "New intro." in page.content.decode()
    assert 'value="notice-v2"' in page.content.decode()
    resp = client_for("employee").post(
        reverse("support:ask"),
        {
            "contact_method": ContactMethod.MESSAGES,
            "limits_read": "on",
            "notice_version": "notice-v2",
            "token": "t-gov",
        },
    )
    assert resp.status_code == 302
    assert SupportRequest.objects.get().notice_version == "notice-v2"


def test_approved_notice_keeps_its_snapshot_when_categories_change(personas):
    version = approved(personas, Kind.CONFIDENTIALITY_NOTICE)
    ExceptionCategory.objects.filter(code="danger-to-self").update(name="Renamed")
    assert PolicyVersion.objects.get(pk=version.pk).exceptions[0]["name"] == "Danger to self"


# --- Acknowledgements -----------------------------------------------------------------------


def test_supporters_acknowledge_and_coordinator_sees_who_has_not(personas, client_for):
    other = UserFactory(email="second.supporter@pd.example.org", display_name="Second")
    grant(other, "peer_supporter")
    current = selectors.current_version(Kind.PROGRAM_POLICY)
    assert set(selectors.supporters_not_acknowledged(current)) == {personas["supporter"], other}

    resp = client_for("supporter").post(
        reverse("governance:acknowledge"), {"version_id": current.pk}
    )
    assert resp.status_code == 302
    assert PolicyAcknowledgement.objects.filter(user=personas["supporter"]).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.POLICY_ACKNOWLEDGED).count() == 1
    assert list(selectors.supporters_not_acknowledged(current)) == [other]
    page = client_for("coordinator").get(reverse("governance:acknowledgements")).content.decode()
    assert "Second" in page and "Supporter" not in page.split("Not yet acknowledged")[1]

    # A new version in force: everyone acknowledges again.
    new = approved(personas)
    assert set(selectors.supporters_not_acknowledged(new)) == {personas["supporter"], other}


def test_only_the_policy_in_force_can_be_acknowledged(personas, client_for):
    version = draft(personas)
    resp = client_for("supporter").post(
        reverse("governance:acknowledge"), {"version_id": version.pk}
    )
    assert resp.status_code == 404  # a supporter never sees drafts
    old = selectors.current_version(Kind.PROGRAM_POLICY)
    services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    services.policy_version_approve(actor=personas["chief"], version=version)
    with pytest.raises(ValidationError, match="in force"):
        services.policy_acknowledge(actor=personas["supporter"], version=old)
    with pytest.raises(ValidationError, match="Only peer supporters"):
        services.policy_acknowledge(actor=personas["coordinator"], version=version)
    assert not PolicyAcknowledgement.objects.exists()


def test_revoked_supporters_are_not_listed(personas):
    from peersupport.accounts.models import RoleGrant

    RoleGrant.objects.filter(user=personas["supporter"]).update(revoked_at=timezone.now())
    assert not selectors.active_supporters().exists()


# --- Pages ----------------------------------------------------------------------------------


def test_pages_for_each_role(personas, client_for):
    current = selectors.current_version(Kind.PROGRAM_POLICY)
    notice = selectors.current_version(Kind.CONFIDENTIALITY_NOTICE)
    for persona in ("bhs_manager", "chief", "coordinator"):
        assert client_for(persona).get(reverse("governance:list")).status_code == 200
        assert (
            client_for(persona).get(reverse("governance:version", args=[notice.pk])).status_code
            == 200
        )
    supporter = client_for("supporter")
    assert supporter.get(reverse("governance:list")).status_code == 403
    assert supporter.get(reverse("governance:version", args=[current.pk])).status_code == 200
    assert supporter.get(reverse("governance:version", args=[notice.pk])).status_code == 404
    assert supporter.get(reverse("governance:current")).status_code == 200
    assert client_for("employee").get(reverse("governance:current")).status_code == 403


def test_draft_page_bad_input_is_400_and_changes_nothing(client_for):
    count = PolicyVersion.objects.count()
    url = reverse("governance:draft", args=["program_policy"])
    resp = client_for("bhs_manager").post(url, {"effective_date": "yesterday", "body": ""})
    assert resp.status_code == 400
    assert "errorlist" in resp.content.decode()
    assert PolicyVersion.objects.count() == count
    past = (today() - datetime.timedelta(days=2)).isoformat()
    resp = client_for("bhs_manager").post(url, {"effective_date": past, "body": "Text"})
    assert resp.status_code == 400 and "cannot be in the past" in resp.content.decode()
    assert (
        client_for("bhs_manager").get(reverse("governance:draft", args=["nope"])).status_code == 404
    )


def test_draft_submit_return_approve_through_the_pages(personas, client_for):
    bhs, chief = client_for("bhs_manager"), client_for("chief")
    resp = bhs.post(
        reverse("governance:draft", args=["confidentiality_notice"]),
        {"effective_date": today().isoformat(), "intro": "Hello.", "closing": "Bye."},
    )
    assert resp.status_code == 302
    version = PolicyVersion.objects.get(status=S.DRAFT)
    assert bhs.post(reverse("governance:submit", args=[version.pk])).status_code == 302
    resp = chief.post(reverse("governance:return", args=[version.pk]), {"comment": ""})
    assert resp.status_code == 400 and "Say what needs to change" in resp.content.decode()
    assert PolicyVersion.objects.get(pk=version.pk).status == S.SUBMITTED
    # The BHS manager cannot approve even by posting to the URL.
    assert bhs.post(reverse("governance:approve", args=[version.pk])).status_code == 403
    assert chief.post(reverse("governance:approve", args=[version.pk])).status_code == 302
    assert current_notice().intro == "Hello."
    resp = chief.post(reverse("governance:approve", args=[version.pk]))
    assert resp.status_code == 400 and "cannot be approved" in resp.content.decode()
