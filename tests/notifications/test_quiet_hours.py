"""Quiet hours: a person's non-urgent alerts created in them wait for their end (local time,
settings.TIME_ZONE, America/Chicago here), urgent ones go at once. Across midnight, both
daylight-saving changes and the year's end."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from peersupport.notifications.messages import notify_message
from peersupport.notifications.models import Notification
from peersupport.notifications.rules import in_quiet_hours, quiet_until
from peersupport.notifications.services import deliver_due

from ..factories import QuietHoursFactory, UserFactory

CHICAGO = ZoneInfo("America/Chicago")
NIGHT = (time(22), time(7))
LINK = "https://ps.example/training/"


def at(*args, fold=0):
    return datetime(*args, tzinfo=CHICAGO).replace(fold=fold)


@pytest.mark.parametrize(
    ("local", "start", "end", "inside"),
    [
        (time(23, 30), time(22), time(7), True),
        (time(6, 59), time(22), time(7), True),
        (time(7), time(22), time(7), False),
        (time(21, 59), time(22), time(7), False),
        (time(22), time(22), time(7), True),
        (time(13), time(12), time(14), True),
        (time(14), time(12), time(14), False),
        (time(11, 59), time(12), time(14), False),
    ],
)
def test_in_quiet_hours(local, start, end, inside):
    assert in_quiet_hours(local, start, end) is inside


@pytest.mark.parametrize(
    ("now", "start", "end", "until"),
    [
        # Before midnight: they end tomorrow morning.
        (at(2026, 6, 10, 23, 15), *NIGHT, at(2026, 6, 11, 7)),
        # After midnight: this morning.
        (at(2026, 6, 11, 3), *NIGHT, at(2026, 6, 11, 7)),
        # Outside them: none.
        (at(2026, 6, 11, 7), *NIGHT, None),
        (at(2026, 6, 11, 12), *NIGHT, None),
        # Within one day.
        (at(2026, 6, 11, 12, 30), time(12), time(13, 30), at(2026, 6, 11, 13, 30)),
        # The year ends in the middle of them.
        (at(2026, 12, 31, 23, 59), *NIGHT, at(2027, 1, 1, 7)),
        # Spring forward (8 March 2026, 02:00 -> 03:00): 07:00 CDT, one hour sooner in UTC.
        (at(2026, 3, 7, 23), *NIGHT, at(2026, 3, 8, 7)),
        # An end in the missing hour is the moment it would have been: 02:30 CST = 03:30 CDT.
        (at(2026, 3, 8, 1, 30), time(22), time(2, 30), at(2026, 3, 8, 3, 30)),
        # Fall back (1 November 2026, 02:00 -> 01:00): 07:00 CST.
        (at(2026, 10, 31, 23), *NIGHT, at(2026, 11, 1, 7)),
        # An end in the hour that comes twice: its first pass...
        (at(2026, 11, 1, 1, 10), time(23), time(1, 30), at(2026, 11, 1, 1, 30)),
        # ...and, once the clocks went back, its second (not the first, which is past).
        (at(2026, 11, 1, 1, 10, fold=1), time(23), time(1, 30), at(2026, 11, 1, 1, 30, fold=1)),
    ],
)
def test_quiet_until(now, start, end, until):
    found = quiet_until(now.astimezone(UTC), start, end, CHICAGO)
    if until is None:
        assert found is None
    else:
        assert found == until.astimezone(UTC)
        assert found > now.astimezone(UTC)


def test_the_hours_between_the_two_ends_on_the_night_the_clocks_go_back():
    """23:00 to 01:30 on 1 November: 01:30 comes twice; at 01:40 CDT it is still quiet (the
    second 01:30 is ahead), and the end is that second 01:30 CST."""
    now = at(2026, 11, 1, 1, 40)
    assert quiet_until(now, time(23), time(1, 30), CHICAGO) is None  # 01:40 is past 01:30
    now = at(2026, 11, 1, 1, 20, fold=1)
    assert quiet_until(now, time(23), time(1, 30), CHICAGO) == at(
        2026, 11, 1, 1, 30, fold=1
    ).astimezone(UTC)


def _tell(user, message="training/session_soon", key="k", **context):
    defaults = {
        "training/session_soon": {"course": "Update", "starts_at": "", "place": "HQ"},
        "confidentiality/escalation_waiting": {"reminder": False},
    }
    return notify_message(
        key=key, user=user, message=message, link=LINK, **(defaults[message] | context)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("created", "due"),
    [
        (at(2026, 12, 31, 22, 30), at(2027, 1, 1, 7)),  # year end
        (at(2026, 3, 8, 1, 45), at(2026, 3, 8, 7)),  # the night the clocks go forward
        (at(2026, 11, 1, 1, 30, fold=1), at(2026, 11, 1, 7)),  # the night they go back
    ],
)
def test_a_non_urgent_alert_waits_for_the_end_of_quiet_hours_then_goes(created, due):
    sleeper = UserFactory()
    QuietHoursFactory(user=sleeper, start=time(22), end=time(7))
    with time_machine.travel(created, tick=False) as clock:
        (row,) = _tell(sleeper)
        assert row.status == Notification.Status.PENDING
        assert row.next_attempt_at == due.astimezone(UTC)
        assert deliver_due() == {}
        assert mail.outbox == []
        clock.move_to(due.astimezone(UTC))
        assert deliver_due() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [[sleeper.email]]


@pytest.mark.django_db
def test_an_urgent_alert_goes_at_once_in_quiet_hours():
    sleeper, awake = UserFactory(), UserFactory()
    QuietHoursFactory(user=sleeper)
    with time_machine.travel(at(2026, 12, 31, 23, 30), tick=False):
        (row,) = _tell(sleeper, message="confidentiality/escalation_waiting")
        assert row.urgent and row.next_attempt_at == timezone.now()
        (other,) = _tell(awake, key="other")  # no quiet hours: at once (no hold in tests)
        assert other.next_attempt_at == timezone.now()
        assert deliver_due() == {"sent": 2}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([sleeper.email, awake.email])


@pytest.mark.django_db
def test_outside_quiet_hours_nothing_waits():
    person = UserFactory()
    QuietHoursFactory(user=person)
    with time_machine.travel(at(2026, 6, 10, 12), tick=False):
        (row,) = _tell(person)
        assert row.next_attempt_at == timezone.now()


@pytest.mark.django_db
def test_what_came_in_the_night_goes_as_one_message_when_quiet_hours_end(settings):
    settings.NOTIFY_COALESCE_SECONDS = 60
    sleeper = UserFactory()
    QuietHoursFactory(user=sleeper)
    with time_machine.travel(at(2026, 12, 31, 22, 5), tick=False) as clock:
        _tell(sleeper, key="a")
        clock.move_to(at(2027, 1, 1, 3, 0))
        _tell(sleeper, key="b")
        clock.move_to(at(2027, 1, 1, 6, 59, 59))
        _tell(sleeper, key="c")
        assert deliver_due() == {}
        clock.move_to(at(2027, 1, 1, 7))
        assert deliver_due() == {"sent": 1}
    (message,) = mail.outbox
    assert message.subject == "[Peer Support] 3 things wait for you in Peer Support"
    assert message.body == f"Sign in to see them:\n{LINK}"
