"""Selection in the browser's words: what the candidate sees, every step through the pages, the
board and constant query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.selection import rules
from peersupport.selection import selectors as sel_selectors
from peersupport.selection.models import (
    Candidacy,
    ChainStep,
    Interview,
)

from ..conftest import signed_in_client
from ..factories import CandidacyEventFactory, NominationFactory, enable_totp, grant
from .helpers import (
    at_stage,
    colleague,
    many,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome


# --- What the candidate sees ------------------------------------------------------------------


def test_the_candidate_sees_a_timeline_without_scores_notes_or_hidden_nominators(dept, client_for):
    nominee = dept.users["committee_member"]  # an employee with MFA and no program role
    candidacy = at_stage(dept, Stage.CHAIN, nominee=nominee)
    NominationFactory(
        candidacy=candidacy,
        nominator=dept.users["supporter"],
        reason="Secret reason.",
        hide_from_nominee=True,
    )
    CandidacyEventFactory(
        candidacy=candidacy,
        action="select",
        from_stage=Stage.INTERVIEW,
        to_stage=Stage.CHAIN,
        label="Selected by the interview panel",
        reason="Private panel reasoning.",
    )
    page = client_for("committee_member").get(reverse("selection:mine"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "With the chain of command" in text
    assert "Selected by the interview panel" in text
    assert dept.users["employee"].employee.full_name in text  # named nominator
    assert "1 colleague who asked not to be named" in text
    assert dept.users["supporter"].employee.full_name not in text
    for secret in ("Calm and credible", "Private panel reasoning", "Secret reason", ">9<"):
        assert secret not in text


def test_staff_see_scores_and_only_note_readers_see_notes(dept, client_for):
    candidacy = at_stage(dept, Stage.CHAIN)
    url = reverse("selection:candidacy", args=[candidacy.pk])
    coordinator = client_for("coordinator").get(url).content.decode()
    assert "Calm and credible" in coordinator
    assert AuditEvent.objects.filter(action=AuditAction.SELECTION_NOTES_VIEWED).count() == 1
    chief = client_for("chief").get(url).content.decode()
    assert "Calm and credible" not in chief and "Listening" in chief


def test_a_panelist_or_supervisor_outside_the_candidacy_gets_404(dept, client_for):
    candidacy = at_stage(dept, Stage.CHAIN)
    other = colleague(dept, "Otto")
    grant(other, Role.PANELIST)
    enable_totp(other)

    client = signed_in_client(other)
    assert client.get(reverse("selection:score", args=[candidacy.pk])).status_code == 404
    assert (
        client_for("supervisor").get(reverse("selection:endorse", args=[candidacy.pk])).status_code
        == 200
    )


# --- Every step in the browser's words (the views) ---------------------------------------------


def test_every_step_through_the_pages(dept, client_for, tall_chain):
    employee = client_for("employee")
    nominee = dept.users["committee_member"]
    page = employee.get(reverse("selection:nominate"))
    assert page.status_code == 200
    refused = employee.post(
        reverse("selection:nominate"),
        {"nominee": dept.users["employee"].email, "reason": "Me."},
    )
    assert refused.status_code == 400 and "cannot nominate yourself" in refused.content.decode()
    done = employee.post(
        reverse("selection:nominate"),
        {
            "nominee": nominee.employee.employee_number,
            "reason": "Trusted.",
            "hide_from_nominee": "on",
        },
    )
    assert done.status_code == 302
    candidacy = Candidacy.objects.get(nominee=nominee)
    me = client_for("committee_member")
    assert "You have been nominated" in me.get(reverse("selection:tasks")).content.decode()
    assert me.post(reverse("selection:answer"), {"answer": "accept"}).status_code == 400
    assert (
        me.post(
            reverse("selection:answer"), {"answer": "accept", "motivation": "To give back."}
        ).status_code
        == 302
    )
    coordinator = client_for("coordinator")
    assert coordinator.get(reverse("selection:board")).status_code == 200
    assert coordinator.get(reverse("selection:schedule", args=[candidacy.pk])).status_code == 200
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = coordinator.post(
        reverse("selection:schedule", args=[candidacy.pk]),
        {"at": when, "place": "HQ 4", "panelists": [dept.users["panelist"].pk]},
    )
    assert scheduled.status_code == 302
    interview = Interview.objects.get(candidacy=candidacy)
    url = reverse("selection:score", args=[candidacy.pk])
    scores = {f"c{i}": "4" for i in range(len(interview.rubric))}
    early = client_for("panelist").get(url).content.decode()
    assert "once it has taken place" in early and "Record my scores" not in early
    early = client_for("panelist").post(url, {**scores, "notes": "Early."})
    assert early.status_code == 400 and "once the interview has taken place" in (
        early.content.decode()
    )
    assert not interview.scores.exists()
    # An hour after the interview (signed in afresh: the sessions above have ended by then).
    with time_machine.travel(interview.at + timedelta(hours=1), tick=False):
        _after_the_interview(dept, candidacy, tall_chain, url, scores)


def _after_the_interview(dept, candidacy, tall_chain, url, scores):
    def client_for(name):
        return signed_in_client(dept.users[name])

    panelist = client_for("panelist")
    coordinator = client_for("coordinator")
    me = client_for("committee_member")
    assert panelist.get(url).status_code == 200
    assert panelist.post(url, {**scores, "notes": "Good."}).status_code == 302
    twice = panelist.post(url, {**scores, "notes": "Again."})
    assert twice.status_code == 400 and "already scored" in twice.content.decode()
    answer = {"decision": "selected", "reason": "Strong panel."}
    decide = reverse("selection:decide", args=[candidacy.pk])
    check = coordinator.post(decide, answer)
    assert check.status_code == 200 and "Confirm: record the panel" in check.content.decode()
    assert Candidacy.objects.get(pk=candidacy.pk).stage == Stage.INTERVIEW
    decided = coordinator.post(decide, {**answer, "confirmed": "confirmed"})
    assert decided.status_code == 302
    supervisor = client_for("supervisor")
    assert (
        "awaiting your endorsement" in supervisor.get(reverse("selection:tasks")).content.decode()
    )
    endorse = reverse("selection:endorse", args=[candidacy.pk])
    assert supervisor.post(endorse, {"choice": "yes", "comment": "Solid."}).status_code == 302
    skipped = coordinator.post(
        reverse("selection:skip", args=[candidacy.pk]), {"reason": "Captain away."}
    )
    assert skipped.status_code == 302
    bureau = signed_in_client(tall_chain["Bure"])
    assert bureau.post(endorse, {"choice": "no", "comment": "Short staffed."}).status_code == 302
    bhs = client_for("bhs_manager")
    overridden = bhs.post(
        reverse("selection:override", args=[candidacy.pk]),
        {"reason": "Staffing is no reason.", "confirmed": "confirmed"},
    )
    assert overridden.status_code == 302
    recommend = reverse("selection:recommend", args=[candidacy.pk])
    page = bhs.get(recommend).content.decode()
    # The evidence: scores, each level's answer with its comment, the override and its reason.
    for evidence in ("Solid.", "Short staffed.", "Staffing is no reason.", "Good.", "Level 3"):
        assert evidence in page, evidence
    recommended = bhs.post(
        recommend, {"choice": "yes", "comment": "Recommended.", "confirmed": "confirmed"}
    )
    assert recommended.status_code == 302
    assert (
        client_for("coordinator")
        .post(reverse("selection:approve", args=[candidacy.pk]), {"choice": "yes", "comment": "x"})
        .status_code
        == 403
    )
    chief = client_for("chief")
    approve = reverse("selection:approve", args=[candidacy.pk])
    page = chief.get(approve).content.decode()
    for evidence in ("Solid.", "Short staffed.", "Staffing is no reason.", "Recommended."):
        assert evidence in page, evidence
    assert "Good." not in page  # panel notes: the coordinator and the BHS manager only
    answer = {"choice": "yes", "comment": "Yes."}
    check = chief.post(approve, answer)
    assert check.status_code == 200 and "Check your answer" in check.content.decode()
    assert Candidacy.objects.get(pk=candidacy.pk).stage == Stage.CHIEF_REVIEW
    changed = chief.post(approve, {**answer, "change": "change"})
    assert changed.status_code == 200 and "Record my decision" in changed.content.decode()
    approved = chief.post(approve, {**answer, "confirmed": "confirmed"})
    assert approved.status_code == 302
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.APPOINTED
    timeline = me.get(reverse("selection:mine")).content.decode()
    assert "Approved by the Chief" in timeline and "Good." not in timeline
    assert client_for("coordinator").get(reverse("roster:manage")).status_code == 200


def test_the_board_counts_each_stage_and_how_long_each_waited(dept, client_for):
    many(dept, 1)
    Candidacy.objects.filter(stage=Stage.INVITED).update(
        stage_changed_at=timezone.now() - timedelta(days=9)
    )
    columns, _ = sel_selectors.board()
    assert all(column.count == 1 for column in columns)
    invited = next(c for c in columns if c.stage == Stage.INVITED)
    assert invited.candidacies[0].waited.days == 9
    page = client_for("coordinator").get(reverse("selection:board"))
    assert "waiting 9 days" in page.content.decode()


def test_an_interview_past_its_time_without_a_decision_is_flagged_overdue(
    dept, client_for, settings
):
    settings.SELECTION_INTERVIEW_OVERDUE_DAYS = 7
    with time_machine.travel(timezone.now() - timedelta(days=49), tick=False):
        late = at_stage(dept, Stage.INTERVIEW, nominee=colleague(dept, "Late"))  # 50 days ago
    with time_machine.travel(timezone.now() - timedelta(days=5), tick=False):
        recent = at_stage(dept, Stage.INTERVIEW, nominee=colleague(dept, "Recent"))
    with time_machine.travel(timezone.now() - timedelta(days=60), tick=False):
        decided = at_stage(dept, Stage.CHAIN, nominee=colleague(dept, "Decided"))
    coordinator = client_for("coordinator")
    board = coordinator.get(reverse("selection:board")).content.decode()
    assert board.count("Interview overdue") == 1 and "50 days ago" in board
    page = coordinator.get(reverse("selection:candidacy", args=[late.pk])).content.decode()
    assert "Overdue" in page and "no panel decision is recorded" in page
    for fine in (recent, decided):
        page = coordinator.get(reverse("selection:candidacy", args=[fine.pk])).content.decode()
        assert "Overdue" not in page
    tasks = sel_selectors.tasks_for(dept.users["coordinator"])
    assert [c.pk for c in tasks.overdue] == [late.pk]
    assert late.pk not in [c.pk for c in tasks.to_decide]  # listed once, as overdue
    assert recent.pk in [c.pk for c in tasks.to_decide]
    page = coordinator.get(reverse("selection:tasks")).content.decode()
    assert "Overdue interviews" in page
    # Only staff read the flag: the candidate's own page says nothing of it.
    assert (
        "overdue"
        not in signed_in_client(late.nominee)
        .get(reverse("selection:mine"))
        .content.decode()
        .lower()
    )


def test_a_decision_page_shows_the_evidence_and_records_only_once_confirmed(dept, client_for):
    candidacy = at_stage(dept, Stage.BHS_REVIEW)
    url = reverse("selection:recommend", args=[candidacy.pk])
    bhs = client_for("bhs_manager")
    notes_read = AuditEvent.objects.filter(action=AuditAction.SELECTION_NOTES_VIEWED)
    page = bhs.get(url).content.decode()
    # Scores, the panel's decision and reasons, each level with its comment, the notes.
    for evidence in ("Listening", "Panel view.", "Level 1", "Good officer.", "Calm and credible"):
        assert evidence in page, evidence
    assert notes_read.count() == 1
    answer = {"choice": "no", "comment": "Not this year."}
    check = bhs.post(url, answer)
    text = check.content.decode()
    assert check.status_code == 200 and "Do not recommend" in text and "Not this year." in text
    assert "Calm and credible" not in text and notes_read.count() == 1
    assert Candidacy.objects.get(pk=candidacy.pk).stage == Stage.BHS_REVIEW
    bad = bhs.post(url, {"choice": "no", "comment": "", "confirmed": "confirmed"})
    assert bad.status_code == 400
    assert Candidacy.objects.get(pk=candidacy.pk).stage == Stage.BHS_REVIEW
    done = bhs.post(url, {**answer, "confirmed": "confirmed"})
    assert done.status_code == 302
    assert Candidacy.objects.get(pk=candidacy.pk).stage == Stage.NOT_RECOMMENDED


def test_the_overdue_limit_holds_at_its_boundary(settings):
    settings.SELECTION_INTERVIEW_OVERDUE_DAYS = 7
    at = timezone.now()
    assert rules.interview_overdue_days(at, at + timedelta(days=7, seconds=-1)) is None
    assert rules.interview_overdue_days(at, at + timedelta(days=7)) == 7
    assert rules.interview_overdue_days(None, at) is None


PAGES = [
    ("coordinator", "selection:board", None),
    ("coordinator", "selection:tasks", None),
    ("bhs_manager", "selection:tasks", None),
    ("chief", "selection:tasks", None),
    ("coordinator", "roster:manage", None),
    ("coordinator", "selection:candidacy", "candidacy"),
    ("coordinator", "selection:schedule", "candidacy"),
    ("committee_member", "selection:mine", None),
]


@pytest.mark.parametrize(("persona", "name", "arg"), PAGES)
def test_query_counts_stay_constant(persona, name, arg, dept, client_for):
    own = at_stage(dept, Stage.CHAIN, nominee=dept.users["committee_member"])
    client = client_for(persona)
    url = reverse(name, args=[own.pk] if arg else [])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    many(dept, 3)
    for _ in range(3):
        NominationFactory(candidacy=own, nominator=colleague(dept, "Nom"), reason="More.")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    print(f"{persona} {name}: {len(small)} queries")  # noqa: T201
    assert len(large) == len(small), (name, len(small), len(large))
