"""The assign page's suggestions are one hand-written statement (outreach.selectors
``suggest_supporters``, issue 21): it must suggest exactly whom the roster's
``suggested_supporters`` suggests, in the same order, for every kind of person and event, with
supporters who differ in each thing the ranking and the listing rules look at."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peersupport.accounts.models import Employee, Role, RoleGrant
from peersupport.outreach import selectors, services
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import EventType, PlanStep
from peersupport.outreach.rules import AREAS
from peersupport.roster import selectors as roster
from peersupport.roster.models import ExperienceArea, OnCallShift, SupporterProfile
from peersupport.support.models import SupportRequest

from ..factories import (
    EmployeeFactory,
    FamilyMemberFactory,
    LanguageFactory,
    OfferFactory,
    SupportRequestFactory,
)
from ..roster.helpers import make_supporter

pytestmark = pytest.mark.django_db
A = ExperienceArea
Availability = SupporterProfile.Availability


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults(PlanStep=PlanStep)


@pytest.fixture
def program(dept):
    """Supporters alike but for one thing each, so every rule and every key of the ranking
    decides somewhere; plus a few who must never be suggested."""
    spanish = LanguageFactory(code="es", name="Spanish")
    polish = LanguageFactory(code="pl", name="Polish")
    now = timezone.now()
    made = {}

    def add(key, unit=None, **kwargs):
        kwargs.setdefault("availability", Availability.BUSY)
        made[key] = make_supporter(unit or dept.bureau, first=key.title(), last="Same", **kwargs)
        return made[key]

    add("plain")
    add("free", availability=Availability.AVAILABLE)
    add("off", availability=Availability.OFF)
    add("spanish", languages=[spanish])
    add("polish", languages=[polish], areas=[A.GRIEF_LOSS])
    add("critical", areas=[A.CRITICAL_INCIDENTS])
    add("both", areas=[A.CRITICAL_INCIDENTS, A.GRIEF_LOSS, A.FAMILY_TRAGEDY])
    add("injury", areas=[A.INJURY_ILLNESS], languages=[spanish])
    on_call = add("oncall", areas=[A.CRITICAL_INCIDENTS])
    OnCallShift.objects.create(
        profile=on_call, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
    )
    off_call = add("offcall", availability=Availability.OFF, areas=[A.CRITICAL_INCIDENTS])
    OnCallShift.objects.create(
        profile=off_call, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
    )
    ended = add("ended", areas=[A.CRITICAL_INCIDENTS])
    OnCallShift.objects.create(
        profile=ended, start=now - timedelta(hours=3), end=now - timedelta(hours=1)
    )
    busy = add("loaded", availability=Availability.AVAILABLE, areas=[A.CRITICAL_INCIDENTS])
    SupportRequestFactory(assigned_supporter=busy.user, status=SupportRequest.Status.ACCEPTED)
    OfferFactory(supporter=busy.user)
    OfferFactory(supporter=made["free"].user)
    # Never listed: not active, role revoked, role expired, account off, employee on leave.
    add("inactive", status=SupporterProfile.Status.INACTIVE, areas=[A.CRITICAL_INCIDENTS])
    revoked = add("revoked", areas=[A.CRITICAL_INCIDENTS])
    RoleGrant.objects.filter(user=revoked.user, role=Role.PEER_SUPPORTER).update(revoked_at=now)
    expired = add("expired", areas=[A.CRITICAL_INCIDENTS])
    RoleGrant.objects.filter(user=expired.user, role=Role.PEER_SUPPORTER).update(
        expires_at=now - timedelta(days=1)
    )
    disabled = add("disabled", areas=[A.CRITICAL_INCIDENTS])
    disabled.user.is_active = False
    disabled.user.save(update_fields=["is_active"])
    leave = add("leave", areas=[A.CRITICAL_INCIDENTS])
    Employee.objects.filter(user=leave.user).update(status=Employee.Status.ON_LEAVE)
    # In the chain of command of the squad's people: the squad's supervisor and the precinct's.
    boss = make_supporter(dept.squad, user=dept.users["supervisor"], areas=[A.CRITICAL_INCIDENTS])
    made["boss"] = boss
    captain = add("captain", unit=dept.precinct, areas=[A.CRITICAL_INCIDENTS])
    dept.precinct.supervisor = captain.user.employee
    dept.precinct.save(update_fields=["supervisor"])
    made["languages"] = (spanish, polish)
    return made


def _roster_answer(person, limit):
    """What the assign page asked the roster for before (the same arguments)."""
    languages = list(person.employee.languages.all()) if person.employee_id else []
    return roster.suggested_supporters(
        languages=languages,
        areas=AREAS.get(person.outreach.event_type, []),
        exclude_chain_of=person.anchor_employee,
        exclude_user_ids=selectors.involvement(person.outreach),
        limit=limit,
    )


def _people(dept, program, event_type):
    coordinator = dept.users["coordinator"]
    spanish, _ = program["languages"]
    outreach = services.outreach_open(
        actor=coordinator,
        event_type=event_type,
        event_date=timezone.localdate() - timedelta(days=1),
        description="Equivalence",
    )
    in_squad = EmployeeFactory(unit=dept.squad, last_name="Hurt")
    in_squad.languages.set([spanish])
    services.person_add(actor=coordinator, outreach=outreach, employee=in_squad)
    services.person_add(
        actor=coordinator, outreach=outreach, family_member=FamilyMemberFactory(employee=in_squad)
    )
    elsewhere = EmployeeFactory(unit=dept.hq, last_name="Far")
    services.person_add(actor=coordinator, outreach=outreach, employee=elsewhere)
    services.person_add(actor=coordinator, outreach=outreach, name="Other", how_to_reach="1")
    # Involved: one supporter affected, one whose relative is, one who responded.
    services.person_add(
        actor=coordinator, outreach=outreach, employee=program["critical"].user.employee
    )
    services.person_add(
        actor=coordinator,
        outreach=outreach,
        family_member=FamilyMemberFactory(employee=program["both"].user.employee),
    )
    services.responder_mark(actor=coordinator, outreach=outreach, supporter=program["free"].user)
    return list(outreach.people.all())


@pytest.mark.parametrize("event_type", EventType.values)
def test_the_suggestions_are_the_rosters_in_its_order(dept, program, event_type):
    for person in _people(dept, program, event_type):
        person = selectors.person_for_staff(person.pk)
        for limit in (1, 3, 6, 40):
            expected = _roster_answer(person, limit)
            got = selectors.suggest_supporters(person, limit=limit)
            assert [p.pk for p in got] == [p.pk for p in expected], (person, limit)
            assert [p.available_now for p in got] == [p.available_now for p in expected]
            assert [str(p.user) for p in got] == [str(p.user) for p in expected]


def test_the_suggestions_leave_out_the_chain_the_involved_and_the_unlisted(dept, program):
    squad_person = next(
        p for p in _people(dept, program, EventType.CRITICAL_INCIDENT) if p.employee_id
    )
    keys = {p.user_id: key for key, p in program.items() if key != "languages"}
    got = {keys[p.user_id] for p in selectors.suggest_supporters(squad_person, limit=40)}
    never = {"boss", "captain", "critical", "both", "free", "inactive", "revoked", "expired"}
    assert got and not got & (never | {"disabled", "leave"})
    assert {"oncall", "offcall", "loaded", "plain", "spanish"} <= got


def test_the_suggestions_are_one_query(dept, program):
    person = _people(dept, program, EventType.LINE_OF_DUTY_DEATH)[0]
    person = selectors.person_for_staff(person.pk)
    with CaptureQueriesContext(connection) as ctx:
        selectors.suggest_supporters(person)
    assert len(ctx.captured_queries) == 1


def test_the_load_counted_is_supports_alone():
    """The statement counts support's accepted requests and pending offers, as the one load
    source registered with the roster does: a new source must be added to the statement too."""
    assert set(roster._load_sources) == {"support"}
