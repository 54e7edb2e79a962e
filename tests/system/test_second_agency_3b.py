"""A second agency sees none of the first's support and training (issue 23, step 3b).

Agency A (the ``dept`` fixture) and agency B (tests/system/conftest.py) each get, through their
own people and the services, requests (held, offered, an employee's own), messages, contacts,
follow-ups (overdue), a debrief request, a course with a session, places, attendance, compliance
and calendar addresses, every typed text carrying the agency's canary (A "Aardvark", B
"Bilby"). Every page of support and training that B's supporter, coordinator, BHS manager and
employee can reach shows none of A's canaries nor a link to A's objects, and the reverse; A's
object URLs answer 404 to B's people. The roster (whose supporter profiles 3a scopes) is not
what this test proves: the training board's names come from it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.governance.notice import current_notice
from peersupport.support import selectors as support_selectors
from peersupport.support import services as support_services
from peersupport.support.models import (
    Contact,
    ContactMethod,
    DebriefRequest,
    FollowUp,
    Message,
    Offer,
    RequesterKind,
    SupportRequest,
)
from peersupport.tenancy import using_agency
from peersupport.training import selectors as training_selectors
from peersupport.training import services as training_services
from peersupport.training.models import (
    Attendance,
    ComplianceRecord,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from ..conftest import signed_in_client
from ..factories import (
    AttendanceFactory,
    ContactFactory,
    EmployeeFactory,
    EnrolmentFactory,
    FollowUpFactory,
    MessageFactory,
    TrainingSessionFactory,
    UserFactory,
)
from ..matrix.support_supporter import active_supporter, held_request, pending_offer


@dataclass
class Seeded:
    """One agency's support and training, made by its own people."""

    canary: str
    held: SupportRequest
    offer: Offer
    own: SupportRequest  # the employee's own request
    contact: Contact
    followup: FollowUp
    debrief: DebriefRequest
    course: Course
    session: TrainingSession
    record: ComplianceRecord
    feed_token: str
    course_feed_token: str

    def links(self) -> list[str]:
        """Addresses of this agency's objects, which no page of the other may show."""
        return [
            reverse("support:held", args=[self.held.pk]),
            reverse("support:contact_for_request", args=[self.held.pk]),
            reverse("support:offer_answer", args=[self.offer.pk]),
            reverse("support:followup_done", args=[self.followup.pk]),
            reverse("support:debrief_handled", args=[self.debrief.pk]),
            reverse("support:my_request", args=[self.own.public_id]),
            reverse("training:session", args=[self.session.pk]),
            reverse("training:course_edit", args=[self.course.pk]),
            reverse("training:course_feed", args=[self.course.pk]),
        ]


def _seed(canary: str, *, supporter, coordinator, employee) -> Seeded:
    """Inside the agency's context: everything made as its people would."""
    supporter.display_name = f"{canary} Supporter"
    supporter.save(update_fields=["display_name"])
    # The employee asks while no supporter is available: their request waits, offered to none.
    own = support_services.request_create(
        requester=employee,
        kind=RequesterKind.EMPLOYEE,
        name=f"{canary} Employee",
        contact_method=ContactMethod.MESSAGES,
        best_times=f"{canary} mornings",
        notice_version=current_notice().version,
    ).request
    MessageFactory(request=own, body=f"{canary} message of the employee")
    active_supporter(supporter)
    held = held_request(
        supporter,
        name=f"{canary} Requester",
        contact_detail=f"{canary}@home.example.org",
        best_times=f"{canary} evenings",
    )
    MessageFactory(request=held, body=f"{canary} message from the requester")
    offer = pending_offer(supporter)
    contact = ContactFactory(supporter=supporter, request=held, duration_minutes=47)
    followup = FollowUpFactory(
        supporter=supporter,
        contact=contact,
        due=timezone.localdate() - datetime.timedelta(days=3),
    )
    debrief = support_services.debrief_request(actor=supporter)
    course = training_services.course_save(
        actor=coordinator,
        kind=CourseKind.WORKSHOP,
        title=f"{canary} Workshop",
        description=f"{canary} course description",
        hours=Decimal(8),
        days=1,
    )
    session = TrainingSessionFactory(
        course=course,
        place=f"{canary} Hall",
        notes=f"{canary} session notes",
        instructor_name=f"{canary} Instructor",
        created_by=coordinator,
    )
    EnrolmentFactory(session=session, user=supporter)
    past = TrainingSessionFactory(
        course=course,
        place=f"{canary} Old Hall",
        starts_at=timezone.now() - datetime.timedelta(days=20),
        ends_at=timezone.now() - datetime.timedelta(days=20) + datetime.timedelta(hours=8),
        created_by=coordinator,
    )
    AttendanceFactory(day=past.days.get(), user=supporter, recorded_by=coordinator)
    training_services.compliance_refresh()
    record = ComplianceRecord.objects.get(user=supporter, year=timezone.localdate().year)
    return Seeded(
        canary=canary,
        held=held,
        offer=offer,
        own=own,
        contact=contact,
        followup=followup,
        debrief=debrief,
        course=course,
        session=session,
        record=record,
        feed_token=training_services.feed_reset(actor=supporter),
        course_feed_token=training_services.course_feed_reset(actor=coordinator, course=course),
    )


def _b_employee(agency_b):
    """An employee of B with no role (``agency_b.person`` grants one)."""
    with using_agency(agency_b["agency"]):
        user = UserFactory(email="b-employee@b.example.org")
        EmployeeFactory(user=user, unit=agency_b.hq, work_email=user.email, last_name="Numbat")
    agency_b.users["employee"] = user  # their requests work for B (the fixture's middleware)
    return user


def _get(client, name, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, (name, args, response.status_code)
    return response.content.decode()


def _pages(clients: dict, own: Seeded) -> dict[str, str]:
    """Every support and training page each of an agency's people reaches, by a label."""
    supporter, coordinator, bhs, employee = (
        clients[k] for k in ("supporter", "coordinator", "bhs", "employee")
    )
    pages = {
        "supporter inbox": _get(supporter, "support:inbox"),
        "supporter held": _get(supporter, "support:held", own.held.pk),
        "supporter contact form": _get(supporter, "support:contact_for_request", own.held.pk),
        "supporter new contact": _get(supporter, "support:contact_new"),
        "supporter training": _get(supporter, "training:mine"),
        "supporter sessions": _get(supporter, "training:sessions"),
        "supporter calendar": _get(supporter, "training:calendar"),
        "supporter session": _get(supporter, "training:session", own.session.pk),
        "coordinator overview": _get(coordinator, "support:overview"),
        "coordinator overdue": _get(coordinator, "support:overdue"),
        "coordinator courses": _get(coordinator, "training:courses"),
        "coordinator course": _get(coordinator, "training:course_edit", own.course.pk),
        "coordinator course feed": _get(coordinator, "training:course_feed", own.course.pk),
        "coordinator sessions": _get(coordinator, "training:sessions"),
        "coordinator calendar": _get(coordinator, "training:calendar"),
        "coordinator board": _get(coordinator, "training:board"),
        "coordinator export": _get(coordinator, "training:export"),
        "bhs board": _get(bhs, "training:board"),
        "bhs export": _get(bhs, "training:export"),
        "bhs sessions": _get(bhs, "training:sessions"),
        "employee requests": _get(employee, "support:my_requests"),
        "employee request": _get(employee, "support:my_request", own.own.public_id),
        "employee ask": _get(employee, "support:ask"),
        "employee training": _get(employee, "training:mine"),
    }
    anonymous = Client()  # calendar apps sign in to nothing
    pages["personal feed"] = _get(anonymous, "training:feed", own.feed_token)
    pages["course feed"] = _get(anonymous, "training:course_feed_public", own.course_feed_token)
    return pages


def _refused(clients: dict, other: Seeded, *, supporter) -> None:
    """The other agency's objects, asked for by their addresses: not found, and unchanged."""
    as_supporter, coordinator, employee = (
        clients[k] for k in ("supporter", "coordinator", "employee")
    )
    asked = [
        (as_supporter, "get", "support:held", other.held.pk),
        (as_supporter, "post", "support:held_close", other.held.pk),
        (as_supporter, "get", "support:contact_for_request", other.held.pk),
        (as_supporter, "get", "support:offer_answer", other.offer.pk),
        (as_supporter, "post", "support:offer_answer", other.offer.pk),
        (as_supporter, "post", "support:followup_done", other.followup.pk),
        (as_supporter, "get", "training:session", other.session.pk),
        (as_supporter, "post", "training:enrol", other.session.pk),
        (coordinator, "get", "training:course_edit", other.course.pk),
        (coordinator, "get", "training:course_feed", other.course.pk),
        (coordinator, "get", "training:session", other.session.pk),
        (coordinator, "get", "training:session_edit", other.session.pk),
        (coordinator, "post", "training:course_feed_reset", other.course.pk),
        (coordinator, "post", "support:debrief_handled", other.debrief.pk),
        (employee, "get", "support:my_request", other.own.public_id),
        (employee, "post", "support:my_request", other.own.public_id),
    ]
    for client, method, name, arg in asked:
        data = {"action": "withdraw", "confirm": "yes"} if name == "support:my_request" else {}
        if name == "support:offer_answer" and method == "post":
            data = {"answer": "accept"}
        response = getattr(client, method)(reverse(name, args=[arg]), data)
        assert response.status_code == 404, (name, method, response.status_code)
    with using_agency(other.course.agency_id):
        assert SupportRequest.objects.get(pk=other.held.pk).status == SupportRequest.Status.ACCEPTED
        assert SupportRequest.objects.get(pk=other.own.pk).is_open
        assert Offer.objects.get(pk=other.offer.pk).answer == Offer.Answer.PENDING
        assert FollowUp.objects.get(pk=other.followup.pk).done_at is None
        assert DebriefRequest.objects.get(pk=other.debrief.pk).handled_at is None
        assert not Enrolment.objects.filter(session=other.session, user=supporter).exists()


def _sees_none_of(pages: dict[str, str], other: Seeded) -> None:
    for label, html in pages.items():
        assert other.canary not in html, (label, other.canary)
        for link in other.links():
            assert link not in html, (label, link)


def test_b_sees_none_of_as_support_and_training_and_a_none_of_bs(dept, client_for, agency_b):
    a_people = dept.users
    b_people = {
        "supporter": agency_b.person(Role.PEER_SUPPORTER, "b-supporter@b.example.org"),
        "coordinator": agency_b.person(Role.COORDINATOR, "b-coordinator@b.example.org"),
        "employee": _b_employee(agency_b),
        "bhs": agency_b["bhs"],
    }
    # A's seeding runs in A (the tests' default agency); B's inside B.
    a = _seed(
        "Aardvark",
        supporter=a_people["supporter"],
        coordinator=a_people["coordinator"],
        employee=a_people["employee"],
    )
    with using_agency(agency_b["agency"]):
        b = _seed(
            "Bilby",
            supporter=b_people["supporter"],
            coordinator=b_people["coordinator"],
            employee=b_people["employee"],
        )
    a_clients = {
        "supporter": client_for("supporter"),
        "coordinator": client_for("coordinator"),
        "bhs": client_for("bhs_manager"),
        "employee": client_for("employee"),
    }
    b_clients = {role: signed_in_client(user) for role, user in b_people.items()}

    a_pages, b_pages = _pages(a_clients, a), _pages(b_clients, b)
    _sees_none_of(b_pages, a)
    _sees_none_of(a_pages, b)
    # The search works: each agency's own pages show its own canaries.
    for pages, own in ((a_pages, a), (b_pages, b)):
        for label in (
            "supporter held",
            "supporter sessions",
            "coordinator overview",
            "coordinator courses",
            "employee request",
            "course feed",
            "personal feed",
        ):
            assert own.canary in pages[label], (label, own.canary)
        assert reverse("support:offer_answer", args=[own.offer.pk]) in pages["supporter inbox"]
        assert reverse("support:followup_done", args=[own.followup.pk]) in pages["supporter inbox"]
        assert (
            reverse("support:debrief_handled", args=[own.debrief.pk])
            in (pages["coordinator overview"])
        )
    _refused(b_clients, a, supporter=b_people["supporter"])
    _refused(a_clients, b, supporter=a_people["supporter"])


def test_each_agencys_rows_are_read_only_in_it(dept, agency_b):
    """The scoped managers, the hand-written reads of support/selectors.py and the board's
    kept SQL, each agency against the other's rows."""
    a_supporter = dept.users["supporter"]
    a = _seed(
        "Aardvark",
        supporter=a_supporter,
        coordinator=dept.users["coordinator"],
        employee=dept.users["employee"],
    )
    b_supporter = agency_b.person(Role.PEER_SUPPORTER, "b-supporter@b.example.org")
    with using_agency(agency_b["agency"]):
        b = _seed(
            "Bilby",
            supporter=b_supporter,
            coordinator=agency_b.person(Role.COORDINATOR, "b-coordinator@b.example.org"),
            employee=_b_employee(agency_b),
        )
    pairs = ((a, b, a_supporter, b_supporter), (b, a, b_supporter, a_supporter))
    for here, there, supporter, stranger in pairs:
        with using_agency(here.course.agency_id):
            for model, pk in (
                (SupportRequest, there.held.pk),
                (Offer, there.offer.pk),
                (Contact, there.contact.pk),
                (FollowUp, there.followup.pk),
                (DebriefRequest, there.debrief.pk),
                (Course, there.course.pk),
                (TrainingSession, there.session.pk),
                (ComplianceRecord, there.record.pk),
            ):
                assert not model.objects.filter(pk=pk).exists(), model.__name__
            assert not Message.objects.filter(request_id=there.held.pk).exists()
            assert not SessionDay.objects.filter(session_id=there.session.pk).exists()
            assert not Attendance.objects.filter(day__session__course=there.course).exists()
            assert not Enrolment.objects.filter(session=there.session).exists()
            # The inbox's and the overview's hand-written reads.
            assert [o.pk for o in support_selectors.pending_offers(supporter)] == [here.offer.pk]
            held, _closed = support_selectors.open_and_recently_closed(supporter, closed_limit=5)
            assert [line.pk for line in held] == [here.held.pk]
            assert [c.pk for c in support_selectors.recent_contacts(supporter)] == [here.contact.pk]
            followups = support_selectors.inbox_followups(supporter, limit=5)
            assert [f.pk for f in followups.due] == [here.followup.pk]
            assert followups.due_count == 1 and followups.upcoming_count == 0
            load = support_selectors.supporter_load(supporter, held=held, followups_due=1)
            assert load.contacts_this_month == 1 and load.open_requests == 1
            # The other agency's supporter read here (as a lent supporter will be): the same
            # statements, by the agency they bind, find nothing of what they did there.
            assert support_selectors.pending_offers(stranger) == []
            assert support_selectors.open_and_recently_closed(stranger, closed_limit=5) == (
                [],
                [],
            )
            assert support_selectors.recent_contacts(stranger) == []
            theirs = support_selectors.inbox_followups(stranger, limit=5)
            assert theirs.due == theirs.upcoming == [] and theirs.due_count == 0
            load = support_selectors.supporter_load(stranger, held=[], followups_due=0)
            assert load.contacts_this_month == 0
            overview = support_selectors.coordinator_overview()
            assert [d.pk for d in overview.debriefs] == [here.debrief.pk]
            assert overview.overdue_total == 1
            # Held, offered, and the employee's waiting.
            assert sum(n for _label, n in overview.open_by_age) == 3
            # The board joins its own agency's judgments only (kept SQL, per agency): the
            # other's supporter, if the roster lists them here (until 3a scopes profiles), has
            # none of the hours they were credited there.
            judged = {
                row.user_id: row.compliance
                for row in training_selectors.board(year=timezone.localdate().year).rows
            }
            assert judged[supporter.pk].other_hours == Decimal(8)
            other = judged.get(there.record.user_id)
            assert other is None or other.other_hours == 0


def test_purge_expired_forgets_who_asked_in_every_agency(dept, agency_b, settings):
    """Retention ends in each agency: the command works inside every one, as the ticks do."""
    from io import StringIO

    from django.core.management import call_command

    settings.SUPPORT_RETENTION_DAYS = 30
    old = timezone.now() - datetime.timedelta(days=31)
    made = []
    for agency_id in (dept.hq.agency_id, agency_b["agency"].pk):
        with using_agency(agency_id):
            req = support_services.request_create(
                requester=None,
                kind=RequesterKind.FAMILY,
                name="Purge Canary",
                contact_method=ContactMethod.MESSAGES,
                notice_version=current_notice().version,
            ).request
            support_services.request_withdraw(request=req)
            SupportRequest.objects.filter(pk=req.pk).update(closed_at=old)
            made.append((agency_id, req.pk))
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "purged 2 request(s)" in out.getvalue()
    for agency_id, pk in made:
        with using_agency(agency_id):
            req = SupportRequest.objects.get(pk=pk)
            assert req.purged_at is not None and req.identity == {}


def test_a_debrief_is_asked_of_the_supporters_home_agency(dept, personas, agency_b):
    """A's supporter serving B (B's peer-supporter grant, as a loan will give) asks for a debrief
    while working in B: it is A's coordinators who are told and A's overview that holds it; B
    learns nothing of it."""
    from peersupport.notifications.models import Notification

    from ..factories import grant
    from ..matrix.support_supporter import active_supporter

    supporter = personas["supporter"]
    active_supporter(supporter)
    b_coordinator = agency_b.person(Role.COORDINATOR, "b-coordinator@b.example.org")
    with using_agency(agency_b.agency):
        grant(supporter, Role.PEER_SUPPORTER)
        supporter.forget_roles()
        debrief = support_services.debrief_request(actor=supporter)
        assert not DebriefRequest.objects.exists()
    assert debrief.agency_id == dept.hq.agency_id
    assert DebriefRequest.objects.get() == debrief
    told = set(
        Notification.objects.filter(key__startswith="support:debrief:").values_list(
            "user_id", flat=True
        )
    )
    assert personas["coordinator"].pk in told and b_coordinator.pk not in told
