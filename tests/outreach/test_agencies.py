"""Outreach belongs to an agency (issue 23, step 3c): a new agency gets the default plans, an
affected employee must be one of the outreach's agency, and the hand-written statements name
the agency themselves (they bypass the scoped managers)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from peersupport.accounts.agencies import announce_agency
from peersupport.accounts.models import Agency
from peersupport.outreach import selectors, services
from peersupport.outreach.defaults import DEFAULT_PLAN, EVENT_TYPES, install_defaults
from peersupport.outreach.models import Assignment, Attempt, Outreach, PlanStep
from peersupport.tenancy import using_agency

from ..factories import EmployeeFactory, FamilyMemberFactory, UnitFactory
from ..matrix.support_supporter import active_supporter
from ..roster.helpers import make_supporter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults()


@pytest.fixture
def other(settings):
    """Agency B, made as step 5's agency_create will (its program defaults announced)."""
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    b = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    announce_agency(b)
    with using_agency(b):
        hq = UnitFactory(name="Quokka Station")
    return b, hq


def _open(actor, **kwargs):
    return services.outreach_open(
        actor=actor,
        event_type=kwargs.get("event_type", "ld_injury"),
        event_date=timezone.localdate() - timedelta(days=1),
        description=kwargs.get("description", "Canary-outreach: officer hurt in a crash"),
    )


def test_a_new_agency_gets_the_default_plans_and_the_first_keeps_its_own(personas, other):
    b, _hq = other
    mine = PlanStep.objects.get(event_type="family", offset_hours=7 * 24)
    services.plan_step_remove(actor=personas["coordinator"], step=mine)  # A changes its plan
    with using_agency(b):
        steps = list(PlanStep.objects.values_list("event_type", "label", "offset_hours"))
        wanted = [(kind, label, hours) for kind in EVENT_TYPES for label, hours in DEFAULT_PLAN]
        assert sorted(steps) == sorted(wanted)
        assert PlanStep.objects.filter(event_type="family", offset_hours=7 * 24).exists()
        install_defaults()  # again: nothing added, nothing touched
        assert PlanStep.objects.count() == len(steps)
    assert not PlanStep.objects.filter(event_type="family", offset_hours=7 * 24).exists()
    assert PlanStep.objects.count() == len(steps) - 1
    # The same step may be in both agencies' plans; still once per agency.
    with using_agency(b), pytest.raises(ValidationError):
        services.plan_step_add(
            actor=personas["coordinator"], event_type="family", label="Again", offset_days=30
        )


def test_an_affected_employee_or_relative_must_be_of_the_outreachs_agency(personas, other):
    b, hq = other
    coordinator = personas["coordinator"]
    outreach = _open(coordinator)
    with using_agency(b):
        theirs = EmployeeFactory(unit=hq, last_name="Wombat")
        relative = FamilyMemberFactory(employee=theirs)
    with pytest.raises(ValidationError) as employee:
        services.person_add(actor=coordinator, outreach=outreach, employee=theirs)
    assert employee.value.message_dict == {
        "employee": ["Choose someone on this department's records."]
    }
    assert "Wombat" not in str(employee.value)
    with pytest.raises(ValidationError, match="family member on this department's records"):
        services.person_add(actor=coordinator, outreach=outreach, family_member=relative)
    assert not outreach.people.exists()
    ours = EmployeeFactory(unit=personas["employee"].employee.unit)
    assert services.person_add(actor=coordinator, outreach=outreach, employee=ours).pk


def test_the_cards_statement_reads_only_the_current_agencys_outreach(personas, dept, other):
    """``people_of`` reaches its statement only for an outreach it could read; the statement
    itself refuses another agency's outreach id too."""
    b, hq = other
    supporter = personas["supporter"]
    active_supporter(supporter)
    outreach = _open(personas["coordinator"])
    person = services.person_add(
        actor=personas["coordinator"], outreach=outreach, employee=EmployeeFactory(unit=dept.squad)
    )
    assignment = services.assignment_make(
        actor=personas["coordinator"], person=person, supporter=supporter
    )
    services.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    task = person.tasks.first()
    services.attempt_record(actor=supporter, task=task, outcome=Attempt.Outcome.NO_ANSWER)

    def rows(agency_id):
        with connection.cursor() as cursor:
            cursor.execute(
                selectors._CARDS_SQL, [outreach.pk, agency_id] * 3 + list(Assignment.ACTIVE)
            )
            return cursor.fetchall()

    assert {row[0] for row in rows(outreach.agency_id)} == {0, 1, 2}
    assert rows(b.pk) == []
    (card,) = selectors.people_of(outreach)
    assert card.active_assignment.supporter_id == supporter.pk
    with using_agency(b):
        assert selectors.people_of(Outreach.everywhere.get(pk=outreach.pk)) == []


def test_a_supporter_of_another_agency_is_never_suggested_nor_assigned(personas, dept, other):
    b, hq = other
    coordinator = personas["coordinator"]
    ours = make_supporter(dept.bureau, first="Ours", last="Here")
    with using_agency(b):
        theirs = make_supporter(hq, first="Theirs", last="Wombat")
    outreach = _open(coordinator)
    person = services.person_add(
        actor=coordinator, outreach=outreach, employee=EmployeeFactory(unit=dept.squad)
    )
    suggested = {p.user_id for p in selectors.suggest_supporters(person, limit=50)}
    assert ours.user_id in suggested
    assert theirs.user_id not in suggested
    with pytest.raises(ValidationError, match="Only an active peer supporter"):
        services.assignment_make(actor=coordinator, person=person, supporter=theirs.user)
    assert not Assignment.objects.filter(supporter=theirs.user).exists()
    with pytest.raises(ValidationError, match="Only a peer supporter"):
        services.responder_mark(actor=coordinator, outreach=outreach, supporter=theirs.user)
    assert services.responder_mark(actor=coordinator, outreach=outreach, supporter=ours.user)
