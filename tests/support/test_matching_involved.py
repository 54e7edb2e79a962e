"""Matching leaves out supporters involved in an incident (issue 19, item 7): while an outreach
is open, a supporter among its people affected (or whose relative is), or marked as having
responded, is not offered a request that asks for experience of that kind of event. Worked out
when offering, from what the request already asks for: nothing links the request to the
outreach. Other requests, and the same request once the outreach closes, reach them as before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from peersupport.governance.notice import current_notice
from peersupport.notifications.models import Notification
from peersupport.outreach import services as outreach_services
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import PlanStep
from peersupport.roster.models import ExperienceArea
from peersupport.roster.selectors import involved_in_events_of, matching_supporters
from peersupport.support import services
from peersupport.support.models import ContactMethod, RequesterKind, SupportRequest

from ..roster.helpers import make_supporter

pytestmark = pytest.mark.django_db
A = ExperienceArea


@pytest.fixture
def supporters(dept):
    """Two available supporters with the same experience; "Adams" comes first by name."""
    areas = (A.CRITICAL_INCIDENTS, A.FINANCES)
    return (
        make_supporter(dept.squad, first="Ann", last="Adams", areas=areas).user,
        make_supporter(dept.squad, first="Zoe", last="Zimmer", areas=areas).user,
    )


@pytest.fixture
def incident(personas, supporters):
    """An open critical-incident outreach to which Adams responded."""
    install_defaults(PlanStep=PlanStep)
    outreach = outreach_services.outreach_open(
        actor=personas["coordinator"],
        event_type="critical_incident",
        event_date=timezone.localdate() - timedelta(days=2),
        description="Canary-outreach: pursuit ending in a crash",
    )
    outreach_services.responder_mark(
        actor=personas["coordinator"], outreach=outreach, supporter=supporters[0]
    )
    return outreach


def ask(*areas) -> SupportRequest:
    return services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name="Pat",
        contact_method=ContactMethod.MESSAGES,
        areas=list(areas),
        notice_version=current_notice().version,
    ).request


def offered_to(req: SupportRequest) -> list[int]:
    return list(req.offers.values_list("supporter_id", flat=True))


def test_without_an_incident_the_first_by_name_is_offered(supporters):
    assert offered_to(ask(A.CRITICAL_INCIDENTS)) == [supporters[0].pk]


def test_a_responder_is_not_offered_a_critical_incident_request(supporters, incident):
    assert involved_in_events_of([A.CRITICAL_INCIDENTS]) == {supporters[0].pk}
    before = set(Notification.objects.values_list("pk", flat=True))
    req = ask(A.CRITICAL_INCIDENTS)
    assert offered_to(req) == [supporters[1].pk]
    told = Notification.objects.exclude(pk__in=before)
    assert list(told.values_list("user_id", flat=True)) == [supporters[1].pk]


def test_other_requests_still_reach_them(supporters, incident):
    assert involved_in_events_of([A.FINANCES]) == set()
    assert offered_to(ask(A.FINANCES)) == [supporters[0].pk]
    # A request that asks for no experience at all says nothing of an incident either.
    anyone = matching_supporters(leave_out_involved=True)
    assert supporters[0].pk in {p.user_id for p in anyone}


def test_an_affected_supporter_is_left_out_too(personas, supporters, incident):
    outreach_services.person_add(
        actor=personas["coordinator"], outreach=incident, employee=supporters[1].employee
    )
    assert involved_in_events_of([A.CRITICAL_INCIDENTS]) == {p.pk for p in supporters}
    assert matching_supporters(areas=[A.CRITICAL_INCIDENTS], leave_out_involved=True) == []
    req = ask(A.CRITICAL_INCIDENTS)
    assert offered_to(req) == []
    assert req.status == SupportRequest.Status.WAITING


def test_once_the_outreach_is_closed_they_are_offered_again(personas, supporters, incident):
    outreach_services.outreach_close(
        actor=personas["coordinator"], outreach=incident, summary="Done."
    )
    assert involved_in_events_of([A.CRITICAL_INCIDENTS]) == set()
    assert offered_to(ask(A.CRITICAL_INCIDENTS)) == [supporters[0].pk]
