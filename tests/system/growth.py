"""More of everything a page lists, for the query-count sweep (test_query_counts_sweep.py).

``grow(dept, n)`` adds ``n`` more of each kind of row the program's pages show, tied to the
personas where a page shows one person's rows (the supporter's contacts, follow-ups, offers,
training; the panelist's interviews; the committee member's seat), and department-wide
otherwise (employees, units, supporters, requests waiting, outreach, resources, courses,
candidacies, elections, audit events, alerts). Called twice with different ``n``, a page whose
query count differs between the two calls does work per row.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from peersupport.accounts.models import Employee, Role, Unit
from peersupport.roster.models import SupporterProfile
from peersupport.support.models import SupportRequest

from .. import factories as f

_seq = itertools.count()


def _supporter(unit) -> object:
    user = f.UserFactory()
    f.EmployeeFactory(user=user, unit=unit, work_email=user.email)
    f.grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.filter(user=user).first() or f.SupporterProfileFactory(
        user=user
    )
    profile.status = SupporterProfile.Status.ACTIVE
    profile.save()
    f.SupporterAreaFactory(profile=profile)
    return user


def grow(dept, n: int) -> None:
    users = dept.users
    supporter = users["supporter"]
    coordinator = users["coordinator"]
    today = timezone.localdate()
    for _ in range(n):
        i = next(_seq)
        unit = Unit.objects.create(
            name=f"Grown squad {i}", kind=Unit.Kind.UNIT, parent=dept.precinct
        )
        for _ in range(3):
            f.EmployeeFactory(unit=unit, employee_type=Employee.Type.SWORN)
        peer = _supporter(unit)
        # The supporter persona's own work.
        f.ContactFactory(supporter=supporter, date=today - timedelta(days=i % 20))
        f.FollowUpFactory(supporter=supporter, contact=f.ContactFactory(supporter=supporter))
        f.ContactFactory(supporter=peer)
        assigned = f.SupportRequestFactory(
            status=SupportRequest.Status.ACCEPTED, assigned_supporter=supporter
        )
        f.MessageFactory(request=assigned)
        f.OfferFactory(supporter=supporter)
        f.SupportRequestFactory()  # waiting
        f.DebriefRequestFactory(supporter=supporter)
        profile = SupporterProfile.objects.filter(user=supporter).first()
        if profile is not None:
            f.OnCallShiftFactory(profile=profile, start=timezone.now() + timedelta(days=i + 1))
        session = f.TrainingSessionFactory(created_by=coordinator)
        f.EnrolmentFactory(session=session, user=supporter)
        f.EnrolmentFactory(session=session, user=peer)
        f.AttendanceFactory(
            day=f.SessionDayFactory(
                session=f.TrainingSessionFactory(
                    created_by=coordinator,
                    starts_at=timezone.now() - timedelta(days=30 + i),
                    ends_at=timezone.now() - timedelta(days=30 + i) + timedelta(hours=8),
                    day=None,
                )
            ),
            user=supporter,
            recorded_by=coordinator,
        )
        # Department-wide lists.
        f.ResourceFactory()
        f.OutreachFactory(opened_by=coordinator)
        nominee = f.UserFactory()
        f.EmployeeFactory(user=nominee, unit=unit, work_email=nominee.email)
        f.CandidacyFactory(nominee=nominee)
        interview = f.InterviewFactory(scheduled_by=coordinator)
        f.PanelistFactory(interview=interview, user=users["panelist"])
        f.MembershipFactory(user=f.UserFactory())
        f.ExceptionCategoryFactory()
        # The system administrator's webhooks, each with a delivery waiting.
        from peersupport.notifications import webhooks

        hook, _ = webhooks.endpoint_add(
            actor=None, label=f"System {i}", url=f"https://hooks{i}.example.test/", events=[]
        )
        webhooks.endpoint_test(actor=None, endpoint=hook)
