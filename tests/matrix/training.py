"""Who may use the training pages (tests/system/test_authorization_matrix.py).

Peer supporters, the coordinator and the BHS manager read sessions, the calendar and course
feeds; supporters enrol and leave themselves. The coordinator runs training (courses, sessions,
enrolment of others); the coordinator and the BHS manager read the compliance board, the
transcripts and the export. Attendance is for the coordinator and a session's own instructor
(past the role check, the day decides: everyone else 404). Everyone signed in has their own
training page, transcript PDF and certificates (only of sessions they completed); the calendar
feeds, a person's and a course's, are public behind their secret tokens, which the person (their
own) and the coordinator (a course's) make and reset.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC, SIGNED_IN

_SIGNED_IN = frozenset({SIGNED_IN})
_PUBLIC = frozenset({PUBLIC})
_COORD = frozenset({Role.COORDINATOR})
_SUPPORTER = frozenset({Role.PEER_SUPPORTER})
_READERS = frozenset({Role.PEER_SUPPORTER, Role.COORDINATOR, Role.BHS_MANAGER})
_OVERSEERS = frozenset({Role.COORDINATOR, Role.BHS_MANAGER})


def make_session(*, days_from_now: float, days: int = 1, instructor=None, kind="update"):
    from peersupport.training.models import Course, SessionDay, TrainingSession

    course, _ = Course.objects.get_or_create(
        title=f"Matrix {kind} course", defaults={"kind": kind, "hours": Decimal(8) * days}
    )
    start = timezone.now() + datetime.timedelta(days=days_from_now)
    session = TrainingSession.objects.create(
        course=course,
        place="Academy room 2",
        capacity=10,
        instructor=instructor,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=days - 1, hours=8),
    )
    for i in range(days):
        SessionDay.objects.create(
            session=session,
            starts_at=start + datetime.timedelta(days=i),
            ends_at=start + datetime.timedelta(days=i, hours=8),
            hours=Decimal(8),
        )
    return session


def completed_session(user):
    """A past session ``user`` attended in full: their certificate."""
    from peersupport.training.models import Attendance, Enrolment

    session = make_session(days_from_now=-20)
    Enrolment.objects.create(session=session, user=user, status=Enrolment.Status.ENROLLED)
    for day in session.days.all():
        Attendance.objects.create(day=day, user=user, hours=day.hours)
    return session


def instructed_day(user):
    """A day (begun) of a session ``user`` teaches: theirs to record attendance for."""
    from tests.factories import grant

    if not user.role_grants.filter(role=Role.PEER_SUPPORTER).exists():
        grant(user, Role.PEER_SUPPORTER)
        user.forget_roles()
    return make_session(days_from_now=-1, instructor=user).days.get()


def _supporter_profile(dept):
    from peersupport.roster.models import SupporterProfile

    user = dept.users["supporter"]
    SupporterProfile.objects.get_or_create(user=user, defaults={"status": "active"})
    return user


def _future(dept):
    return {"session_id": make_session(days_from_now=10).pk}


def _enrolment(dept):
    from peersupport.training.models import Enrolment

    session = make_session(days_from_now=10)
    enrolment = Enrolment.objects.create(
        session=session, user=_supporter_profile(dept), status=Enrolment.Status.ENROLLED
    )
    return {"enrolment_id": enrolment.pk}


def _feed(dept):
    from peersupport.training.services import feed_reset

    return {"token": feed_reset(actor=dept.users["supporter"])}


def _course_feed(dept):
    from peersupport.training.services import course_feed_reset

    course = make_session(days_from_now=10).course
    return {"token": course_feed_reset(actor=dept.users["coordinator"], course=course)}


def _course(dept):
    return {"course_id": make_session(days_from_now=10).course_id}


def _certificate_for(dept):
    user = _supporter_profile(dept)
    return {"user_id": user.pk, "session_id": completed_session(user).pk}


MATRIX = {
    "training:mine": {"GET": _SIGNED_IN},
    "training:feed_reset": {"POST": _SIGNED_IN},
    "training:feed": {"GET": _PUBLIC},
    "training:sessions": {"GET": _READERS},
    "training:calendar": {"GET": _READERS},
    "training:session": {"GET": _READERS},
    "training:session_new": {"GET": _COORD, "POST": _COORD},
    "training:session_edit": {"GET": _COORD, "POST": _COORD},
    "training:session_cancel": {"GET": _COORD, "POST": _COORD},
    "training:enrol": {"POST": _SUPPORTER},
    "training:leave": {"POST": _SUPPORTER},
    "training:enrol_person": {"POST": _COORD},
    "training:enrolment_cancel": {"GET": _COORD, "POST": _COORD},
    "training:certificate": {"GET": _SIGNED_IN},
    "training:attendance": {"GET": _READERS, "POST": _READERS},
    "training:session_attendance": {"GET": _READERS, "POST": _READERS},
    "training:courses": {"GET": _COORD},
    "training:course_new": {"GET": _COORD, "POST": _COORD},
    "training:course_edit": {"GET": _COORD, "POST": _COORD},
    "training:course_feed": {"GET": _READERS},
    "training:course_feed_reset": {"POST": _COORD},
    "training:course_feed_public": {"GET": _PUBLIC},
    "training:transcript_pdf": {"GET": _SIGNED_IN},
    "training:transcript_pdf_for": {"GET": _OVERSEERS},
    "training:board": {"GET": _OVERSEERS},
    "training:export": {"GET": _OVERSEERS},
    "training:transcript": {"GET": _OVERSEERS},
    "training:certificate_for": {"GET": _OVERSEERS},
}
URL_KWARGS = {
    "training:feed": _feed,
    "training:session": _future,
    "training:session_edit": _future,
    "training:session_cancel": _future,
    "training:enrol": _future,
    "training:leave": _future,
    "training:enrol_person": _future,
    "training:enrolment_cancel": _enrolment,
    "training:certificate": lambda dept: {
        "session_id": completed_session(_supporter_profile(dept)).pk
    },
    "training:attendance": lambda dept: {"day_id": make_session(days_from_now=-1).days.get().pk},
    "training:session_attendance": lambda dept: {"session_id": make_session(days_from_now=-1).pk},
    "training:course_edit": _course,
    "training:course_feed": _course,
    "training:course_feed_reset": _course,
    "training:course_feed_public": _course_feed,
    "training:transcript": lambda dept: {"user_id": _supporter_profile(dept).pk},
    "training:transcript_pdf_for": lambda dept: {"user_id": _supporter_profile(dept).pk},
    "training:certificate_for": _certificate_for,
}
# Past the door the object decides: your own certificates; the days (and the sessions) you
# teach.
OBJECT_SCOPED = {"training:certificate", "training:attendance", "training:session_attendance"}

# tests/system/test_object_access.py
OWNED = {
    "training:certificate": (completed_session, "session_id"),
    "training:attendance": (instructed_day, "day_id"),
    "training:session_attendance": (lambda user: instructed_day(user).session, "session_id"),
}
SHARED = {
    name: "the coordinator runs all training; supporters read every session"
    for name in (
        "training:session",
        "training:session_edit",
        "training:session_cancel",
        "training:enrol",
        "training:leave",
        "training:enrol_person",
        "training:enrolment_cancel",
        "training:course_edit",
        "training:course_feed",
        "training:course_feed_reset",
    )
} | {
    "training:transcript": "the coordinator and BHS manager oversee every supporter's training",
    "training:transcript_pdf_for": "the coordinator and BHS manager oversee every supporter's "
    "training, the same selector as training:transcript",
    "training:certificate_for": "the coordinator and BHS manager oversee every supporter's "
    "training; only completed sessions have a certificate",
}
