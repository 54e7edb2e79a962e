"""Demo training history: two years of it. Every active supporter took the initial course in
one of a few cohorts; quarterly updates ran every quarter since, with a realistic mix of
attendance (most come every quarter, some missed one, a few let it lapse), partial days, a
correction with its reason, a workshop and a follow-up, and sessions still to come with places
taken and a waiting list.

Deterministic from ``random.Random(seed)`` (dates relative to today), idempotent (nothing is
added when any course exists) and refused in production. Written straight to the models, as the
other demos are: the services refuse attendance dated in the past by someone other than the
coordinator, and history is all in the past.
"""

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.roster.models import SupporterProfile
from peersupport.training.compliance import quarter_start
from peersupport.training.models import (
    Attendance,
    AttendanceCorrection,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from . import tables
from .personas import PERSONAS, demo_refuse_in_production

# Courses (the initial course and the quarterly update take their hours from the settings),
# places and instructors.
TEXTS = tables.load("training")
PLACES = TEXTS["places"]
INSTRUCTORS = TEXTS["instructors"]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _session(course, first: datetime.date, days: int, hours: Decimal, capacity: int, rng, by):
    plan, day = [], _weekday(first)
    while len(plan) < days:
        if day.weekday() < 5:
            plan.append(day)
        day += datetime.timedelta(days=1)
    session = TrainingSession.objects.create(
        course=course,
        place=rng.choice(PLACES),
        instructor_name=rng.choice(INSTRUCTORS),
        capacity=capacity,
        starts_at=_at(plan[0], 8),
        ends_at=_at(plan[-1], 17),
        created_by=by,
    )
    return session, SessionDay.objects.bulk_create(
        SessionDay(session=session, starts_at=_at(d, 8), ends_at=_at(d, 17), hours=hours)
        for d in plan
    )


def load_demo(*, seed: int = 2026) -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Course.objects.exists():
            n = TrainingSession.objects.count()
            return f"Training already loaded ({n} sessions); nothing added."
        rng = random.Random(seed)  # noqa: S311  (deterministic demo data, not secrets)
        by = next(iter(role_holders(Role.COORDINATOR)), None)
        q = Decimal(settings.TRAINING_QUARTER_HOURS)
        courses = {}
        for kind, course in TEXTS["courses"].items():
            fields = {"title": course["title"], "description": course["description"]}
            # The initial course and the quarterly update last what the settings say.
            if kind == CourseKind.INITIAL:
                fields["hours"] = Decimal(settings.TRAINING_INITIAL_HOURS)
                fields["days"] = settings.TRAINING_INITIAL_DAYS
            else:
                fields["hours"] = q if kind == CourseKind.UPDATE else Decimal(course["hours"])
            courses[kind] = Course.objects.create(kind=CourseKind(kind), **fields)
        initial, update = courses[CourseKind.INITIAL], courses[CourseKind.UPDATE]
        workshop, follow_up = courses[CourseKind.WORKSHOP], courses[CourseKind.FOLLOW_UP]
        persona = next(p.email for p in PERSONAS if p.key == "supporter")
        supporters = list(
            SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE)
            .select_related("user")
            .order_by("pk")
        )
        today = timezone.localdate()
        start_year = today.year - 2
        # Cohorts of initial training, before the two years of updates.
        cohort_dates = [
            datetime.date(start_year - 1, 9, 8),
            datetime.date(start_year - 1, 3, 9),
            datetime.date(start_year - 2, 10, 5),
        ]
        initial_sessions = [
            _session(
                initial,
                d,
                settings.TRAINING_INITIAL_DAYS,
                Decimal(settings.TRAINING_INITIAL_HOURS) / settings.TRAINING_INITIAL_DAYS,
                len(supporters),
                rng,
                by,
            )
            for d in cohort_dates
        ]
        enrolments, attendance = [], []

        def attend(session, days, user, hours_of=None):
            enrolments.append(
                Enrolment(
                    session=session,
                    user=user,
                    status=Enrolment.Status.ENROLLED,
                    requested_at=session.starts_at - datetime.timedelta(days=30),
                    status_changed_at=session.starts_at - datetime.timedelta(days=30),
                )
            )
            for day in days:
                hours = day.hours if hours_of is None else hours_of(day)
                attendance.append(
                    Attendance(
                        day=day, user=user, hours=hours, recorded_by=by, recorded_at=day.ends_at
                    )
                )

        # The demo supporter is compliant; of the rest, most are, some miss a quarter and a few
        # lapse.
        habits = {}
        for i, profile in enumerate(supporters):
            session, days = initial_sessions[i % len(initial_sessions)]
            attend(session, days, profile.user)
            if profile.user.email == persona:
                habits[profile.user_id] = 1.0
            else:
                habits[profile.user_id] = rng.choice([1.0] * 7 + [0.85] * 2 + [0.5, 0.35])
        # Two updates a quarter (people choose one) for the last two years and this quarter.
        quarters = []
        year, number = start_year, 1
        while quarter_start(year, number) <= today:
            quarters.append((year, number))
            year, number = (year, number + 1) if number < 4 else (year + 1, 1)
        sessions = 0
        for year, number in quarters:
            first = quarter_start(year, number)
            offerings = [
                _session(update, first + datetime.timedelta(days=d), 1, q, 30, rng, by)
                for d in (20, 55)
            ]
            sessions += len(offerings)
            current = (year, number) == quarters[-1]
            for profile in supporters:
                chosen, days = offerings[rng.randrange(2)]
                if chosen.starts_at.date() > today or (current and chosen.ends_at > timezone.now()):
                    continue  # still to come: enrolled below
                if rng.random() < habits[profile.user_id]:
                    partial = habits[profile.user_id] < 1 and rng.random() < 0.1
                    attend(chosen, days, profile.user, (lambda d: d.hours - 2) if partial else None)
        # A workshop and a follow-up last year.
        for course, on in (
            (workshop, datetime.date(today.year - 1, 5, 12)),
            (follow_up, datetime.date(today.year - 1, 11, 3)),
        ):
            session, days = _session(course, on, 1, course.hours, 20, rng, by)
            for profile in rng.sample(supporters, min(12, len(supporters))):
                attend(session, days, profile.user)
            sessions += 1
        Enrolment.objects.bulk_create(enrolments, ignore_conflicts=True)
        Attendance.objects.bulk_create(attendance)
        # A correction: a supporter recorded absent who had in fact attended.
        corrected = Attendance.objects.filter(hours__lt=q, day__session__course=update).first()
        if corrected is not None:
            AttendanceCorrection.objects.create(
                attendance=corrected,
                hours_before=corrected.hours,
                hours_after=q,
                reason="Sign-in sheet found: present for the whole day.",
                corrected_by=by,
            )
            corrected.hours = q
            corrected.save(update_fields=["hours"])
        # Coming up: next quarter's updates, with places taken and a full one with a waiting list.
        current_q = (today.month - 1) // 3 + 1
        next_q = (today.year, current_q + 1) if current_q < 4 else (today.year + 1, 1)
        next_first = quarter_start(*next_q)
        upcoming = [
            _session(update, next_first + datetime.timedelta(days=d), 1, q, cap, rng, by)[0]
            for d, cap in ((14, 6), (40, 30))
        ]
        upcoming.append(
            _session(workshop, today + datetime.timedelta(days=10), 1, workshop.hours, 15, rng, by)[
                0
            ]
        )
        now = timezone.now()
        later = []
        for i, profile in enumerate(supporters[:12]):
            session = upcoming[0]
            status = Enrolment.Status.ENROLLED if i < 6 else Enrolment.Status.WAITLISTED
            later.append(
                Enrolment(
                    session=session,
                    user=profile.user,
                    status=status,
                    requested_at=now - datetime.timedelta(hours=12 - i),
                )
            )
        for profile in supporters[12:20]:
            later.append(
                Enrolment(
                    session=upcoming[2],
                    user=profile.user,
                    status=Enrolment.Status.ENROLLED,
                    requested_at=now,
                )
            )
        Enrolment.objects.bulk_create(later)
        total = len(initial_sessions) + sessions + len(upcoming)
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"training_sessions": total, "attendance": len(attendance)},
        )
    return (
        f"Training: {total} sessions over two years, {len(attendance)} days of attendance for "
        f"{len(supporters)} supporters (most compliant, some a quarter behind, a few lapsed)."
    )
