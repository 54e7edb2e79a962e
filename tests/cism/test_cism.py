"""CISM call-outs: the team roster (audited, roles checked), activation that alerts every member
without content, answers that assemble the team, defusings and debriefings counted not named,
the follow-up outreach, the activation log's timings across midnight and the year's end, the
CSV, and who sees what."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditEvent
from peersupport.cism import selectors, services
from peersupport.cism.models import Activation, Callout, Session, TeamMember
from peersupport.cism.rules import assembled_at, duration_text
from peersupport.notifications.kinds import kind as alert_kind
from peersupport.notifications.models import Notification
from peersupport.outreach.models import Outreach

from ..matrix.cism import _peer
from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db
SECRET = "Shots fired at the Elm Street stop"


@pytest.fixture
def coordinator(personas):
    return personas["coordinator"]


@pytest.fixture
def supporter(personas):
    active_supporter(personas["supporter"])
    return personas["supporter"]


@pytest.fixture
def team(coordinator, supporter):
    """The persona supporter as lead and two more peers."""
    services.member_add(actor=coordinator, user=supporter, team_role="lead")
    peers = [_peer(), _peer()]
    for peer in peers:
        services.member_add(actor=coordinator, user=peer, team_role="peer")
    return [supporter, *peers]


def _activate(coordinator, **kwargs):
    return services.activation_start(
        actor=coordinator,
        event_type=kwargs.get("event_type", "critical_incident"),
        incident_date=kwargs.get("incident_date", timezone.localdate()),
        description=kwargs.get("description", SECRET),
    )


def _events(action):
    return AuditEvent.objects.filter(action=action)


# --- The team ------------------------------------------------------------------------------


def test_members_are_added_changed_and_removed_with_an_audit_event_each(coordinator, supporter):
    member = services.member_add(actor=coordinator, user=supporter, team_role="peer")
    event = _events("cism.member_added").get()
    assert event.details == {"user_id": supporter.pk, "team_role": "peer"}
    services.member_change_role(actor=coordinator, member=member, team_role="lead")
    assert _events("cism.member_changed").get().details["to"] == "lead"
    services.member_remove(actor=coordinator, member=member)
    assert _events("cism.member_removed").count() == 1
    assert not TeamMember.objects.exists()


def test_a_peer_must_be_an_active_supporter_and_the_team_has_one_lead(
    coordinator, supporter, personas
):
    with pytest.raises(ValidationError, match="not an active peer supporter"):
        services.member_add(actor=coordinator, user=personas["employee"], team_role="peer")
    services.member_add(actor=coordinator, user=supporter, team_role="lead")
    with pytest.raises(ValidationError, match="on the team already"):
        services.member_add(actor=coordinator, user=supporter, team_role="peer")
    with pytest.raises(ValidationError, match="has a lead already"):
        services.member_add(actor=coordinator, user=_peer(), team_role="lead")
    assert TeamMember.objects.count() == 1
    assert _events("cism.member_added").count() == 1


def test_the_clinician_may_be_an_advocacy_supervisor_but_not_any_employee(coordinator, personas):
    with pytest.raises(ValidationError, match="cannot be the clinician"):
        services.member_add(actor=coordinator, user=personas["employee"], team_role="clinician")
    member = services.member_add(
        actor=coordinator, user=personas["advocacy_supervisor"], team_role="clinician"
    )
    assert member.team_role == "clinician"
    with pytest.raises(ValidationError, match="can only be clinician"):
        services.member_change_role(actor=coordinator, member=member, team_role="peer")


def test_the_member_picker_finds_supporters_and_clinicians_only(coordinator, supporter, personas):
    from peersupport.accounts.selectors import people_search

    def found(name):
        user = personas[name]
        return people_search(viewer=coordinator, pool="cism_member", query=user.email).people

    assert found("supporter") == [supporter]
    assert found("bhs_manager") == [personas["bhs_manager"]]
    assert found("chief") == []
    assert found("employee") == []


# --- Activation and answers ----------------------------------------------------------------


def test_activation_calls_out_every_member_with_an_urgent_alert_that_says_nothing(
    coordinator, team
):
    activation = _activate(coordinator)
    assert activation.callouts.count() == 3
    assert set(activation.callouts.values_list("answer", flat=True)) == {"waiting"}
    alerts = Notification.objects.filter(kind="cism/callout")
    assert {n.user_id for n in alerts} == {u.pk for u in team}
    assert alert_kind("cism/callout").urgent
    for alert in alerts:
        text = alert.subject + alert.body
        assert "A CISM call-out needs your answer" in alert.subject
        assert SECRET not in text and "Elm" not in text
        for person in team:
            assert str(person) not in text
    event = _events("cism.activated").get()
    assert event.details == {"event_type": "critical_incident", "called_out": 3}
    # The description is kept encrypted: not in the database's own text.
    assert SECRET not in str(Activation.objects.filter(pk=activation.pk).values("description")[0])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"incident_date": timezone.localdate() + timedelta(days=2)}, "incident_date"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 1001}, "description"),
        ({"event_type": "picnic"}, "event_type"),
    ],
)
def test_activation_refuses_bad_input_and_changes_nothing(coordinator, team, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        _activate(coordinator, **kwargs)
    assert field in refused.value.error_dict
    assert not Activation.objects.exists()
    assert not Notification.objects.filter(kind="cism/callout").exists()


def test_activation_needs_a_team(coordinator):
    with pytest.raises(ValidationError, match="no members"):
        _activate(coordinator)


def test_a_member_answers_their_own_call_out(coordinator, team):
    activation = _activate(coordinator)
    lead, peer, _ = team
    mine = activation.callouts.get(member=lead)
    with pytest.raises(ValidationError, match="someone else"):
        services.callout_answer(actor=peer, callout=mine, accept=True)
    services.callout_answer(actor=lead, callout=mine, accept=True)
    with pytest.raises(ValidationError, match="already accepted"):
        services.callout_answer(actor=lead, callout=mine, accept=True)
    mine.refresh_from_db()
    assert mine.answer == "accepted"
    assert _events("cism.answered").get().details == {
        "callout_id": mine.pk,
        "accepted": True,
        "from": "waiting",
    }


def test_the_team_is_assembled_at_the_minimum_th_acceptance_across_the_year_end(coordinator, team):
    tz = timezone.get_current_timezone()
    new_year_eve = datetime(2026, 12, 31, 23, 50, tzinfo=tz)
    with time_machine.travel(new_year_eve, tick=False):
        activation = _activate(coordinator, incident_date=new_year_eve.date())
    callouts = {c.member_id: c for c in activation.callouts.all()}
    moments = [
        datetime(2026, 12, 31, 23, 55, tzinfo=tz),
        datetime(2027, 1, 1, 0, 5, tzinfo=tz),
        datetime(2027, 1, 1, 0, 20, tzinfo=tz),
    ]
    for member, moment in zip(team, moments, strict=True):
        with time_machine.travel(moment, tick=False):
            services.callout_answer(actor=member, callout=callouts[member.pk], accept=True)
            activation.refresh_from_db()
            assert (activation.assembled_at is None) == (moment != moments[-1])
    assert activation.assembled_at == moments[-1]
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=tz), tick=False):
        services.session_schedule(
            actor=coordinator,
            activation=activation,
            kind="defusing",
            starts_at=datetime(2027, 1, 1, 2, 0, tzinfo=tz),
            place="Station 4",
            led_by="Team lead",
        )
    timings = selectors.timings(activation)
    assert timings.to_assemble == timedelta(minutes=30)
    assert timings.to_assemble_text == "0 h 30 min"
    assert timings.to_first_session_text == "2 h 10 min"


@override_settings(CISM_TEAM_MINIMUM=2)
def test_a_decline_does_not_count_and_the_minimum_is_a_setting(coordinator, team):
    activation = _activate(coordinator)
    lead, peer, other = team
    services.callout_answer(actor=lead, callout=activation.callouts.get(member=lead), accept=False)
    services.callout_answer(actor=peer, callout=activation.callouts.get(member=peer), accept=True)
    activation.refresh_from_db()
    assert activation.assembled_at is None
    services.callout_answer(actor=other, callout=activation.callouts.get(member=other), accept=True)
    activation.refresh_from_db()
    assert activation.assembled_at is not None


def test_rules_measure_durations_over_days_and_refuse_too_few():
    base = datetime(2026, 3, 7, 22, 0, tzinfo=timezone.get_current_timezone())
    assert assembled_at([base], 3) is None
    later = [base + timedelta(minutes=m) for m in (40, 5, 90)]
    assert assembled_at(later, 2) == base + timedelta(minutes=40)
    assert duration_text(timedelta(days=1, hours=2, minutes=3)) == "1 d 2 h 03 min"
    assert duration_text(None) == ""


# --- Sessions, outreach, standing down -----------------------------------------------------


def test_sessions_record_a_count_only_after_they_start(coordinator, team):
    activation = _activate(coordinator)
    with pytest.raises(ValidationError) as refused:
        services.session_schedule(
            actor=coordinator,
            activation=activation,
            kind="chat",
            starts_at=timezone.now() - timedelta(days=3),
            place=" ",
            led_by="",
        )
    assert set(refused.value.error_dict) == {"kind", "starts_at", "place", "led_by"}
    later = services.session_schedule(
        actor=coordinator,
        activation=activation,
        kind="debriefing",
        starts_at=timezone.now() + timedelta(hours=3),
        place="Station 4",
        led_by="Clinician",
    )
    with pytest.raises(ValidationError, match="after the session has started"):
        services.session_attendance(actor=coordinator, session=later, attendance=5)
    now = services.session_schedule(
        actor=coordinator,
        activation=activation,
        kind="defusing",
        starts_at=timezone.now(),
        place="Station 4",
        led_by="Team lead",
    )
    with pytest.raises(ValidationError):
        services.session_attendance(actor=coordinator, session=now, attendance=-1)
    services.session_attendance(actor=coordinator, session=now, attendance=7)
    assert _events("cism.session_attendance").get().details == {
        "session_id": now.pk,
        "attendance": 7,
    }
    # No field of a session could hold the names of who came.
    fields = {f.name for f in Session._meta.concrete_fields}
    assert fields == {
        "id",
        "activation",
        "kind",
        "starts_at",
        "place",
        "led_by",
        "attendance",
        "created_by",
    }


def test_the_follow_up_outreach_is_opened_once_and_linked(coordinator, team):
    activation = _activate(coordinator, incident_date=timezone.localdate() - timedelta(days=1))
    services.outreach_open_for(actor=coordinator, activation=activation)
    activation.refresh_from_db()
    outreach = Outreach.objects.get()
    assert activation.outreach == outreach
    assert (outreach.event_type, outreach.event_date) == (
        activation.event_type,
        activation.incident_date,
    )
    assert outreach.description == SECRET
    assert _events("cism.outreach_opened").get().details == {"outreach_id": outreach.pk}
    with pytest.raises(ValidationError, match="already open"):
        services.outreach_open_for(actor=coordinator, activation=activation)
    assert Outreach.objects.count() == 1


def test_standing_down_needs_a_summary_and_ends_the_call_outs(coordinator, team):
    activation = _activate(coordinator)
    with pytest.raises(ValidationError):
        services.activation_stand_down(actor=coordinator, activation=activation, summary=" ")
    lead = team[0]
    assert selectors.callouts_for(lead)
    services.activation_stand_down(actor=coordinator, activation=activation, summary="Done.")
    activation.refresh_from_db()
    assert not activation.is_active and activation.stood_down_at is not None
    assert selectors.callouts_for(lead) == []
    with pytest.raises(ValidationError, match="stood down"):
        services.callout_answer(
            actor=lead, callout=activation.callouts.get(member=lead), accept=True
        )
    with pytest.raises(ValidationError, match="stood down"):
        services.outreach_open_for(actor=coordinator, activation=activation)
    with pytest.raises(ValidationError, match="stood down"):
        services.session_schedule(
            actor=coordinator,
            activation=activation,
            kind="defusing",
            starts_at=timezone.now(),
            place="x",
            led_by="y",
        )


# --- Pages ---------------------------------------------------------------------------------


def _assert_refused_page(resp):
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "<title>Error: " in page and 'class="error-summary"' in page


def test_the_coordinator_builds_the_team_on_its_page(client_for, supporter):
    client = client_for("coordinator")
    url = reverse("cism:team")
    _assert_refused_page(client.post(url, {"member_id": supporter.pk}))
    assert not TeamMember.objects.exists()
    resp = client.post(url, {"member_id": supporter.pk, "team_role": "lead"})
    assert resp.status_code == 302
    member = TeamMember.objects.get()
    _assert_refused_page(
        client.post(reverse("cism:member_role"), {"member": member.pk, "team_role": "x"})
    )
    _assert_refused_page(client.post(reverse("cism:member_remove"), {"member": 999999}))
    page = client.get(url)
    assert str(supporter) in page.content.decode()
    resp = client.post(reverse("cism:member_role"), {"member": member.pk, "team_role": "peer"})
    assert resp.status_code == 302
    member.refresh_from_db()
    assert member.team_role == "peer"
    assert client.post(reverse("cism:member_remove"), {"member": member.pk}).status_code == 302
    assert not TeamMember.objects.exists()


def test_activating_with_bad_input_shows_the_errors_and_changes_nothing(client_for, team):
    client = client_for("bhs_manager")
    resp = client.post(
        reverse("cism:activate"),
        {
            "event_type": "critical_incident",
            "incident_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "description": SECRET,
        },
    )
    _assert_refused_page(resp)
    assert "cannot be in the future" in resp.content.decode()
    assert not Activation.objects.exists()
    resp = client.post(
        reverse("cism:activate"),
        {
            "event_type": "critical_incident",
            "incident_date": timezone.localdate().isoformat(),
            "description": SECRET,
        },
    )
    assert resp.status_code == 302
    activation = Activation.objects.get()
    assert resp["Location"] == reverse("cism:detail", args=[activation.public_id])


def test_the_activation_page_shows_answers_counts_and_timings(client_for, coordinator, team):
    activation = _activate(coordinator)
    services.callout_answer(
        actor=team[0], callout=activation.callouts.get(member=team[0]), accept=True
    )
    client = client_for("coordinator")
    url = reverse("cism:detail", args=[activation.public_id])
    page = client.get(url).content.decode()
    assert "1 accepted, 0 declined, 2 not answered yet, of 3 called out." in page
    assert "Activation log" in page and SECRET in page
    assert _events("cism.viewed").exists()
    bad = client.post(
        reverse("cism:session_add", args=[activation.public_id]),
        {"kind": "defusing", "starts_at": "", "place": "", "led_by": ""},
    )
    _assert_refused_page(bad)
    assert not Session.objects.exists()
    bad = client.post(reverse("cism:stand_down", args=[activation.public_id]), {"summary": ""})
    _assert_refused_page(bad)
    _assert_refused_page(client.post(reverse("cism:open_outreach", args=[activation.public_id])))
    assert not Outreach.objects.exists()
    activation.refresh_from_db()
    assert activation.is_active


def test_a_member_sees_their_call_outs_and_answers_on_their_page(client_for, coordinator, team):
    activation = _activate(coordinator)
    lead = team[0]
    callout = activation.callouts.get(member=lead)
    client = client_for("supporter")
    mine = client.get(reverse("cism:mine")).content.decode()
    assert "needs your answer" in mine
    page = client.get(reverse("cism:callout", args=[callout.pk])).content.decode()
    assert SECRET in page  # to prepare, as an assigned supporter reads an outreach's
    _assert_refused_page(client.post(reverse("cism:callout", args=[callout.pk]), {}))
    resp = client.post(reverse("cism:callout", args=[callout.pk]), {"answer": "decline"})
    assert resp.status_code == 302 and resp["Location"] == reverse("cism:mine")
    callout.refresh_from_db()
    assert callout.answer == "declined"
    # Declined: what happened is no longer shown, but they may still accept.
    page = client.get(reverse("cism:callout", args=[callout.pk])).content.decode()
    assert SECRET not in page and "I can come after all" in page


def test_nobody_else_reaches_a_call_out_or_the_staff_pages(client_for, coordinator, team):
    activation = _activate(coordinator)
    others = activation.callouts.exclude(member=team[0]).first()
    supporter = client_for("supporter")
    assert supporter.get(reverse("cism:callout", args=[others.pk])).status_code == 404
    assert supporter.get(reverse("cism:detail", args=[activation.public_id])).status_code == 403
    for persona in ("employee", "chief", "committee_member", "sysadmin"):
        assert client_for(persona).get(reverse("cism:mine")).status_code == 403
        assert client_for(persona).get(reverse("cism:board")).status_code == 403


def test_the_csv_holds_timings_and_counts_only(client_for, coordinator, team):
    activation = _activate(coordinator)
    services.callout_answer(
        actor=team[1], callout=activation.callouts.get(member=team[1]), accept=True
    )
    session = services.session_schedule(
        actor=coordinator,
        activation=activation,
        kind="defusing",
        starts_at=activation.requested_at,
        place="Station 4",
        led_by="Team lead",
    )
    services.session_attendance(actor=coordinator, session=session, attendance=7)
    resp = client_for("coordinator").get(reverse("cism:export"))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    text = resp.content.decode()
    header, row = text.strip().splitlines()
    assert header.startswith("incident type,incident date,status,requested at")
    # Three called out, one accepted, none declined, two not answered, one session, 7 came:
    # counted once, whatever the number of members called out.
    assert row.endswith(",3,1,0,2,1,7,no")
    assert ",0," in row  # the first session started 0 minutes after the request
    assert SECRET not in text
    for person in team:
        assert str(person) not in text
    assert _events("cism.exported").get().details == {"activations": 1}


def test_the_home_page_shows_a_waiting_call_out_first(client_for, coordinator, team):
    _activate(coordinator)
    page = client_for("supporter").get(reverse("web:home")).content.decode()
    assert "A CISM call-out needs your answer" in page


def test_a_clinician_who_is_not_a_supporter_has_their_call_outs_too(
    client_for, coordinator, personas
):
    clinician = personas["advocacy_supervisor"]
    services.member_add(actor=coordinator, user=clinician, team_role="clinician")
    activation = _activate(coordinator)
    callout = activation.callouts.get()
    client = client_for("advocacy_supervisor")
    assert client.get(reverse("cism:callout", args=[callout.pk])).status_code == 200
    resp = client.post(reverse("cism:callout", args=[callout.pk]), {"answer": "accept"})
    assert resp.status_code == 302
    assert Callout.objects.get(pk=callout.pk).answer == "accepted"
