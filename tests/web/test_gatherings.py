"""The rule outreach's group sessions and CISM's defusings and debriefings share
(web.gatherings): scheduled from yesterday on, a place and who leads it; afterwards a count of who
came, never names, within bounds, audited with the session's id and the count only."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from peersupport.web import gatherings

NOW = datetime(2027, 1, 1, 0, 30, tzinfo=timezone.get_current_timezone())


@time_machine.travel(NOW, tick=False)
def test_a_session_is_scheduled_from_yesterday_with_a_place_and_who_leads_it():
    def errors(**kwargs):
        given = {"starts_at": NOW, "place": "Station 4", "leader": "Team lead"} | kwargs
        return gatherings.schedule_errors(leader_field="led_by", **given)

    assert errors() == {}
    # From yesterday on, in the department's days: at 00:30 on New Year's Day, anything on
    # 31 December is allowed, however early; 30 December is not, however late.
    yesterday = datetime(2026, 12, 31, tzinfo=timezone.get_current_timezone())
    assert errors(starts_at=yesterday) == {}
    refused = errors(starts_at=yesterday - timedelta(seconds=1))
    assert refused == {"starts_at": "Schedule it from yesterday on."}
    assert errors(place="  ", leader="") == {"place": "Say where.", "led_by": "Say who leads it."}
    assert gatherings.clean_text("  " + "x" * 300) == "x" * 200


@pytest.mark.django_db
def test_attendance_is_a_bounded_count_recorded_after_the_start(personas):
    from peersupport.audit.models import AuditAction, AuditEvent

    from ..matrix.cism import activation as cism_activation

    coordinator = personas["coordinator"]
    activation = cism_activation(coordinator)
    session = activation.sessions.create(
        kind="defusing",
        starts_at=timezone.now() + timedelta(hours=1),
        place="Room B",
        led_by="Lead",
        created_by=coordinator,
    )

    def record(n):
        return gatherings.attendance_record(
            actor=coordinator,
            session=session,
            attendance=n,
            action=AuditAction.CISM_SESSION_ATTENDANCE,
            target=activation,
        )

    with pytest.raises(ValidationError, match="after the session has started"):
        record(3)
    session.starts_at = timezone.now() - timedelta(minutes=1)
    for wrong in (None, -1, gatherings.ATTENDANCE_MAX + 1):
        with pytest.raises(ValidationError, match="number of people who came"):
            record(wrong)
    assert record(0).attendance == 0
    event = AuditEvent.objects.get(action="cism.session_attendance")
    assert event.details == {"session_id": session.pk, "attendance": 0}
