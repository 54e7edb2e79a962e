"""Sessions counted, never named: the one rule behind outreach's group sessions and CISM's
defusings and debriefings, so the two keep the same window, the same bounds and the same words.

A session is scheduled with a start (from a day back, to record one just held), a place and who
leads it; afterwards only how many came is recorded, never who (rule 3: a record of attendance
would be a list of who sought help). Each app keeps its own table and its own audit actions;
this module holds the checks, the form fields and the attendance write they share.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from peersupport.audit.services import record
from peersupport.formfields import DateTimeField

ATTENDANCE_MAX = 10000
# A session may be scheduled from yesterday on (the department's days): one held last night
# is recorded the next morning.
SCHEDULE_FROM = timedelta(days=1)
TEXT_MAX = 200

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def default_session_start() -> datetime:
    """The form's suggestion: this hour, on the hour."""
    return timezone.localtime().replace(minute=0, second=0, microsecond=0)


class ScheduleForm(forms.Form):
    """When and where; each app adds who leads it under its own field name."""

    starts_at = DateTimeField(label="Starts", widget=DATETIME)
    place = forms.CharField(label="Place", max_length=TEXT_MAX)


class AttendanceForm(forms.Form):
    attendance = forms.IntegerField(label="How many came", min_value=0, max_value=ATTENDANCE_MAX)


def schedule_errors(
    *, starts_at: datetime, place: str, leader: str, leader_field: str
) -> dict[str, str]:
    """What is wrong with a session to schedule, by field (empty when nothing is)."""
    errors = {}
    if timezone.localdate(starts_at) < timezone.localdate() - SCHEDULE_FROM:
        errors["starts_at"] = "Schedule it from yesterday on."
    if not (place or "").strip():
        errors["place"] = "Say where."
    if not (leader or "").strip():
        errors[leader_field] = "Say who leads it."
    return errors


def clean_text(value: str) -> str:
    return value.strip()[:TEXT_MAX]


def attendance_record(*, actor, session, attendance: int | None, action: str, target):
    """Record how many came to ``session`` (a model with ``starts_at`` and ``attendance``) and
    audit it as ``action`` on ``target``, with the session's id and the count only. Call it
    inside the app's own transaction."""
    if session.starts_at > timezone.now():
        raise ValidationError({"attendance": "Record attendance after the session has started."})
    if attendance is None or not 0 <= attendance <= ATTENDANCE_MAX:
        raise ValidationError({"attendance": "Give the number of people who came."})
    session.attendance = attendance
    session.save(update_fields=["attendance"])
    record(
        actor=actor,
        action=action,
        target=target,
        details={"session_id": session.pk, "attendance": attendance},
    )
    return session


def attendance_submit(
    request: HttpRequest,
    call: Callable[[int], object],
    *,
    then: str,
    refused: Callable[[list[str]], HttpResponse],
) -> HttpResponse:
    """The attendance form's POST: the count to ``call`` (the app's service), then back to
    ``then``; a refusal is ``refused(messages)`` (the app's page again, status 400), and
    nothing is recorded."""
    form = AttendanceForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("How many came: give the number of people who came (0 or more).")
        call(form.cleaned_data["attendance"])
    except ValidationError as exc:
        return refused(exc.messages)
    messages.success(request, "Attendance recorded (a count, no names).")
    return redirect(then)
