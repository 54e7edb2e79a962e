"""Escalations and duty rosters belong to an agency (issue 23, step 3c): an escalation raised in
one agency alerts only that agency's people, however its ladder is walked, and its banner's
hand-written statement names the agency itself."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from peersupport.accounts.models import Agency, Role
from peersupport.confidentiality import selectors, services
from peersupport.confidentiality.models import DutyAssignment, Escalation, EscalationRecipient
from peersupport.governance.models import ExceptionCategory
from peersupport.notifications.models import Notification
from peersupport.tenancy import using_agency

from ..factories import EmployeeFactory, UnitFactory, UserFactory, grant
from ..matrix.support_supporter import held_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(settings):
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    b = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    with using_agency(b):
        hq = UnitFactory(name="Quokka Station")
    return b, hq


def _person(unit, email, *roles):
    user = UserFactory(email=email)
    EmployeeFactory(user=user, unit=unit, work_email=email)
    for role in roles:
        grant(user, role)
    return user


@pytest.fixture
def b_team(other):
    """B's BHS manager and advocacy supervisor, on B's roster."""
    b, hq = other
    with using_agency(b):
        bhs = _person(hq, "b-bhs@b.example.org", Role.BHS_MANAGER)
        advocacy = _person(hq, "b-advocacy@b.example.org", Role.ADVOCACY_SUPERVISOR)
        services.duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0)
        services.duty_assign(actor=bhs, duty="advocacy_supervisor", user=advocacy, rank=0)
    return {"agency": b, "bhs": bhs, "advocacy": advocacy}


def _raise(supporter):
    req = held_request(supporter, name="Quentin Canaryperson")
    return services.escalation_raise(
        actor=supporter,
        category=ExceptionCategory.objects.get(code="danger-to-others"),
        note="Canary-note",
        request=req,
    )


def _b_people(b_team) -> set[int]:
    return {b_team["bhs"].pk, b_team["advocacy"].pk}


@pytest.mark.parametrize("roster", ["empty", "on_duty"])
def test_an_escalation_in_a_alerts_none_of_bs_people_in_any_round(
    personas, b_team, settings, roster
):
    """With A's roster empty every role holder is alerted, and after the rounds the whole
    list: in each case A's, never B's."""
    if roster == "on_duty":
        bhs = personas["bhs_manager"]
        services.duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0)
    escalation = _raise(personas["supporter"])
    later = timezone.now()
    for _ in range(settings.ESCALATION_ROUNDS + 2):
        later += timedelta(minutes=settings.ESCALATION_RENOTIFY_MINUTES + 1)
        with using_agency(b_team["agency"]):
            assert services.escalations_advance(now=later) == 0  # B's tick: not B's escalation
        assert services.escalations_advance(now=later) == 1
    alerted = set(EscalationRecipient.everywhere.values_list("user_id", flat=True))
    assert personas["bhs_manager"].pk in alerted
    assert not alerted & _b_people(b_team)
    told = Notification.objects.filter(topic=f"escalation:{escalation.pk}")
    assert told.exists()
    assert not set(told.values_list("user_id", flat=True)) & _b_people(b_team)
    assert not Notification.objects.filter(user__in=_b_people(b_team)).exists()
    with using_agency(b_team["agency"]):
        assert not Escalation.objects.exists()
        assert set(DutyAssignment.objects.values_list("user_id", flat=True)) == _b_people(b_team)
        assert services.first_alerted()[0].user in (b_team["bhs"], b_team["advocacy"])


def test_a_bhs_manager_employed_by_another_agency_brings_no_manager_of_theirs(
    personas, dept, other, settings
):
    """Contracted by A, employed by B: on A's roster, but the ladder's "BHS manager's manager"
    step does not look up their chain in B (it would tell B's commander of A's escalation)."""
    b, hq = other
    with using_agency(b):
        boss = _person(hq, "b-boss@b.example.org")
        hq.supervisor = boss.employee
        hq.save(update_fields=["supervisor"])
        contracted = _person(hq, "contracted@b.example.org")
    grant(contracted, Role.BHS_MANAGER)  # in A
    services.duty_assign(actor=personas["bhs_manager"], duty="bhs_manager", user=contracted, rank=0)
    settings.ESCALATION_LADDER = ["bhs_manager_manager", "on_duty"]
    steps = services.ladder()
    assert [a.user for step in steps for a in step] == [contracted]
    # The same in A's own chain still works: A's BHS manager's manager is found.
    services.duty_assign(
        actor=personas["bhs_manager"], duty="bhs_manager", user=personas["bhs_manager"], rank=0
    )
    managers = [a.user for a in services.ladder()[0]]
    assert boss not in managers and managers


def test_the_banner_statement_names_the_current_agency(personas, b_team):
    """Someone alerted in B (the same account may hold roles in both) sees no banner in A."""
    escalation = _raise(personas["supporter"])
    alerted = escalation.recipients.first().user
    assert selectors.banner_for(alerted)

    def exists(agency_id):
        with connection.cursor() as cursor:
            cursor.execute(selectors._WAITING_SQL, [alerted.pk, Escalation.Status.OPEN, agency_id])
            return cursor.fetchone() is not None

    assert exists(escalation.agency_id)
    assert not exists(b_team["agency"].pk)
    with using_agency(b_team["agency"]):
        assert selectors.banner_for(alerted) == []
