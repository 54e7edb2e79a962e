"""Training pages. Supporters see sessions, the calendar and their own record, enrol and leave;
the coordinator schedules, enrols, records attendance and reads the compliance board; an
instructor records attendance for their own sessions; the BHS manager reads the board and the
records. Every id in a URL is looked up through selectors.
"""

import calendar as pycalendar
import datetime
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required, signed_in
from peersupport.tenancy import switch_to
from peersupport.web.forms import apply_service_errors, posted, render_form, submit
from peersupport.web.navigation import address_of
from peersupport.web.pagination import paginate
from peersupport.web.pdf import pdf_response
from peersupport.web.rows import text as _text

from . import ics, selectors, services
from .compliance import Status as ComplianceStatus
from .forms import (
    MAX_DAYS,
    NEW_SESSION_ROWS,
    AttendanceForm,
    BoardFilterForm,
    CourseForm,
    DayFormSet,
    EnrolPersonForm,
    ReasonForm,
    RepeatForm,
    SessionAttendanceForm,
    SessionForm,
    YearForm,
)
from .models import CourseKind, Enrolment, TrainingSession
from .rules import repeat_days, weekdays_from

COORDINATOR = Role.COORDINATOR
READERS = (Role.PEER_SUPPORTER, Role.COORDINATOR, Role.BHS_MANAGER)
OVERSEERS = (Role.COORDINATOR, Role.BHS_MANAGER)
# Instructors hold one of these; the day decides (selectors.day_for_attendance).
ATTENDANCE_TAKERS = (Role.COORDINATOR, Role.PEER_SUPPORTER, Role.BHS_MANAGER)


def _year(request) -> int:
    form = YearForm(request.GET)
    today = timezone.localdate()
    if form.is_valid() and form.cleaned_data["year"]:
        return min(form.cleaned_data["year"], today.year)
    return today.year


# Tables written in Python (a person's transcript, the board's rows): as template loops their
# rows cost most of their pages. Every value from the database goes through _text, the escaping
# Django's templates apply (web.rows.text), and each row's link comes from one reversed pattern
# (web.navigation.address_of), as for the kernel's lists and the directory's cards.


def _address(url_name: str, pk: int) -> str:
    return _text(address_of(url_name, pk))


def _hours(value: Decimal) -> str:
    """``value|floatformat:"-2"`` for hours, which are stored with two decimal places: whole
    hours without decimals, the others with two."""
    if value == value.to_integral_value():
        return f"{value:.0f}"
    return f"{value:.2f}"


def _date(value) -> str:
    """``value|date:"j F Y"``: a date, or a datetime in the current time zone."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return date_format(value, "j F Y")


def _corrections(entry: selectors.TranscriptEntry, attrs: str) -> str:
    """The list of an entry's corrections (none: nothing)."""
    if not entry.corrections:
        return ""
    items = "".join(
        f"<li>Corrected {_date(c.corrected_at)}: {_hours(c.hours_before)} → "
        f"{_hours(c.hours_after)} hours ({_text(c.reason)})</li>"
        for c in entry.corrections
    )
    return f"<ul{attrs}>{items}</ul>"


def _transcript_entry(entry: selectors.TranscriptEntry, certificate: Callable[[int], str] | None):
    session = entry.session
    pk = int(session.pk)
    cancelled = " (cancelled)" if session.is_cancelled else ""
    first, last = session.first_date, session.last_date
    dates = _date(first) if last == first else f"{_date(first)} to {_date(last)}"
    complete = " · complete" if entry.complete else ""
    parts = [
        f'<section class="card training-entry" aria-labelledby="entry-{pk}">',
        f'<h3 id="entry-{pk}">{_text(session.course)}{cancelled}</h3>',
        f"<p>{dates} · {_text(session.place)} · {_hours(entry.credited)} of "
        f"{_hours(entry.possible)} hours credited{complete}</p>",
    ]
    if entry.complete and certificate is not None:
        parts.append(f'<p><a href="{certificate(pk)}">Certificate of completion (PDF)</a></p>')
    parts.append(_corrections(entry, ' class="plain-list"'))
    parts.append("</section>")
    return "".join(parts)


def transcript_entries(entries: list[selectors.TranscriptEntry], *, person=None) -> SafeString:
    """A person's sessions, one card each, with a link to the certificate of each completed
    one: their own (``person`` None) or, for the coordinator, ``person``'s."""
    if not entries:
        return mark_safe("<p>No training recorded yet.</p>")  # noqa: S308
    if person is None:
        certificate = partial(_address, "training:certificate")
    else:
        # Another person's certificates: the person's id is part of the address too.
        def certificate(pk: int) -> str:
            return _text(reverse("training:certificate_for", args=[person.pk, pk]))

    # Safe: every value from the database went through _text, the rest is this module's.
    return mark_safe("\n".join(_transcript_entry(e, certificate) for e in entries))  # noqa: S308


def _pdf_entry(entry: selectors.TranscriptEntry) -> str:
    session = entry.session
    cancelled = " (cancelled)" if session.is_cancelled else ""
    first, last = session.first_date, session.last_date
    dates = _date(first) if last == first else f"{_date(first)} to {_date(last)}"
    complete = " (complete)" if entry.complete else ""
    parts = [
        f"<h3>{_text(session.course)}{cancelled}</h3>",
        f"<p>{_text(session.course.get_kind_display())}, {dates}, at {_text(session.place)}. "
        f"Hours credited: {_hours(entry.credited)} of {_hours(entry.possible)}{complete}.</p>",
        "<table><thead><tr><th>Day</th><th>Hours credited</th><th>Hours of the day</th></tr>"
        "</thead><tbody>",
    ]
    for day, a in entry.days:
        on = date_format(timezone.localtime(day.starts_at), "l j F Y")
        credited = _hours(a.hours) if a is not None else "not recorded"
        parts.append(f"<tr><td>{on}</td><td>{credited}</td><td>{_hours(day.hours)}</td></tr>")
    parts.append("</tbody></table>")
    parts.append(_corrections(entry, ""))
    return "".join(parts)


def transcript_pdf_entries(entries: list[selectors.TranscriptEntry]) -> SafeString:
    """The transcript PDF's sessions, each with its table of days (``transcript_entries``, in
    the PDF's plainer form)."""
    if not entries:
        return mark_safe("<p>No training recorded.</p>")  # noqa: S308
    # Safe: every value from the database went through _text, the rest is this module's.
    return mark_safe("\n".join(_pdf_entry(e) for e in entries))  # noqa: S308


# --- The supporter's own page ---------------------------------------------------------------


def _mine_page(request, *, token: str = ""):
    user = request.user
    today = timezone.localdate()
    profile, upcoming = selectors.own_profile_and_upcoming(user)
    entries = selectors.transcript(user)
    credits = selectors.transcript_credits(entries)
    result = selectors.judge(credits, year=today.year, today=today)
    context = {
        "profile": profile,
        "in_program": profile is not None or bool(entries) or user.has_role(Role.PEER_SUPPORTER),
        "compliance": result,
        "outlook": selectors.person_outlook(user, result),
        "initial_hours": selectors.credited_initial_hours(credits),
        "upcoming": upcoming,
        "transcript": transcript_entries(entries),
        "has_feed": hasattr(user, "training_feed"),
        "reads_sessions": user.has_role(*READERS),
        "feed_url": (request.build_absolute_uri(f"/training/feed/{token}.ics") if token else ""),
    }
    return render(request, "training/mine.html", context)


@signed_in
@require_GET
def mine(request):
    return _mine_page(request)


@signed_in
@never_cache
@require_POST
def feed_reset(request):
    token = services.feed_reset(actor=request.user)
    # Shown on this response only: the token itself is never stored.
    return _mine_page(request, token=token)


@public
@require_GET
def feed(request, token: str):
    found = selectors.feed_user(token)
    if (agency_id := selectors.feed_agency_id(found.user)) is not None:
        switch_to(agency_id)  # the person's sessions, not the default agency's (issue 23)
    days = list(selectors.feed_days_for_user(found.user))
    statuses = {
        d.session_id: "TENTATIVE" for d in days if d.place_status == Enrolment.Status.WAITLISTED
    }
    body = ics.calendar(days, name="Peer support training", statuses=statuses)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- Sessions and the calendar --------------------------------------------------------------


def _day_month_year(moment: datetime.datetime) -> str:
    """``{{ moment|date:"j M Y" }}``: the day in the current time zone (its month's short
    name as ``dateformat`` writes it, for a tenth of its cost)."""
    day = timezone.localtime(moment)
    return f"{day.day} {str(MONTHS_3[day.month]).title()} {day.year}"


def _upcoming_row(s: selectors.UpcomingSession) -> str:
    when = _day_month_year(s.starts_at)
    if timezone.localdate(s.ends_at) != timezone.localdate(s.starts_at):
        when += f" – {_day_month_year(s.ends_at)}"
    places = f"{s.enrolled} of {s.capacity}" + (f", {s.waiting} waiting" if s.waiting else "")
    return (
        f'<tr><td><a href="{_address("training:session", s.pk)}">{_text(s.title)}</a>'
        f"{' (cancelled)' if s.is_cancelled else ''}</td>"
        f"<td>{when}</td><td>{_text(s.place)}</td><td>{places}</td></tr>"
    )


def _past_item(s: TrainingSession) -> str:
    cancelled = " (cancelled)" if s.is_cancelled else ""
    return (
        f'<li><a href="{_address("training:session", s.pk)}">{_text(s.course.title)}</a>, '
        f"{_day_month_year(s.starts_at)}{cancelled}</li>"
    )


@roles_required(*READERS)
@require_GET
def sessions(request):
    upcoming = selectors.sessions_upcoming()
    past = paginate(request, selectors.sessions_past())
    # Safe: every value from the database went through _text, the rest is this module's.
    return render(
        request,
        "training/sessions.html",
        {
            "upcoming": upcoming,
            "upcoming_rows": mark_safe("\n".join(map(_upcoming_row, upcoming))),  # noqa: S308
            "past": past,
            "past_items": mark_safe("\n".join(map(_past_item, past))),  # noqa: S308
            "manages": request.user.has_role(COORDINATOR),
        },
    )


@roles_required(*READERS)
@require_GET
def calendar(request):
    today = timezone.localdate()
    try:
        month = datetime.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    by_date = selectors.calendar_days(weeks[0][0], weeks[-1][-1])
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "training/calendar.html",
        {
            "month": month,
            "today": today,
            "weeks": [[(d, by_date.get(d, [])) for d in week] for week in weeks],
            "previous": previous,
            "following": following,
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        },
    )


def _place_items(places: list[selectors.Place], *, removable: bool, action: str, after: str):
    """The ``li`` of each place on a session (enrolled or waiting), with the link that
    cancels it (before the session starts): ``action`` and ``after`` the words around the
    person's name in the link's hidden text. A session of the initial course holds two hundred
    places; as a template loop they were most of its page."""
    if not places:
        return ""
    items = []
    for e in places:
        name = _text(e.name)
        link = (
            f' <a class="button button--small button--quiet" '
            f'href="{_address("training:enrolment_cancel", e.pk)}">{action}'
            f'<span class="visually-hidden"> {after.format(name=name)}</span></a>'
            if removable
            else ""
        )
        items.append(f"<li>{name}{link}</li>")
    # Safe: every value from the database went through _text, the rest is this module's.
    return mark_safe("\n".join(items))  # noqa: S308


def _session_page(request, session, *, enrol_form=None, errors=(), status=200):
    user = request.user
    manages = user.has_role(COORDINATOR)
    grouped = selectors.session_enrolments(session)
    mine = next((e for group in grouped.values() for e in group if e.user_id == user.pk), None)
    now = timezone.now()
    not_started = session.starts_at > now
    context = {
        "session": session,
        "days": list(session.days.all()),
        "enrolled": _place_items(
            grouped[Enrolment.Status.ENROLLED] if manages else [],
            removable=not_started,
            action="Cancel",
            after="the place of {name}",
        ),
        "waiting": _place_items(
            grouped[Enrolment.Status.WAITLISTED] if manages else [],
            removable=not_started,
            action="Remove",
            after="{name} from the waiting list",
        ),
        "enrolled_count": len(grouped[Enrolment.Status.ENROLLED]),
        "waiting_count": len(grouped[Enrolment.Status.WAITLISTED]),
        "mine": mine,
        "manages": manages,
        "takes_attendance": services.may_record_attendance(user, session),
        "open": not session.is_cancelled and session.ends_at > now,
        "not_started": not_started,
        "now": now,
        "may_enrol": user.has_role(Role.PEER_SUPPORTER),
        "enrol_form": enrol_form or (EnrolPersonForm(session=session) if manages else None),
        "errors": errors,
    }
    return render(request, "training/session.html", context, status=status)


@roles_required(*READERS)
@require_GET
def session_detail(request, session_id: int):
    return _session_page(request, selectors.session(session_id))


def _session_form_page(request, form, days, *, session=None, repeat=None, preview=(), status=200):
    return render(
        request,
        "training/session_form.html",
        {
            "form": form,
            "days": days,
            "session": session,
            "max_days": MAX_DAYS,
            # Only a new session repeats; a change is to one session.
            "repeat": repeat if session is None else None,
            "preview": preview,
        },
        status=status,
    )


def _with_another_day(request, session=None):
    """The form as typed, with one more empty day row; nothing is checked or saved yet."""
    prefix = DayFormSet.get_default_prefix()
    try:
        count = min(int(request.POST.get(f"{prefix}-TOTAL_FORMS", "")), MAX_DAYS)
    except ValueError:
        count = 0
    fields = DayFormSet.form.base_fields
    rows = [{f: request.POST.get(f"{prefix}-{i}-{f}", "") for f in fields} for i in range(count)]
    if count < MAX_DAYS:
        rows += DayFormSet.initial_for(rows=1)
    form = SessionForm(initial={f: request.POST.get(f, "") for f in SessionForm.base_fields})
    repeat = RepeatForm(initial={f: request.POST.get(f, "") for f in RepeatForm.base_fields})
    return _session_form_page(
        request, form, DayFormSet(initial=rows), session=session, repeat=repeat
    )


def _with_days_filled(request, session=None):
    """The form as typed, each row without a date given the next working day after the row
    before, with the first day's times and hours where it has none: a five-day course is one
    date to type. Nothing is checked or saved yet."""
    prefix = DayFormSet.get_default_prefix()
    try:
        count = min(int(request.POST.get(f"{prefix}-TOTAL_FORMS", "")), MAX_DAYS)
    except ValueError:
        count = 0
    fields = DayFormSet.form.base_fields
    rows = [{f: request.POST.get(f"{prefix}-{i}-{f}", "") for f in fields} for i in range(count)]
    try:
        first = datetime.date.fromisoformat(rows[0]["date"]) if rows else None
    except ValueError:
        first = None
    if first is None:
        messages.error(request, "Give the first day's date, then fill the following days.")
    else:
        dates = weekdays_from(first, count)
        for row, on in zip(rows, dates, strict=True):
            if not row["date"]:
                row["date"] = on.isoformat()
            for name in ("start_time", "end_time", "hours"):
                row[name] = row[name] or rows[0][name]
    form = SessionForm(initial={f: request.POST.get(f, "") for f in SessionForm.base_fields})
    repeat = RepeatForm(initial={f: request.POST.get(f, "") for f in RepeatForm.base_fields})
    return _session_form_page(
        request, form, DayFormSet(initial=rows), session=session, repeat=repeat
    )


def _session_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "course": data["course"],
        "place": data["place"],
        "capacity": data["capacity"],
        "instructor": data["instructor"],
        "instructor_name": data["instructor_name"],
        "notes": data["notes"],
    }


def _days_on_top(exc: ValidationError) -> ValidationError:
    """The days' problems name the day ("On 3 May ..."), so they read well at the top."""
    if hasattr(exc, "error_dict") and "days" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors[None] = errors.pop("days")
        return ValidationError(errors)
    return exc


def _save_session(request, form, days, session=None):
    try:
        return services.session_save(
            actor=request.user, session=session, days=days.day_plans(), **_session_fields(form)
        )
    except ValidationError as exc:
        apply_service_errors(form, _days_on_top(exc))
        return None


def _repeat_errors(form, repeat, exc: ValidationError) -> None:
    """A repeat's problems on the repeat's fields, the rest on the session's form."""
    exc = _days_on_top(exc)
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = repeat if field in repeat.fields else form
            target.add_error(field if field in target.fields else None, errors)
    else:
        form.add_error(None, exc)


def _session_post(request, session=None):
    if "add_day" in request.POST:
        return _with_another_day(request, session)
    if "fill_days" in request.POST:
        return _with_days_filled(request, session)
    form = SessionForm(request.POST)
    days = DayFormSet(request.POST)
    repeat = RepeatForm(request.POST) if session is None else None
    # All are checked, so that every mistake is shown at once.
    valid = form.is_valid() & days.is_valid() & (repeat is None or repeat.is_valid())
    plan = repeat.plan() if valid and repeat is not None else None
    if valid and plan:
        page = {"session": session, "repeat": repeat}
        try:
            if "preview" in request.POST:
                occurrences = repeat_days(days.day_plans(), **plan)
                preview = [[d.starts_at for d in o] for o in occurrences]
                return _session_form_page(request, form, days, preview=preview, **page)
            saved = services.sessions_schedule(
                actor=request.user, days=days.day_plans(), **plan, **_session_fields(form)
            )
        except ValidationError as exc:
            _repeat_errors(form, repeat, exc)
            return _session_form_page(request, form, days, status=400, **page)
        messages.success(request, f"{len(saved)} sessions are scheduled.")
        return redirect("training:sessions")
    if valid and (saved := _save_session(request, form, days, session)):
        messages.success(
            request, "The session is saved." if session else "The session is scheduled."
        )
        return redirect("training:session", session_id=saved.pk)
    return _session_form_page(request, form, days, session=session, repeat=repeat, status=400)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def session_new(request):
    if request.method == "POST":
        return _session_post(request)
    initial = {}
    course_id = request.GET.get("course", "")
    rows = NEW_SESSION_ROWS
    if course_id.isdigit():
        initial["course"] = int(course_id)
        course = selectors.active_course(int(course_id))
        rows = min(max(course.days, 1), MAX_DAYS) if course else rows
    days = DayFormSet(initial=DayFormSet.initial_for(rows=rows))
    return _session_form_page(request, SessionForm(initial=initial), days, repeat=RepeatForm())


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def session_edit(request, session_id: int):
    session = selectors.session(session_id)
    if request.method == "POST":
        return _session_post(request, session)
    form = SessionForm(initial=SessionForm.initial_for(session))
    days = DayFormSet(initial=DayFormSet.initial_for(session, rows=0))
    return _session_form_page(request, form, days, session=session)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def session_cancel(request, session_id: int):
    session = selectors.session(session_id)
    form = ReasonForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.session_cancel(
            actor=request.user, session=session, reason=form.cleaned_data["reason"]
        ),
        success="The session is cancelled; everyone enrolled is told.",
        then=reverse("training:session", args=[session.pk]),
    ):
        return done
    return render_form(request, "training/session_cancel.html", {"session": session, "form": form})


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def enrol(request, session_id: int):
    session = selectors.session(session_id)
    try:
        enrolment = services.enrolment_add(actor=request.user, session=session, user=request.user)
    except ValidationError as exc:
        return _session_page(request, session, errors=exc.messages, status=400)
    if enrolment.status == Enrolment.Status.WAITLISTED:
        messages.info(request, "The session is full: you are on its waiting list.")
    else:
        messages.success(request, "You are enrolled.")
    return redirect("training:session", session_id=session.pk)


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def leave(request, session_id: int):
    session = selectors.session(session_id)
    enrolment = selectors.own_place(request.user, session)
    if enrolment is None:
        return _session_page(request, session, errors=["You hold no place here."], status=400)
    try:
        services.enrolment_cancel(actor=request.user, enrolment=enrolment)
    except ValidationError as exc:
        return _session_page(request, session, errors=exc.messages, status=400)
    messages.success(request, "You gave up your place.")
    return redirect("training:session", session_id=session.pk)


@roles_required(COORDINATOR)
@require_POST
def enrol_person(request, session_id: int):
    session = selectors.session(session_id)
    form = EnrolPersonForm(request.POST, session=session)

    def enrol():
        try:
            return services.enrolment_add(
                actor=request.user, session=session, user=form.cleaned_data["person"].user
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None  # at the top of the form

    def enrolled(enrolment) -> str:
        where = "enrolled" if enrolment.status == Enrolment.Status.ENROLLED else "waiting"
        return f"{form.cleaned_data['person'].name} is {where}."

    if done := submit(
        request,
        form,
        enrol,
        success=enrolled,
        then=reverse("training:session", args=[session.pk]),
    ):
        return done
    return _session_page(request, session, enrol_form=form, status=400)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def enrolment_cancel(request, enrolment_id: int):
    """Cancel someone's place: a confirmation page asking why (the reason is kept, the person
    is told only that their place was cancelled)."""
    enrolment = selectors.enrolment(enrolment_id)
    form = ReasonForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.enrolment_cancel(
            actor=request.user, enrolment=enrolment, reason=form.cleaned_data["reason"]
        ),
        success="The place is cancelled; the person is told.",
        then=reverse("training:session", args=[enrolment.session_id]),
    ):
        return done
    return render_form(
        request, "training/enrolment_cancel.html", {"enrolment": enrolment, "form": form}
    )


# --- Attendance -----------------------------------------------------------------------------


@roles_required(*ATTENDANCE_TAKERS)
@require_http_methods(["GET", "POST"])
def attendance(request, day_id: int):
    day = selectors.day_for_attendance(request.user, day_id)
    session = day.session
    recorded, people = selectors.attendance_sheet(day)
    hours = {uid: a.hours for uid, a in recorded.items()}
    form = AttendanceForm(posted(request), people=people, day=day, recorded=hours)
    happened = day.starts_at <= timezone.now()
    if done := submit(
        request,
        form,
        lambda: services.attendance_record(
            actor=request.user,
            day=day,
            hours_by_user=form.hours_by_user(),
            reason=form.cleaned_data["reason"],
        ),
        success=lambda counts: f"Attendance saved: {counts[0]} recorded, {counts[1]} corrected.",
        then=reverse("training:session", args=[session.pk]),
    ):
        return done
    return render_form(
        request,
        "training/attendance.html",
        {"day": day, "session": session, "form": form, "happened": happened, "recorded": recorded},
    )


@roles_required(*ATTENDANCE_TAKERS)
@require_http_methods(["GET", "POST"])
def session_attendance(request, session_id: int):
    """Every day of a session on one page, each person present for each day unless changed.
    Days still to come are listed but not recorded."""
    session = selectors.session_for_attendance(request.user, session_id)
    days, recorded, people = selectors.session_attendance_sheet(session)
    now = timezone.now()
    begun = [d for d in days if d.starts_at <= now]
    form = SessionAttendanceForm(posted(request), people=people, days=begun, recorded=recorded)
    if done := submit(
        request,
        form,
        lambda: services.session_attendance_record(
            actor=request.user,
            session=session,
            hours_by_day=form.hours_by_day(),
            reason=form.cleaned_data["reason"],
        ),
        success=lambda counts: f"Attendance saved: {counts[0]} recorded, {counts[1]} corrected.",
        then=reverse("training:session", args=[session.pk]),
    ):
        return done
    return render_form(
        request,
        "training/session_attendance.html",
        {
            "session": session,
            "form": form,
            "days": begun,
            "to_come": [d for d in days if d.starts_at > now],
            "recorded_any": bool(recorded),
        },
    )


# --- Courses --------------------------------------------------------------------------------


@roles_required(COORDINATOR)
@require_GET
def courses(request):
    return render(request, "training/courses.html", {"courses": selectors.courses()})


def _course_page(request, form, *, course=None, status=200, feed_token=""):
    context = {
        "form": form,
        "course": course,
        "has_feed": course is not None and hasattr(course, "feed"),
        "feed_url": (
            request.build_absolute_uri(reverse("training:course_feed_public", args=[feed_token]))
            if feed_token
            else ""
        ),
    }
    return render(request, "training/course_form.html", context, status=status)


def _save_course(request, form, course=None):
    try:
        return services.course_save(actor=request.user, course=course, **form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def course_new(request):
    if request.method == "GET":
        kind = request.GET.get("kind", CourseKind.WORKSHOP)
        kind = kind if kind in CourseKind.values else CourseKind.WORKSHOP
        initial = {"kind": kind, "is_active": True, **CourseForm.defaults(kind)}
        return _course_page(request, CourseForm(initial=initial))
    form = CourseForm(request.POST)
    if form.is_valid() and _save_course(request, form):
        messages.success(request, "The course is saved.")
        return redirect("training:courses")
    return _course_page(request, form, status=400)


@roles_required(COORDINATOR)
@require_http_methods(["GET", "POST"])
def course_edit(request, course_id: int):
    course = selectors.course(course_id)
    if request.method == "GET":
        initial = {f: getattr(course, f) for f in CourseForm.base_fields}
        return _course_page(request, CourseForm(initial=initial), course=course)
    form = CourseForm(request.POST)
    if form.is_valid() and _save_course(request, form, course):
        messages.success(request, "The course is saved.")
        return redirect("training:courses")
    return _course_page(request, form, course=course, status=400)


def _course_calendar(course) -> HttpResponse:
    body = ics.calendar(selectors.feed_days_for_course(course), name=course.title)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="course-{course.pk}.ics"'
    return response


@roles_required(*READERS)
@require_GET
def course_feed(request, course_id: int):
    return _course_calendar(selectors.course(course_id))


@roles_required(COORDINATOR)
@never_cache
@require_POST
def course_feed_reset(request, course_id: int):
    course = selectors.course(course_id)
    token = services.course_feed_reset(actor=request.user, course=course)
    initial = {f: getattr(course, f) for f in CourseForm.base_fields}
    # Shown on this response only: the token itself is never stored.
    return _course_page(request, CourseForm(initial=initial), course=course, feed_token=token)


@public
@require_GET
def course_feed_public(request, token: str):
    """The course's sessions for calendar apps, which cannot sign in: the secret address is
    the key. Sessions are the program's, read by every supporter; no one's enrolment is in it."""
    course = selectors.feed_course(token)
    switch_to(course.agency_id)  # its sessions are its agency's (issue 23)
    return _course_calendar(course)


# --- Compliance and records -----------------------------------------------------------------


_NOT_JUDGED = '<td colspan="3">Not worked out yet: the worker does it within minutes.</td>'


def _board_row(row: selectors.BoardRow) -> str:
    flagged = ' <span class="tag">flagged</span>' if row.flagged_at else ""
    cells = [
        f'<td><a href="{_address("training:transcript", row.user_id)}">{_text(row.name)}</a>'
        f"{flagged}</td>",
        f"<td>{_text(row.unit)}</td>",
        f"<td>{_text(row.roster_status_label)}</td>",
    ]
    c = row.compliance
    if c is None:
        cells.append(_NOT_JUDGED)
        return f"<tr>{''.join(cells)}</tr>"
    status = (
        f'<span class="training-status training-status--{_text(c.status)}">'
        f"{_text(c.status_label)}</span>"
    )
    if not row.current:
        as_of = date_format(timezone.localtime(row.as_of), "j F Y, H:i") if row.as_of else ""
        status += f' <span class="hint">as of {_text(as_of)}, being worked out again</span>'
    forecast = _text(c.summary) if row.current else ""
    if row.outlook is not None and (text := row.outlook.text):
        what = "cannot stay in compliance" if row.outlook.soon_short else "cannot meet the year"
        forecast += (
            f' <strong class="tag">{what} with the sessions scheduled</strong>'
            f' <span class="hint">{_text(text)}</span>'
        )
    cells += [
        f"<td>{status}</td>",
        f"<td>{_hours(c.update_hours)} of {_hours(c.target)}</td>",
        f"<td>{forecast}</td>",
    ]
    return f"<tr>{''.join(cells)}</tr>"


def board_rows(rows: list[selectors.BoardRow]) -> SafeString:
    """The board's table rows, one ``tr`` each (``_board_row``)."""
    # Safe: every value from the database went through _text, the rest is this module's.
    return mark_safe("\n".join(_board_row(row) for row in rows))  # noqa: S308


@roles_required(*OVERSEERS)
@require_GET
def board(request):
    form = BoardFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    year = _year(request)
    found = selectors.board(
        year=year,
        compliance_status=data.get("status", ""),
        roster_status=data.get("roster_status", ""),
        sort=data.get("sort") or "risk",
        page=request.GET.get("page"),
        with_outlook=True,
    )
    return render(
        request,
        "training/board.html",
        {
            "form": form,
            "board": found,
            "page": found.page,
            "rows": board_rows(found.rows),
            "year": year,
            "counts": [(ComplianceStatus(s).label, s, n) for s, n in found.counts.items()],
            "plan_shown": year == timezone.localdate().year,
            "gaps": found.gaps,
        },
    )


@roles_required(*OVERSEERS)
@require_GET
def export(request):
    year = _year(request)
    found = selectors.hours_csv(year=year)
    services.hours_export(actor=request.user, year=year, rows=found.rows)
    response = HttpResponse(found.text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-hours-{year}.csv"'
    return response


@roles_required(*OVERSEERS)
@require_GET
def transcript(request, user_id: int):
    profile = selectors.person(user_id)
    today = timezone.localdate()
    entries = selectors.transcript(profile.user)
    credits = selectors.transcript_credits(entries)
    years = sorted({e.session.first_date.year for e in entries} | {today.year}, reverse=True)
    judged = [selectors.judge(credits, year=year, today=today) for year in years[:4]]
    return render(
        request,
        "training/transcript.html",
        {
            "profile": profile,
            "person": profile.user,
            "transcript": transcript_entries(entries, person=profile.user),
            "years": judged,
            # This year's, weighed against the update sessions on offer.
            "outlook": selectors.person_outlook(profile.user, judged[0]),
            "initial_hours": selectors.credited_initial_hours(credits),
        },
    )


def _transcript_pdf(request, user):
    employee = getattr(user, "employee", None)
    entries = selectors.transcript(user)
    credits = selectors.transcript_credits(entries)
    today = timezone.localdate()
    services.transcript_export(actor=request.user, user=user, sessions=len(entries))
    return pdf_response(
        "training/transcript_pdf.html",
        {
            "name": employee.full_name if employee else str(user),
            "entries": transcript_pdf_entries(entries),
            "compliance": selectors.judge(credits, year=today.year, today=today),
            "initial_hours": selectors.credited_initial_hours(credits),
            "today": today,
            "department_name": settings.DEPARTMENT_NAME,
        },
        filename=f"training-transcript-{user.pk}-{today:%Y-%m-%d}.pdf",
    )


@signed_in
@require_GET
def transcript_pdf(request):
    return _transcript_pdf(request, request.user)


@roles_required(*OVERSEERS)
@require_GET
def transcript_pdf_for(request, user_id: int):
    return _transcript_pdf(request, selectors.person(user_id).user)


def _certificate(request, user, session_id: int):
    entry = selectors.certificate_entry(user, session_id)
    employee = getattr(user, "employee", None)
    name = employee.full_name if employee else str(user)
    return pdf_response(
        "training/certificate_pdf.html",
        {
            "entry": entry,
            "name": name,
            "today": timezone.localdate(),
            "department_name": settings.DEPARTMENT_NAME,
        },
        filename=f"certificate-{entry.session.pk}-{user.pk}.pdf",
    )


@signed_in
@require_GET
def certificate(request, session_id: int):
    return _certificate(request, request.user, session_id)


@roles_required(*OVERSEERS)
@require_GET
def certificate_for(request, user_id: int, session_id: int):
    return _certificate(request, selectors.person(user_id).user, session_id)
