"""The department's peer support privilege profile (issue 19, item 7): part of what a notice
version is, written by the BHS manager with the draft, checked with clear errors, audited,
shown in plain words wherever the notice is, and kept by an old version when a new one
changes it. Without one the notice reads as it always did."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import services
from peersupport.governance.models import PolicyDocument, PolicyVersion
from peersupport.governance.notice import current_notice
from peersupport.governance.rules import PrivilegeProfile, privilege_errors

from .test_policy_pdf import get_pdf
from .test_policy_versions import approved, doc, installed  # noqa: F401 (the autouse fixture)

pytestmark = pytest.mark.django_db
Kind = PolicyDocument.Kind

COLORADO = PrivilegeProfile(
    state="Colorado",
    law="C.R.S. § 13-90-107(1)(m)",
    covered=("sworn", "civilian", "corrections"),
    designated_before_incident=True,
    responders_excluded=True,
    exceptions=("The supporter witnessed a crime.",),
)
TEXAS = PrivilegeProfile(state="Texas", privileged=False)


def approved_notice(personas, privilege):
    return approved(
        personas,
        Kind.CONFIDENTIALITY_NOTICE,
        intro="Before.",
        closing="After.",
        privilege=privilege,
    )


def test_the_rules_in_plain_words():
    lines = COLORADO.lines()
    assert lines[0].startswith("Colorado law (C.R.S. § 13-90-107(1)(m)) protects")
    assert "It covers sworn officers, civilian employees and corrections staff." in lines
    assert "It does not cover family members of employees and retired employees." in lines
    assert any("designated before the incident" in line for line in lines)
    assert any("responded to the incident" in line for line in lines)
    assert "It does not cover a retired peer supporter." in lines
    assert COLORADO.excludes_responders
    (only,) = TEXAS.lines()
    assert only.startswith("Texas has no law that makes what you tell a peer supporter privileged")
    assert not TEXAS.excludes_responders
    assert PrivilegeProfile.from_json(COLORADO.to_json()) == COLORADO
    assert PrivilegeProfile.from_json({}) is None


def test_what_a_profile_must_say():
    errors = privilege_errors(PrivilegeProfile(state=" ", exceptions=("x" * 301,)))
    assert set(errors) == {"privilege_state", "privilege_covered", "privilege_exceptions"}
    assert privilege_errors(TEXAS) == {}  # no privilege: nobody to name as covered


def test_without_a_profile_the_notice_reads_as_before(personas, client_for):
    assert current_notice().privilege is None
    assert PolicyVersion.objects.get(document=doc(Kind.CONFIDENTIALITY_NOTICE)).privilege == {}
    page = client_for("employee").get(reverse("support:ask")).content.decode()
    assert "Peer support privilege" not in page
    # A new version drafted without one states none either.
    approved(personas, Kind.CONFIDENTIALITY_NOTICE, intro="Before.", closing="After.")
    assert current_notice().privilege is None


def test_an_old_version_keeps_the_profile_it_was_published_with(personas):
    v2 = approved_notice(personas, COLORADO)
    assert current_notice().privilege == COLORADO
    v3 = approved_notice(personas, TEXAS)
    assert current_notice().privilege == TEXAS
    assert current_notice().version == v3.label
    assert PrivilegeProfile.from_json(PolicyVersion.objects.get(pk=v2.pk).privilege) == COLORADO


def test_the_notice_shows_it_on_the_ask_page_the_version_page_and_the_pdfs(personas, client_for):
    version = approved_notice(personas, COLORADO)
    ask = client_for("employee").get(reverse("support:ask")).content.decode()
    assert "Peer support privilege in Colorado" in ask
    assert "ask for a supporter who was not there" in ask
    assert "The supporter witnessed a crime." in ask
    detail = client_for("chief").get(reverse("governance:version", args=[version.pk]))
    assert "Peer support privilege in Colorado" in detail.content.decode()
    cache.clear()  # the notice PDF is cached per version label
    resp, printed = get_pdf(client_for("employee"), reverse("governance:notice_pdf"))
    assert resp.status_code == 200
    assert "Peer support privilege in Colorado" in printed.text
    resp, printed = get_pdf(
        client_for("chief"), reverse("governance:version_pdf", args=[version.pk])
    )
    assert resp.status_code == 200
    assert "It covers only a peer supporter the department designated" in printed.text


def _form(**over):
    data = {
        "effective_date": timezone.localdate().isoformat(),
        "intro": "Before.",
        "closing": "After.",
        "privilege_stated": "on",
        "privilege_state": "Colorado",
        "privilege_privileged": "yes",
        "privilege_covered": ["sworn", "family"],
        "privilege_responders_excluded": "on",
        "privilege_exceptions": "A crime was witnessed.\n\n  Child abuse is reported.  \n",
    }
    return data | over


def test_the_draft_form_refuses_a_profile_with_gaps_and_changes_nothing(client_for):
    url = reverse("governance:draft", args=["confidentiality_notice"])
    bhs = client_for("bhs_manager")  # signing in is audited too
    drafted = AuditEvent.objects.filter(action=AuditAction.POLICY_DRAFTED)
    versions, events = PolicyVersion.objects.count(), drafted.count()
    resp = bhs.post(url, _form(privilege_state="", privilege_covered=[]))
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "Name the state whose law applies" in page
    assert "Choose who the law covers" in page
    assert (PolicyVersion.objects.count(), drafted.count()) == (versions, events)
    # Nonsense in a choice is a field error too.
    resp = client_for("bhs_manager").post(url, _form(privilege_covered=["martians"]))
    assert resp.status_code == 400
    assert PolicyVersion.objects.count() == versions


def test_the_draft_form_saves_the_profile_and_the_audit_event_says_what_it_is(personas, client_for):
    url = reverse("governance:draft", args=["confidentiality_notice"])
    resp = client_for("bhs_manager").post(url, _form())
    assert resp.status_code == 302
    version = PolicyVersion.objects.get(status=PolicyVersion.Status.DRAFT)
    profile = PrivilegeProfile.from_json(version.privilege)
    assert profile.covered == ("sworn", "family")
    assert profile.responders_excluded and not profile.designated_before_incident
    assert profile.exceptions == ("A crime was witnessed.", "Child abuse is reported.")
    event = AuditEvent.objects.filter(action=AuditAction.POLICY_DRAFTED).latest("pk")
    assert event.actor_id == personas["bhs_manager"].pk
    assert event.details["privilege"]["state"] == "Colorado"
    # Editing the draft: the form starts from what it states; unticking removes it.
    edit = reverse("governance:edit", args=[version.pk])
    page = client_for("bhs_manager").get(edit).content.decode()
    assert 'value="Colorado"' in page
    resp = client_for("bhs_manager").post(edit, _form(privilege_stated=""))
    assert resp.status_code == 302
    assert PolicyVersion.objects.get(pk=version.pk).privilege == {}


def test_a_new_draft_starts_from_the_profile_in_force(personas, client_for):
    approved_notice(personas, COLORADO)
    url = reverse("governance:draft", args=["confidentiality_notice"])
    page = client_for("bhs_manager").get(url).content.decode()
    assert 'value="Colorado"' in page
    assert 'value="C.R.S. § 13-90-107(1)(m)"' in page


def test_only_the_bhs_manager_states_it(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.policy_version_draft(
            actor=personas["coordinator"],
            document=doc(Kind.CONFIDENTIALITY_NOTICE),
            effective_date=timezone.localdate() + datetime.timedelta(days=1),
            intro="a",
            closing="b",
            privilege=COLORADO,
        )
    assert not PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT).exists()
