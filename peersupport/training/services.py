"""Writes about training: courses, sessions and their days, enrolment with its waiting list,
attendance and its corrections, calendar addresses, exports, and the worker's reminders and
compliance review. Each write records its audit event in the same transaction; messages go out
only through the outbox (notifications.services), queued in that transaction too.
"""

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications import webhooks
from peersupport.notifications.messages import notify_message, site_link
from peersupport.roster.models import SupporterProfile
from peersupport.roster.services import supporter_set_status
from peersupport.tenancy import current_agency_id

from . import compliance, selectors
from .models import (
    Attendance,
    AttendanceCorrection,
    CalendarFeed,
    ComplianceRecord,
    Course,
    CourseFeed,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)
from .rules import (
    DayPlan,
    check_days,
    feed_token_hash,
    is_manager,
    may_record_attendance,
    repeat_days,
    session_when,
)

EStatus = Enrolment.Status
# The webhook event of new attendance records (apps.py registers it).
RECORD_CREATED = "training.record.created"


# Who runs training: the coordinator (PROGRAM.md, "Coordination"). The BHS manager reads it.
def _check_manager(actor: User | None) -> None:
    if not is_manager(actor):
        raise ValidationError("Only the program coordinator may do this.")


# --- Courses --------------------------------------------------------------------------------


@transaction.atomic
def course_save(
    *,
    actor: User,
    course: Course | None = None,
    kind: str,
    title: str,
    description: str,
    hours: Decimal,
    days: int,
    is_active: bool = True,
) -> Course:
    _check_manager(actor)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the course a title."})
    if kind not in CourseKind.values:
        raise ValidationError({"kind": "Unknown kind of course."})
    if hours <= 0:
        raise ValidationError({"hours": "A course credits some hours."})
    if days < 1:
        raise ValidationError({"days": "A course lasts at least one day."})
    if hours > days * 24:
        raise ValidationError({"hours": f"{days} day(s) cannot hold {hours} hours."})
    clash = Course.objects.filter(title__iexact=title)
    if course is not None:
        clash = clash.exclude(pk=course.pk)
    if clash.exists():
        raise ValidationError({"title": "Another course has this title."})
    created = course is None
    course = course or Course()
    course.kind, course.title, course.description = kind, title, description.strip()
    course.hours, course.days, course.is_active = hours, days, is_active
    if created:
        course.save()
    else:
        course.save(update_fields=["kind", "title", "description", "hours", "days", "is_active"])
    record(
        actor=actor,
        action=AuditAction.TRAINING_COURSE_SAVED,
        target=course,
        details={"created": created, "kind": kind, "hours": str(hours), "active": is_active},
    )
    return course


# --- Sessions -------------------------------------------------------------------------------


@transaction.atomic
def session_save(
    *,
    actor: User,
    session: TrainingSession | None = None,
    course: Course,
    place: str,
    capacity: int,
    days: list[DayPlan],
    instructor: User | None = None,
    instructor_name: str = "",
    notes: str = "",
) -> TrainingSession:
    """Schedule a session, or change one. Its days cannot change once attendance is recorded;
    more places move people up from the waiting list; fewer than are enrolled are refused."""
    _check_manager(actor)
    place = place.strip()
    if not place:
        raise ValidationError({"place": "Say where the session is held."})
    if capacity < 1:
        raise ValidationError({"capacity": "A session has at least one place."})
    days = check_days(days)
    created = session is None
    if created:
        if not course.is_active:
            raise ValidationError({"course": "This course is no longer offered."})
        session = TrainingSession(course=course, created_by=actor)
    else:
        session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        if session.is_cancelled:
            raise ValidationError("A cancelled session cannot be changed.")
        enrolled = session.enrolments.filter(status=EStatus.ENROLLED).count()
        if capacity < enrolled:
            raise ValidationError(
                {
                    "capacity": f"{enrolled} people are enrolled: cancel some enrolments before "
                    "lowering the places below that."
                }
            )
        if session.course_id != course.pk and session.enrolments.exists():
            raise ValidationError({"course": "People are enrolled: the course cannot change."})
    old_days = [] if created else [(d.starts_at, d.ends_at, d.hours) for d in session.days.all()]
    new_days = [(d.starts_at, d.ends_at, Decimal(d.hours)) for d in days]
    days_changed = old_days != new_days
    if days_changed and not created and Attendance.objects.filter(day__session=session).exists():
        raise ValidationError({"days": "Attendance is recorded: the days cannot change."})
    session.course = course
    session.place = place
    session.capacity = capacity
    session.instructor = instructor
    session.instructor_name = instructor_name.strip()
    session.notes = notes.strip()
    session.starts_at = days[0].starts_at
    session.ends_at = days[-1].ends_at
    session.save()
    if days_changed:
        session.days.all().delete()
        SessionDay.objects.bulk_create(
            SessionDay(session=session, starts_at=d.starts_at, ends_at=d.ends_at, hours=d.hours)
            for d in days
        )
    record(
        actor=actor,
        action=AuditAction.TRAINING_SESSION_SAVED,
        target=session,
        details={"created": created, "days": len(days), "capacity": capacity},
    )
    if not created:
        _promote(session)
        if days_changed:
            for enrolment in session.enrolments.exclude(status=EStatus.CANCELLED).select_related(
                "user"
            ):
                stamp = hashlib.sha256(repr(new_days).encode()).hexdigest()[:12]
                notify_message(
                    key=f"training:moved:{session.pk}:{enrolment.user_id}:{stamp}",
                    user=enrolment.user,
                    message="training/session_moved",
                    course=session.course,
                    when=session_when(session),
                    place=session.place,
                    link=site_link("training:session", session_id=session.pk),
                )
    return session


@transaction.atomic
def sessions_schedule(
    *,
    actor: User,
    course: Course,
    place: str,
    capacity: int,
    days: list[DayPlan],
    unit: str,
    every: int,
    times: int,
    instructor: User | None = None,
    instructor_name: str = "",
    notes: str = "",
) -> list[TrainingSession]:
    """Schedule a session that repeats (``rules.repeat_days``: every ``every`` weeks or
    months, ``times`` sessions in all) as separate sessions, in one step: all or none. Each
    is saved and audited as ``session_save`` does; a problem with one names its date."""
    sessions = []
    for occurrence in repeat_days(days, unit=unit, every=every, times=times):
        try:
            sessions.append(
                session_save(
                    actor=actor,
                    course=course,
                    place=place,
                    capacity=capacity,
                    days=occurrence,
                    instructor=instructor,
                    instructor_name=instructor_name,
                    notes=notes,
                )
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and set(exc.error_dict) <= {"days"}:
                when = timezone.localdate(occurrence[0].starts_at)
                raise ValidationError(
                    {"days": [f"The session of {when:%-d %B %Y}: {m}" for m in exc.messages]}
                ) from None
            raise
    return sessions


@transaction.atomic
def session_cancel(*, actor: User, session: TrainingSession, reason: str) -> TrainingSession:
    _check_manager(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the session is cancelled."})
    session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError("This session is already cancelled.")
    if Attendance.objects.filter(day__session=session).exists():
        raise ValidationError("Attendance is recorded for this session: it took place.")
    session.status = TrainingSession.Status.CANCELLED
    session.cancelled_at = timezone.now()
    session.cancel_reason = reason[:300]
    session.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    record(
        actor=actor,
        action=AuditAction.TRAINING_SESSION_CANCELLED,
        target=session,
        details={"why": reason[:200]},
    )
    for enrolment in session.enrolments.exclude(status=EStatus.CANCELLED).select_related("user"):
        notify_message(
            key=f"training:cancelled:{session.pk}:{enrolment.user_id}",
            user=enrolment.user,
            message="training/session_cancelled",
            course=session.course,
            when=session_when(session),
            link=site_link("training:sessions"),
        )
    return session


# --- Enrolment ------------------------------------------------------------------------------


def _overlap(session: TrainingSession, user: User) -> SessionDay | None:
    """A day of another session the person holds a place on that overlaps one of this one."""
    windows = Q()
    for day in session.days.all():
        windows |= Q(starts_at__lt=day.ends_at, ends_at__gt=day.starts_at)
    if not windows:
        return None
    return (
        SessionDay.objects.filter(windows)
        .filter(
            session__status=TrainingSession.Status.SCHEDULED,
            session__enrolments__user=user,
            session__enrolments__status__in=[EStatus.ENROLLED, EStatus.WAITLISTED],
        )
        .exclude(session=session)
        .select_related("session__course")
        .first()
    )


@transaction.atomic
def enrolment_add(*, actor: User, session: TrainingSession, user: User) -> Enrolment:
    """Give ``user`` a place on ``session``, or a place on its waiting list when it is full.
    A supporter enrols themselves; the coordinator enrols anyone in the program."""
    if actor.pk != user.pk:
        _check_manager(actor)
    session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError("This session is cancelled.")
    if session.ends_at <= timezone.now():
        raise ValidationError("This session is over.")
    if not selectors.is_eligible(user):
        raise ValidationError(
            {"user": "Only peer supporters and candidates can be enrolled in training."}
        )
    enrolment = Enrolment.objects.filter(session=session, user=user).first()
    if enrolment is not None and enrolment.status != EStatus.CANCELLED:
        raise ValidationError(
            {"user": f"Already {enrolment.get_status_display().lower()} for this session."}
        )
    clash = _overlap(session, user)
    if clash is not None:
        raise ValidationError(
            {
                "user": f"This overlaps {clash.session.course} on {clash.date:%-d %B %Y}, "
                "which is already booked."
            }
        )
    enrolled = session.enrolments.filter(status=EStatus.ENROLLED).count()
    status = EStatus.ENROLLED if enrolled < session.capacity else EStatus.WAITLISTED
    now = timezone.now()
    if enrolment is None:
        enrolment = Enrolment.objects.create(
            session=session, user=user, status=status, requested_at=now, status_changed_at=now
        )
    else:
        enrolment.status, enrolment.requested_at, enrolment.status_changed_at = status, now, now
        enrolment.reminded_at = None
        enrolment.save(update_fields=["status", "requested_at", "status_changed_at", "reminded_at"])
    record(
        actor=actor,
        action=AuditAction.TRAINING_ENROLLED,
        target=enrolment,
        details={"session": session.pk, "user": user.pk, "status": status},
    )
    if actor.pk != user.pk:
        notify_message(
            key=f"training:enrolled:{enrolment.pk}:{now.timestamp():.0f}",
            user=user,
            message="training/enrolled",
            waitlisted=status != EStatus.ENROLLED,
            course=session.course,
            when=session_when(session),
            place=session.place,
            link=site_link("training:session", session_id=session.pk),
        )
    return enrolment


def _promote(session: TrainingSession) -> int:
    """Fill free places from the waiting list, first come first served (caller holds the
    session's lock)."""
    enrolled = session.enrolments.filter(status=EStatus.ENROLLED).count()
    free = session.capacity - enrolled
    if free <= 0 or session.ends_at <= timezone.now():
        return 0
    moved = 0
    for enrolment in (
        session.enrolments.filter(status=EStatus.WAITLISTED)
        .select_related("user")
        .order_by("requested_at", "pk")[:free]
    ):
        enrolment.status = EStatus.ENROLLED
        enrolment.status_changed_at = timezone.now()
        enrolment.save(update_fields=["status", "status_changed_at"])
        record(
            actor=None,
            action=AuditAction.TRAINING_WAITLIST_PROMOTED,
            target=enrolment,
            details={"session": session.pk, "user": enrolment.user_id},
        )
        notify_message(
            key=f"training:promoted:{enrolment.pk}:{enrolment.status_changed_at.timestamp():.0f}",
            user=enrolment.user,
            message="training/promoted",
            course=session.course,
            when=session_when(session),
            place=session.place,
            link=site_link("training:session", session_id=session.pk),
        )
        moved += 1
    return moved


@transaction.atomic
def enrolment_cancel(*, actor: User, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """Give up a place (or a place on the waiting list); the next person waiting moves up.
    The coordinator cancelling someone else's place gives a reason (kept, never sent), and the
    person is told, content-free."""
    by_other = actor.pk != enrolment.user_id
    if by_other:
        _check_manager(actor)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "Say why this place is cancelled."})
        if len(reason) > 300:
            raise ValidationError({"reason": "Keep the reason under 300 characters."})
    session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=enrolment.session_id)
    enrolment = Enrolment.objects.select_for_update(of=("self",)).get(pk=enrolment.pk)
    if enrolment.status == EStatus.CANCELLED:
        raise ValidationError("This enrolment is already cancelled.")
    if session.starts_at <= timezone.now():
        raise ValidationError("The session has started: its attendance is recorded instead.")
    before = enrolment.status
    now = timezone.now()
    enrolment.status = EStatus.CANCELLED
    enrolment.status_changed_at = now
    enrolment.cancel_reason = reason if by_other else ""
    enrolment.save(update_fields=["status", "status_changed_at", "cancel_reason"])
    record(
        actor=actor,
        action=AuditAction.TRAINING_ENROLMENT_CANCELLED,
        target=enrolment,
        # Not the reason: the audit log is read more widely than the enrolment.
        details={"session": session.pk, "user": enrolment.user_id, "from": before},
    )
    if by_other:
        notify_message(
            key=f"training:place-cancelled:{enrolment.pk}:{now.timestamp()}",
            user=enrolment.user,
            message="training/place_cancelled",
            link=site_link("training:mine"),
        )
    if before == EStatus.ENROLLED:
        _promote(session)
    return enrolment


# --- Attendance -----------------------------------------------------------------------------


@transaction.atomic
def attendance_record(
    *,
    actor: User,
    day: SessionDay,
    hours_by_user: Mapping[int, Decimal],
    reason: str = "",
) -> tuple[int, int]:
    """Record the hours each enrolled person was present on ``day`` (0 when absent). Hours
    already recorded change only with a reason, each change kept as a correction. Returns how
    many were recorded and how many corrected."""
    # The day's row is locked first: two first saves of a day at once would otherwise both
    # find nothing recorded and both insert, and one would fail on the unique constraint.
    # The second now waits, then sees the first's hours (and needs a reason to change them).
    day = (
        SessionDay.objects.select_for_update(of=("self",))
        .select_related("session__course")
        .get(pk=day.pk)
    )
    session = day.session
    if not may_record_attendance(actor, session):
        raise ValidationError("Only the coordinator or the session's instructor may do this.")
    if session.is_cancelled:
        raise ValidationError("This session is cancelled.")
    if day.starts_at > timezone.now():
        starts = timezone.localtime(day.starts_at).strftime("%-d %B %Y at %H:%M")
        raise ValidationError(
            f"This day has not happened yet (it starts {starts}): attendance is recorded on or "
            "after it."
        )
    reason = reason.strip()
    # Whose initial training this record completes: they are told (``_tell_ready_to_activate``).
    trainees = (
        {u.pk: u for u in User.objects.filter(pk__in=list(hours_by_user))}
        if session.course.kind == CourseKind.INITIAL
        else {}
    )
    complete_before = {
        pk for pk, user in trainees.items() if selectors.initial_training_complete(user)
    }
    existing = {
        a.user_id: a for a in Attendance.objects.select_for_update(of=("self",)).filter(day=day)
    }
    enrolled = set(
        session.enrolments.filter(status=EStatus.ENROLLED).values_list("user_id", flat=True)
    )
    errors = {}
    for user_id, hours in hours_by_user.items():
        if user_id not in enrolled and user_id not in existing:
            errors[f"hours_{user_id}"] = "Not enrolled in this session."
        elif hours < 0:
            errors[f"hours_{user_id}"] = "Hours cannot be negative."
        elif hours > day.hours:
            errors[f"hours_{user_id}"] = (
                f"At most {day.hours.normalize():f} hours: the length of this day."
            )
    changes = {
        user_id: hours
        for user_id, hours in hours_by_user.items()
        if user_id in existing and existing[user_id].hours != hours
    }
    if changes and not reason:
        errors["reason"] = "Hours already recorded change: say why."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    new = [
        Attendance(day=day, user_id=user_id, hours=hours, recorded_by=actor, recorded_at=now)
        for user_id, hours in hours_by_user.items()
        if user_id not in existing
    ]
    Attendance.objects.bulk_create(new)
    if new:
        record(
            actor=actor,
            action=AuditAction.TRAINING_ATTENDANCE_RECORDED,
            target=day,
            details={
                "session": session.pk,
                "hours": {str(a.user_id): str(a.hours) for a in new},
            },
        )
        # Content-free: that records were made, and the day's attendance page (whose access
        # rules apply to whoever follows it); never who, nor how many.
        webhooks.emit(RECORD_CREATED, link=reverse("training:attendance", args=[day.pk]))
    for user_id, hours in changes.items():
        attendance = existing[user_id]
        correction = AttendanceCorrection.objects.create(
            attendance=attendance,
            hours_before=attendance.hours,
            hours_after=hours,
            reason=reason[:300],
            corrected_by=actor,
            corrected_at=now,
        )
        attendance.hours = hours
        attendance.save(update_fields=["hours"])
        record(
            actor=actor,
            action=AuditAction.TRAINING_ATTENDANCE_CORRECTED,
            target=attendance,
            details={
                "user": user_id,
                "before": str(correction.hours_before),
                "after": str(hours),
                "why": reason[:200],
            },
        )
    for pk in trainees.keys() - complete_before:
        if selectors.initial_training_complete(trainees[pk]):
            _tell_ready_to_activate(trainees[pk])
    # Hours count from the day's year on (initial training completed changes the later years).
    compliance_mark(
        user_ids=sorted({a.user_id for a in new} | set(changes)), from_year=day.date.year
    )
    return len(new), len(changes)


@transaction.atomic
def session_attendance_record(
    *,
    actor: User,
    session: TrainingSession,
    hours_by_day: Mapping[int, Mapping[int, Decimal]],
    reason: str = "",
) -> tuple[int, int]:
    """Every day of ``session`` on one page: ``attendance_record`` for each day given (by day
    id, then user id), all or nothing. A mistake on any day is reported against that day and
    person (``hours_<day>_<user>``) and nothing is saved."""
    days = {d.pk: d for d in session.days.all()}
    errors: dict = {}
    recorded = corrected = 0
    for day_id, hours_by_user in hours_by_day.items():
        day = days.get(day_id)
        if day is None:
            errors.setdefault(None, []).append("A day given is not a day of this session.")
            continue
        try:
            with transaction.atomic():
                counts = attendance_record(
                    actor=actor, day=day, hours_by_user=hours_by_user, reason=reason
                )
        except ValidationError as exc:
            found = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
            for field, messages in found.items():
                if field and field.startswith("hours_"):
                    field = f"hours_{day_id}_{field.removeprefix('hours_')}"
                elif field != "reason":
                    messages = [
                        f"{day.date:%-d %B}: {m}" for m in ValidationError(messages).messages
                    ]
                errors.setdefault(field, [])
                errors[field] += ValidationError(messages).messages
            continue
        recorded += counts[0]
        corrected += counts[1]
    if errors:
        raise ValidationError({k: sorted(set(v), key=v.index) for k, v in errors.items()})
    return recorded, corrected


def ready_on_appointment(*, supporter: User, **_kwargs) -> None:
    """``roster.signals.supporter_appointed``: a supporter appointed with initial training
    already complete (trained as a candidate) is ready to activate at once. Either way they
    are on the compliance board now: their compliance is judged (debounced, by the worker)."""
    compliance_mark(user_ids=[supporter.pk], from_year=timezone.localdate().year)
    if selectors.initial_training_complete(supporter):
        _tell_ready_to_activate(supporter)


def _tell_ready_to_activate(user: User) -> None:
    """Initial training has just become complete: an appointed supporter is ready to activate.
    The coordinators get a content-free alert with a link to the one-click activation, the
    supporter is told. Once per appointment (the key holds the day they were appointed)."""
    profile = SupporterProfile.objects.filter(user=user).first()
    if profile is None or profile.status != SupporterProfile.Status.APPOINTED:
        return
    appointed = int(profile.status_changed_at.timestamp())
    record(
        actor=None,
        action=AuditAction.TRAINING_INITIAL_COMPLETED,
        target=profile,
        details={"user": user.pk},
    )
    link = site_link("roster:activate", profile_id=profile.pk)
    for coordinator in role_holders(Role.COORDINATOR):
        notify_message(
            key=f"training:ready:{profile.pk}:{appointed}:to:{coordinator.pk}",
            user=coordinator,
            message="training/ready_to_activate",
            link=link,
        )
    notify_message(
        key=f"training:ready:{profile.pk}:{appointed}",
        user=user,
        message="training/initial_complete",
        link=site_link("training:mine"),
    )


# --- Calendar address -----------------------------------------------------------------------


@transaction.atomic
def feed_reset(*, actor: User) -> str:
    """A new secret calendar address for ``actor``; the old one stops working at once. The
    token is returned to be shown once and is never stored."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=actor,
        defaults={
            "token_hash": feed_token_hash(token),
            "created_at": timezone.now(),
            "last_used_at": None,
        },
    )
    record(actor=actor, action=AuditAction.TRAINING_FEED_RESET, target=actor)
    return token


@transaction.atomic
def course_feed_reset(*, actor: User, course: Course) -> str:
    """A new secret calendar address for ``course``, so that calendar apps, which cannot sign
    in, can follow its sessions; the old address stops working at once. The token is returned
    to be shown once and is never stored."""
    _check_manager(actor)
    token = secrets.token_urlsafe(32)
    CourseFeed.objects.update_or_create(
        course=course,
        defaults={"token_hash": feed_token_hash(token), "created_at": timezone.now()},
    )
    record(
        actor=actor,
        action=AuditAction.TRAINING_FEED_RESET,
        target=course,
        details={"course": course.pk},
    )
    return token


# --- Records --------------------------------------------------------------------------------


@transaction.atomic
def hours_export(*, actor: User, year: int, rows: int) -> None:
    """Record that the ``rows`` of hours of ``year`` left the system (selectors.hours_csv)."""
    if not actor.has_role(Role.COORDINATOR, Role.BHS_MANAGER):
        raise ValidationError("Only the coordinator or the BHS manager may export hours.")
    record(
        actor=actor,
        action=AuditAction.TRAINING_EXPORTED,
        details={"year": year, "rows": rows},
    )


@transaction.atomic
def transcript_export(*, actor: User, user: User, sessions: int) -> None:
    """Record that ``user``'s training transcript left the system as a PDF: their own, or read
    by the coordinator or the BHS manager."""
    if actor.pk != user.pk and not actor.has_role(Role.COORDINATOR, Role.BHS_MANAGER):
        raise ValidationError("Only the coordinator or the BHS manager may print this.")
    record(
        actor=actor,
        action=AuditAction.TRAINING_EXPORTED,
        target=user,
        details={"transcript_of": user.pk, "sessions": sessions},
    )


# --- The worker -----------------------------------------------------------------------------


def sessions_remind(*, now: datetime | None = None) -> int:
    """Remind everyone enrolled of a session starting within TRAINING_REMINDER_DAYS, once."""
    now = now or timezone.now()
    soon = now + timedelta(days=settings.TRAINING_REMINDER_DAYS)
    sent = 0
    due = (
        Enrolment.objects.filter(
            status=EStatus.ENROLLED,
            reminded_at__isnull=True,
            session__status=TrainingSession.Status.SCHEDULED,
            session__starts_at__gt=now,
            session__starts_at__lte=soon,
        )
        .select_related("session__course", "user")
        .order_by("pk")
    )
    for enrolment in due:
        with transaction.atomic():
            updated = Enrolment.objects.filter(pk=enrolment.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not updated:
                continue
            session = enrolment.session
            notify_message(
                key=f"training:remind:{enrolment.pk}:{session.starts_at.timestamp():.0f}",
                user=enrolment.user,
                message="training/session_soon",
                course=session.course,
                starts_at=timezone.localtime(session.starts_at),
                place=session.place,
                link=site_link("training:session", session_id=session.pk),
            )
            sent += 1
    return sent


def years_under_review(today) -> list[int]:
    """The years the worker judges on ``today``: this one, and for the first
    TRAINING_YEAR_CLOSE_DAYS days of a year also the year just closed, judged as closed.

    A year is over on 31 December, but its last quarter can only be judged once it has ended:
    someone at 16 of 32 hours on 31 December is "a quarter missed" that day, and out of
    compliance from 1 January. Judging the closed year for some days more counts attendance the
    coordinator records late for December, and closes the year even if the worker was down on
    1 January.
    """
    years = [today.year]
    if (today - today.replace(month=1, day=1)).days < settings.TRAINING_YEAR_CLOSE_DAYS:
        years.insert(0, today.year - 1)
    return years


# --- The stored compliance -------------------------------------------------------------------

# A write marks the people it changes and the worker judges them this long after the first mark:
# a burst of writes (a class's attendance saved day by day, corrections) is judged in one run.
COMPLIANCE_DEBOUNCE = timedelta(seconds=10)
# People judged per transaction by the worker.
COMPLIANCE_CHUNK = 500


def compliance_mark(*, user_ids: list[int], from_year: int) -> int:
    """In the caller's transaction: the stored compliance of these people, from ``from_year``
    on, no longer holds (their hours changed). Their rows are marked stale (rows made for the
    years they lack), each mark counted, and the worker's ``compliance_refresh_task`` is
    enqueued, in this same transaction, after ``COMPLIANCE_DEBOUNCE``, unless an earlier mark
    already did for every row (all already stale): a burst of writes about the same people is
    one run, and a run judges everything marked by the time it starts (a later run for others
    then finds little left). The queue is a table of this database, so a mark and
    its run commit together and survive a restart; the hourly tick judges anything left."""
    if not user_ids:
        return 0
    years = range(from_year, timezone.localdate().year + 1)
    agency_id = current_agency_id()  # bulk_create skips save(), which would fill it
    ComplianceRecord.objects.bulk_create(
        [
            ComplianceRecord(agency_id=agency_id, user_id=u, year=y, status="")
            for u in user_ids
            for y in years
        ],
        ignore_conflicts=True,
    )
    rows = ComplianceRecord.objects.filter(user_id__in=user_ids, year__gte=from_year)
    newly = rows.filter(stale=False).update(stale=True)
    rows.update(marks=F("marks") + 1)
    if newly:
        _enqueue_refresh()
    return newly


def _enqueue_refresh() -> None:
    from peersupport.accounts.agencies import task_agency_id

    from .tasks import compliance_refresh_task

    compliance_refresh_task.using(run_after=timezone.now() + COMPLIANCE_DEBOUNCE).enqueue(
        task_agency_id()
    )


def _judgment(result: compliance.YearCompliance) -> dict:
    """The stored fields of ``result`` (``selectors.stored_result`` reads them back)."""
    forecast = result.forecast
    first = result.required.index(True) + 1 if any(result.required) else None
    if first is None and result.initial_complete:
        first = 5  # initial training completed in Q4: nothing more this year
    return {
        "status": result.status,
        "severity": result.severity,
        "hours": result.update_hours,
        "behind": result.behind,
        "expected": result.expected,
        "target": result.target,
        "other_hours": result.other_hours,
        "q1_hours": result.quarter_hours[0],
        "q2_hours": result.quarter_hours[1],
        "q3_hours": result.quarter_hours[2],
        "q4_hours": result.quarter_hours[3],
        "quarter_requirement": result.quarter_requirement,
        "first_required": first,
        "initial_completed_on": result.initial_completed_on,
        "closed": result.closed,
        "forecast_quarter": forecast.quarter if forecast else None,
        "forecast_by": forecast.by if forecast else None,
        "forecast_hours": forecast.hours if forecast else None,
        "judged_on": result.today,
        "stale": False,
    }


def compliance_store(*, year: int, user_ids: list[int], today=None) -> tuple[int, int]:
    """Judge these people's compliance for ``year`` on ``today`` and store it, in one
    transaction. A row is written only if no write marked it since its marks were read (the
    marks are read before the hours), so a change that lands meanwhile stays marked and is
    judged again. Returns how many were stored and how many were overtaken so."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        agency_id = current_agency_id()  # bulk_create skips save(), which would fill it
        ComplianceRecord.objects.bulk_create(
            [
                ComplianceRecord(agency_id=agency_id, user_id=u, year=year, status="")
                for u in user_ids
            ],
            ignore_conflicts=True,
        )
        seen = {
            user_id: (pk, marks, status)
            for user_id, pk, marks, status in ComplianceRecord.objects.filter(
                year=year, user_id__in=user_ids
            ).values_list("user_id", "pk", "marks", "status")
        }
        stored = overtaken = 0
        for row in selectors.compliance_rows(
            year=year, today=today, statuses=selectors.BOARD_STATUSES, user_ids=user_ids
        ):
            pk, marks, status = seen[row.user.pk]
            values = _judgment(row.compliance) | {"judged_at": now}
            if status and status != values["status"]:
                values["changed_at"] = now
            if ComplianceRecord.objects.filter(pk=pk, marks=marks).update(**values):
                stored += 1
            else:
                overtaken += 1
    return stored, overtaken


def compliance_years(today) -> list[int]:
    """The years the stored compliance is kept for: from the first year with hours credited
    (or marked) to this one."""
    first = Attendance.objects.aggregate(first=Min("day__starts_at"))["first"]
    years = {today.year, *years_under_review(today)}
    if first is not None:
        years |= set(range(timezone.localdate(first).year, today.year + 1))
    years |= set(
        ComplianceRecord.objects.filter(stale=True).values_list("year", flat=True).distinct()
    )
    return sorted(y for y in years if y <= today.year)


def compliance_refresh(*, today=None) -> dict:
    """Store the judgment of everyone on the board whose stored one is not current
    (``selectors.needing_judgment``: never judged, marked by a write, or judged before this
    quarter), for every year kept. Idempotent: what is current is not judged again. Runs
    after writes (``compliance_refresh_task``, debounced) and at every tick; anything overtaken
    by a write meanwhile is judged again by a new run."""
    today = today or timezone.localdate()
    stored = overtaken = 0
    for year in compliance_years(today):
        ids = selectors.needing_judgment(year=year, today=today)
        for start in range(0, len(ids), COMPLIANCE_CHUNK):
            done = compliance_store(
                year=year, user_ids=ids[start : start + COMPLIANCE_CHUNK], today=today
            )
            stored += done[0]
            overtaken += done[1]
    if overtaken:
        with transaction.atomic():
            _enqueue_refresh()
    return {"judged": stored, "overtaken": overtaken}


def compliance_review(*, today=None) -> dict:
    """Store the compliance pages read (``compliance_refresh``), then compute every
    supporter's compliance for this year (and the year just closed, see
    ``years_under_review``) and act once on each change: warn before a quarter is missed, tell
    the supporter and the coordinators when a quarter was missed, and when someone falls out of
    compliance flag it, tell them and the coordinators, and
    (TRAINING_NONCOMPLIANCE_ACTION=inactive) set them inactive."""
    today = today or timezone.localdate()
    # Stored first: what a new quarter changed is on the pages, and "what to schedule" (read
    # from the stored judgments) is current.
    counts = {"warned": 0, "missed": 0, "flagged": 0, "set_inactive": 0}
    counts |= compliance_refresh(today=today)
    for year in years_under_review(today):
        rows = selectors.compliance_rows(
            year=year,
            today=today,
            statuses=[
                SupporterProfile.Status.ACTIVE,
                SupporterProfile.Status.INACTIVE,
            ],
        )
        known = {r.user_id: r for r in ComplianceRecord.objects.filter(year=year)}
        for row in rows:
            with transaction.atomic():
                done = _review_one(row, known.get(row.user.pk), today=today)
            for key, value in done.items():
                counts[key] += value
    counts["sessions_needed"] = _tell_sessions_needed(today=today)
    return counts


# The coordinator is told of missing sessions this many times earlier than supporters are
# warned of a quarter's end: time to find a room and an instructor.
SCHEDULE_LEAD = 2


def _tell_sessions_needed(*, today) -> int:
    """The update sessions scheduled leave someone short of a deadline coming soon: each
    coordinator is told once per deadline, without names, and pointed at the board's "What to
    schedule"."""
    horizon = today + timedelta(days=SCHEDULE_LEAD * settings.TRAINING_QUARTER_WARNING_DAYS)
    due = sorted({g.by for g in selectors.schedule_gaps(year=today.year, today=today)})
    soon = [by for by in due if by <= horizon]
    if not soon:
        return 0
    by = soon[0]
    with transaction.atomic():
        for coordinator in role_holders(Role.COORDINATOR):
            notify_message(
                key=f"training:sessions-needed:{by.isoformat()}:to:{coordinator.pk}",
                user=coordinator,
                message="training/sessions_needed",
                by=by,
                link=site_link("training:board"),
            )
    return 1


def _tell_quarter_missed(user, result, *, today) -> int:
    """A quarter has ended short: the supporter learns what to make up and by when; each
    coordinator gets one content-free alert per quarter, pointing at the board."""
    quarter = compliance.quarter_of(today)
    missed = quarter - 1  # nothing can be missed before the first quarter of a year ends
    by = compliance.quarter_end(today.year, quarter)
    notify_message(
        key=f"training:missed:{user.pk}:{today.year}:{missed}",
        user=user,
        message="training/quarter_missed",
        quarter=missed,
        behind=f"{result.behind.normalize():f}",
        by=by,
        link=site_link("training:sessions"),
    )
    board = site_link("training:board") + f"?status={compliance.Status.QUARTER_MISSED}"
    for coordinator in role_holders(Role.COORDINATOR):
        notify_message(
            key=f"training:missed:{today.year}:{missed}:to:{coordinator.pk}",
            user=coordinator,
            message="training/quarter_missed_coordinator",
            quarter=missed,
            link=board,
        )
    return 1


def _review_one(row, stored: ComplianceRecord | None, *, today) -> dict:
    result = row.compliance
    user, profile = row.user, row.profile
    now = timezone.now()
    done = {"warned": 0, "missed": 0, "flagged": 0, "set_inactive": 0}
    current = result.year == today.year
    if stored is None:
        stored = ComplianceRecord.objects.create(
            user=user, year=result.year, status=result.status, hours=result.update_hours
        )
        fresh = True
    else:
        stored = ComplianceRecord.objects.select_for_update().get(pk=stored.pk)
        fresh = False
    changed = fresh or stored.status != result.status or stored.hours != result.update_hours
    if changed:
        if not fresh and stored.status != result.status:
            stored.changed_at = now
        stored.status, stored.hours = result.status, result.update_hours
        stored.save(update_fields=["status", "hours", "changed_at"])
    quarter = compliance.quarter_of(today)
    end = compliance.quarter_end(today.year, quarter)
    # A quarter about to be missed: its end is near and the forecast asks for hours by then.
    if (
        current
        and result.forecast is not None
        and profile.status == SupporterProfile.Status.ACTIVE
        and (end - today).days <= settings.TRAINING_QUARTER_WARNING_DAYS
        and stored.warned_quarter != quarter
        and result.quarter_hours[quarter - 1] < result.quarter_requirement
        and result.required[quarter - 1]
    ):
        stored.warned_quarter = quarter
        stored.save(update_fields=["warned_quarter"])
        notify_message(
            key=f"training:warn:{user.pk}:{today.year}:{quarter}",
            user=user,
            message="training/quarter_warning",
            quarter=quarter,
            hours=f"{result.quarter_hours[quarter - 1].normalize():f}",
            required=f"{result.quarter_requirement.normalize():f}",
            quarter_end=end,
            forecast=result.forecast.text,
            link=site_link("training:sessions"),
        )
        done["warned"] = 1
    # A quarter has ended and left them a quarter behind: told once per quarter end, also
    # when they were already behind (a quarter missed in Q2 and not made up in Q3 is told on
    # 1 October again, with the new date to make it up by).
    last_ended = quarter - 1
    if (
        current
        and last_ended >= 1
        and result.status == compliance.Status.QUARTER_MISSED
        and stored.missed_quarter != last_ended
        and profile.status == SupporterProfile.Status.ACTIVE
    ):
        stored.missed_quarter = last_ended
        stored.save(update_fields=["missed_quarter"])
        done["missed"] = _tell_quarter_missed(user, result, today=today)
    out = result.status == compliance.Status.OUT_OF_COMPLIANCE
    if out and stored.flagged_at is None:
        stored.flagged_at = now
        stored.save(update_fields=["flagged_at"])
        record(
            actor=None,
            action=AuditAction.TRAINING_NONCOMPLIANT,
            target=user,
            details={
                "year": result.year,
                "behind": str(result.behind),
                "consequence": settings.TRAINING_NONCOMPLIANCE_ACTION,
            },
        )
        behind = f"{result.behind.normalize():f}"
        notify_message(
            key=f"training:out:{user.pk}:{result.year}",
            user=user,
            message="training/out_of_compliance",
            year=result.year,
            behind=behind,
            link=site_link("training:mine"),
        )
        # Content-free for the coordinators: how many are out this year, and the board.
        out_now = ComplianceRecord.objects.filter(
            year=result.year, flagged_at__isnull=False
        ).count()
        board = site_link("training:board") + f"?status={compliance.Status.OUT_OF_COMPLIANCE}"
        for coordinator in role_holders(Role.COORDINATOR):
            notify_message(
                key=f"training:out:{user.pk}:{result.year}:to:{coordinator.pk}",
                user=coordinator,
                message="training/out_of_compliance_coordinator",
                n=out_now,
                year=result.year,
                link=board,
            )
        done["flagged"] = 1
        if (
            settings.TRAINING_NONCOMPLIANCE_ACTION == "inactive"
            and profile.status == SupporterProfile.Status.ACTIVE
        ):
            supporter_set_status(
                actor=None,
                profile=profile,
                status=SupporterProfile.Status.INACTIVE,
                reason=f"Out of training compliance for {result.year}: "
                f"{result.behind.normalize():f} update hours short.",
                inactive_reason="out_of_compliance",
            )
            done["set_inactive"] = 1
    elif not out and stored.flagged_at is not None:
        # Made up: the flag comes down (setting someone active again stays a person's decision).
        stored.flagged_at = None
        stored.save(update_fields=["flagged_at"])
    return done
