"""Forecasts that know the sessions on offer, on the pages and in the worker: the issue's six
supporters who need Q4 hours by 31 December while the only update session, on 15 January, is
full. The rules themselves are property-tested in test_outlook.py."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from peersupport.notifications.models import Notification
from peersupport.training import services

from ..conftest import signed_in_client
from .helpers import YEAR, trained_supporter, update_session

pytestmark = pytest.mark.django_db

KIND = "training/sessions_needed"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_six_who_cannot_meet_the_year_tell_the_coordinator_what_to_schedule(personas):
    coordinator = personas["coordinator"]
    six = [trained_supporter(q1=8, q2=8, q3=8) for _ in range(6)]
    done = trained_supporter(q1=8, q2=8, q3=8, q4=8)
    somebody = trained_supporter(q1=8, q2=8, q3=8)
    update_session(datetime.date(YEAR + 1, 1, 15), capacity=1, enrolled=[somebody])
    december = datetime.date(YEAR, 12, 1)
    with time_machine.travel(_at(december)):
        counts = services.compliance_review(today=december)
        assert counts["sessions_needed"] == 1
        told = Notification.objects.filter(kind=KIND)
        # The coordinator, once; no supporter, nobody else.
        assert set(told.values_list("user_id", flat=True)) == {coordinator.pk}
        alert = told.first()
        assert "31 December 2025" in alert.body
        assert reverse("training:board") in alert.body
        for person in six:
            assert person.get_full_name() not in alert.subject + alert.body
        services.compliance_review(today=december + datetime.timedelta(days=1))
        assert Notification.objects.filter(kind=KIND).count() == told.count()

        board = signed_in_client(coordinator).get(reverse("training:board")).content.decode()
        assert "What to schedule" in board
        # Seven need Q4 (the six and the one holding January's place, which is too late).
        assert (
            "Schedule update sessions giving 8 hours on or before 31 December 2025, "
            "with places for 7 people." in board
        )
        assert board.count("cannot meet the year with the sessions scheduled") == 7

        # Their own page says it too; the one done does not.
        supporter = signed_in_client(six[0])
        mine = supporter.get(reverse("training:mine")).content.decode()
        assert "Cannot meet the year with the sessions scheduled: 8 update hours short" in mine
        assert (
            "Cannot meet"
            not in signed_in_client(done).get(reverse("training:mine")).content.decode()
        )

        # And the coordinator's page of one of them.
        transcript = reverse("training:transcript", args=[six[0].pk])
        page = signed_in_client(coordinator).get(transcript).content.decode()
        assert "Cannot meet the year with the sessions scheduled" in page

        # A December session with four free places: three still need a place.
        update_session(datetime.date(YEAR, 12, 10), capacity=4)
        board = signed_in_client(coordinator).get(reverse("training:board")).content.decode()
        assert "giving 8 hours on or before 31 December 2025, with places for 3 people." in board
        # Each alone could take one of its places: no one is told they cannot.
        assert "cannot meet the year" not in board


def test_the_coordinator_is_told_in_time_to_schedule_and_not_while_places_suffice(personas):
    coordinator = personas["coordinator"]
    people = [trained_supporter(q1=8, q2=8, q3=8) for _ in range(2)]
    october = datetime.date(YEAR, 10, 1)
    with time_machine.travel(_at(october)):
        # 31 December is further than twice the supporters' warning ahead: not yet.
        assert services.compliance_review(today=october)["sessions_needed"] == 0
    november = datetime.date(YEAR, 11, 25)
    session = update_session(datetime.date(YEAR, 12, 9), capacity=1)
    with time_machine.travel(_at(november)):
        assert services.compliance_review(today=november)["sessions_needed"] == 1
    assert Notification.objects.filter(kind=KIND, user=coordinator).count() == 1
    # With places for both, nothing is missing.
    session.capacity = 2
    session.save(update_fields=["capacity"])
    with time_machine.travel(_at(november)):
        assert services.compliance_review(today=november)["sessions_needed"] == 0
    assert all(
        not Notification.objects.filter(kind=KIND, user=person).exists() for person in people
    )
