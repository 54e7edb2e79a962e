"""Factories for the rows tests build, one per model, grouped by app.

Each builds a valid row with defaults (``XFactory()``), and any field can be given
(``XFactory(status=...)``). They write rows straight to the database for test setup: they do
not go through the services, so nothing they build is audited or notified. Roles are the
exception: there is no RoleGrant factory, a role is given with ``grant()`` as before.
Encrypted fields are given plain values, as the models expect.
"""

import datetime
from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.utils import timezone

from peersupport.accounts.models import Employee, FamilyMember, Language, RoleGrant, Unit, User
from peersupport.committee.models import Candidate, CommitteeSeat, Election, Membership
from peersupport.governance.models import ExceptionCategory
from peersupport.governance.notice import current_notice
from peersupport.notifications.models import AlertPreference, QuietHours
from peersupport.outreach.models import EventType, GroupSession, Outreach, PlanStep
from peersupport.resources.models import Resource
from peersupport.roster.models import ExperienceArea, OnCallShift, SupporterArea, SupporterProfile
from peersupport.selection.models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
    NominationRound,
    Panelist,
    PanelScore,
)
from peersupport.support.models import (
    Contact,
    DebriefRequest,
    FollowUp,
    Message,
    Offer,
    RequesterKind,
    SupportRequest,
)
from peersupport.training.models import (
    Attendance,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

PASSWORD = "correct-horse-battery-staple-42"


def _today():
    return timezone.localdate()


def _next_hour(days=1):
    """A whole hour ``days`` from now (aware), so shifts and sessions read naturally."""
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)


def _agency_id():
    """The current agency's id (tests/conftest.py enters the default agency for every test)."""
    from peersupport.tenancy import current_agency_id_or_none

    current = current_agency_id_or_none()
    if current is None:
        from peersupport.accounts.agencies import default_agency_id

        return default_agency_id()
    return current


def _notice_version():
    return current_notice().version


# --- accounts ---------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@pd.example.org")
    display_name = factory.Faker("name")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """A second, verified address of an account (UserFactory already adds the primary one)."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda n: f"alias{n}@pd.example.org")
    verified = True
    primary = False


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    agency_id = factory.LazyFunction(_agency_id)
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = Unit.Kind.UNIT
    parent = None


class LanguageFactory(factory.django.DjangoModelFactory):
    """Looked up by code: ``LanguageFactory(code="es", name="Spanish")`` twice is one row."""

    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"l{n}")
    name = factory.Sequence(lambda n: f"Language {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    agency_id = factory.LazyFunction(_agency_id)
    employee_number = factory.Sequence(lambda n: f"E{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    work_email = factory.Sequence(lambda n: f"employee{n}@pd.example.org")
    employee_type = Employee.Type.SWORN
    rank_title = "Officer"
    unit = factory.SubFactory(UnitFactory)
    status = Employee.Status.ACTIVE


class FamilyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyMember

    employee = factory.SubFactory(EmployeeFactory)
    relationship = FamilyMember.Relationship.SPOUSE
    name = factory.Faker("name")  # encrypted


def grant(user: User, role: str, *, by: User | None = None, agency=None) -> RoleGrant:
    """``role`` for ``user`` in ``agency`` (by default the current one)."""
    agency_id = agency.pk if agency is not None else _agency_id()
    return RoleGrant.objects.create(
        user=user, role=role, reason="test", granted_by=by, agency_id=agency_id
    )


def enable_totp(user: User) -> str:
    """Give the account a TOTP authenticator with the documented demo secret; return it."""
    secret = settings.DEMO_TOTP_SECRET
    TOTP.activate(user, secret)
    return secret


# --- roster -----------------------------------------------------------------------------------


class SupporterProfileFactory(factory.django.DjangoModelFactory):
    """A profile at the model's default status (candidate). Give ``status``; an inactive one
    gets the reason "leave" unless another is given. The role is not granted: use ``grant()``."""

    class Meta:
        model = SupporterProfile

    user = factory.SubFactory(UserFactory)
    status = SupporterProfile.Status.CANDIDATE
    inactive_reason = factory.LazyAttribute(
        lambda o: (
            SupporterProfile.InactiveReason.LEAVE
            if o.status == SupporterProfile.Status.INACTIVE
            else ""
        )
    )


class SupporterAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupporterArea

    profile = factory.SubFactory(SupporterProfileFactory)
    area = ExperienceArea.CRITICAL_INCIDENTS


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    """Eight hours, starting on the hour tomorrow."""

    class Meta:
        model = OnCallShift

    profile = factory.SubFactory(SupporterProfileFactory)
    start = factory.LazyFunction(_next_hour)
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=8))


# --- selection --------------------------------------------------------------------------------


class NominationRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NominationRound

    name = factory.Sequence(lambda n: f"Round {n}")
    opens_on = factory.LazyFunction(_today)
    closes_on = factory.LazyAttribute(lambda o: o.opens_on + timedelta(days=14))
    created_by = factory.SubFactory(UserFactory)


class CandidacyFactory(factory.django.DjangoModelFactory):
    """A bare candidacy at ``stage`` (nominated by default), with none of the records a real
    one has there; tests/selection/helpers.at_stage builds those."""

    class Meta:
        model = Candidacy

    nominee = factory.SubFactory(UserFactory)
    stage = Candidacy.Stage.NOMINATED


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nomination

    candidacy = factory.SubFactory(CandidacyFactory)
    nominator = factory.SubFactory(UserFactory)
    reason = "Trusted by the squad."


class InterviewFactory(factory.django.DjangoModelFactory):
    """Scheduled for tomorrow, no decision yet."""

    class Meta:
        model = Interview

    candidacy = factory.SubFactory(CandidacyFactory, stage=Candidacy.Stage.INTERVIEW)
    at = factory.LazyFunction(_next_hour)
    place = "Room 1"
    rubric = factory.LazyFunction(lambda: ["Listening", "Judgement"])
    score_max = 5
    scheduled_by = factory.SubFactory(UserFactory)


class PanelistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Panelist

    interview = factory.SubFactory(InterviewFactory)
    user = factory.SubFactory(UserFactory)


class PanelScoreFactory(factory.django.DjangoModelFactory):
    """Four on every criterion of the interview's rubric unless ``scores`` are given."""

    class Meta:
        model = PanelScore

    interview = factory.SubFactory(InterviewFactory)
    panelist = factory.SubFactory(UserFactory)
    scores = factory.LazyAttribute(lambda o: {c: 4 for c in o.interview.rubric})
    total = factory.LazyAttribute(lambda o: sum(o.scores.values()))
    notes = "Calm and credible."  # encrypted


class ChainStepFactory(factory.django.DjangoModelFactory):
    """The first level, waiting for the supervisor's answer."""

    class Meta:
        model = ChainStep

    candidacy = factory.SubFactory(CandidacyFactory, stage=Candidacy.Stage.CHAIN)
    position = 0
    supervisor = factory.SubFactory(EmployeeFactory)
    unit = factory.SelfAttribute("supervisor.unit")
    outcome = ChainStep.Outcome.PENDING
    comment = factory.LazyAttribute(
        lambda o: "" if o.outcome == ChainStep.Outcome.PENDING else "Good officer."
    )


class CandidacyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidacyEvent

    candidacy = factory.SubFactory(CandidacyFactory, stage=Candidacy.Stage.INVITED)
    action = "invite"
    from_stage = Candidacy.Stage.NOMINATED
    to_stage = Candidacy.Stage.INVITED
    label = "Invited to become a candidate"


# --- committee --------------------------------------------------------------------------------


class CommitteeSeatFactory(factory.django.DjangoModelFactory):
    """An elected seat; ``CommitteeSeatFactory(appointed=True)`` for one an organisation fills."""

    class Meta:
        model = CommitteeSeat

    class Params:
        appointed = factory.Trait(
            kind=CommitteeSeat.Kind.APPOINTED, appointed_by="Fraternal Order of Police"
        )

    kind = CommitteeSeat.Kind.ELECTED
    name = factory.Sequence(lambda n: f"Test seat {n}")
    appointed_by = ""
    term_months = 24
    order = factory.Sequence(lambda n: 1000 + n)


class ElectionFactory(factory.django.DjangoModelFactory):
    """Open, nominations from now for a week, then a week of voting."""

    class Meta:
        model = Election

    seats = 1
    nominations_open_at = factory.LazyFunction(timezone.now)
    nominations_close_at = factory.LazyAttribute(
        lambda o: o.nominations_open_at + timedelta(days=7)
    )
    voting_open_at = factory.SelfAttribute("nominations_close_at")
    voting_close_at = factory.LazyAttribute(lambda o: o.voting_open_at + timedelta(days=7))
    opened_by = factory.SubFactory(UserFactory)


class CandidateFactory(factory.django.DjangoModelFactory):
    """Standing on their own account (not nominated by another)."""

    class Meta:
        model = Candidate

    election = factory.SubFactory(ElectionFactory)
    user = factory.SubFactory(UserFactory)
    status = Candidate.Status.STANDING


class MembershipFactory(factory.django.DjangoModelFactory):
    """A current membership from today for a year. No role is granted (``role_grant`` empty)."""

    class Meta:
        model = Membership

    seat = factory.SubFactory(CommitteeSeatFactory)
    user = factory.SubFactory(UserFactory)
    term_start = factory.LazyFunction(_today)
    term_end = factory.LazyAttribute(lambda o: o.term_start + timedelta(days=365))


# --- governance -------------------------------------------------------------------------------


class ExceptionCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExceptionCategory

    code = factory.Sequence(lambda n: f"test-category-{n}")
    name = factory.Sequence(lambda n: f"Test category {n}")
    explanation = "As the law requires."
    action = "Escalate to the BHS manager."
    order = factory.Sequence(lambda n: 100 + n)


# --- resources --------------------------------------------------------------------------------


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    name = factory.Sequence(lambda n: f"Service {n}")
    category = Resource.Category.OTHER
    description = "Helps."
    phone = "(555) 555-0100"


# --- training ---------------------------------------------------------------------------------


class CourseFactory(factory.django.DjangoModelFactory):
    """Looked up by title, like LanguageFactory by code: the same title twice is one course."""

    class Meta:
        model = Course
        django_get_or_create = ("title",)

    kind = CourseKind.WORKSHOP
    title = factory.Sequence(lambda n: f"Course {n}")
    hours = Decimal(8)
    days = 1


class SessionDayFactory(factory.django.DjangoModelFactory):
    """A day covering the whole of its session (a one-day session of its own by default)."""

    class Meta:
        model = SessionDay

    session = factory.SubFactory("tests.factories.TrainingSessionFactory", day=None)
    starts_at = factory.SelfAttribute("session.starts_at")
    ends_at = factory.SelfAttribute("session.ends_at")
    hours = factory.SelfAttribute("session.course.hours")


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    """A one-day session a week from now, with its day (as services.session_save makes it).
    ``day=None`` leaves the day out; ``day__hours=...`` changes it."""

    class Meta:
        model = TrainingSession
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    place = "Academy"
    capacity = 10
    starts_at = factory.LazyFunction(lambda: _next_hour(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))
    created_by = factory.SubFactory(UserFactory)
    day = factory.RelatedFactory(SessionDayFactory, factory_related_name="session")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(TrainingSessionFactory)
    user = factory.SubFactory(UserFactory)
    status = Enrolment.Status.ENROLLED


class AttendanceFactory(factory.django.DjangoModelFactory):
    """The whole day attended."""

    class Meta:
        model = Attendance

    day = factory.SubFactory(SessionDayFactory)
    user = factory.SubFactory(UserFactory)
    hours = factory.SelfAttribute("day.hours")
    recorded_by = factory.SubFactory(UserFactory)


# --- support ----------------------------------------------------------------------------------


class SupportRequestFactory(factory.django.DjangoModelFactory):
    """A family member's request, waiting, under the notice in force. ``identity`` is the
    encrypted part; give it as a plain dict."""

    class Meta:
        model = SupportRequest

    kind = RequesterKind.FAMILY
    identity = factory.LazyFunction(
        lambda: {
            "name": "Pat",
            "contact_method": "phone",
            "contact_detail": "555 0100 200",
            "best_times": "evenings",
        }
    )
    notice_version = factory.LazyFunction(_notice_version)


class OfferFactory(factory.django.DjangoModelFactory):
    """A pending offer (one pending offer per request: give a new request, or an answer)."""

    class Meta:
        model = Offer

    request = factory.SubFactory(SupportRequestFactory, status=SupportRequest.Status.OFFERED)
    supporter = factory.SubFactory(UserFactory)
    answer = Offer.Answer.PENDING


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    request = factory.SubFactory(SupportRequestFactory)
    sender = Message.Sender.REQUESTER
    body = "Hello."  # encrypted


class ContactFactory(factory.django.DjangoModelFactory):
    """Thirty minutes by phone today, with a sworn member, the limits explained."""

    class Meta:
        model = Contact
        skip_postgeneration_save = True

    supporter = factory.SubFactory(UserFactory)
    request = None
    date = factory.LazyFunction(_today)
    duration_minutes = 30
    mode = Contact.Mode.PHONE
    requester_type = Contact.RequesterType.SWORN
    topics = factory.LazyFunction(lambda: [Contact.Topic.WORK_STRESS])
    limits_explained = True
    notice_version = factory.LazyFunction(_notice_version)

    @factory.post_generation
    def referrals(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.referrals.set(extracted)


class FollowUpFactory(factory.django.DjangoModelFactory):
    """Due in a week, on a contact of the same supporter."""

    class Meta:
        model = FollowUp

    supporter = factory.SubFactory(UserFactory)
    contact = factory.SubFactory(
        ContactFactory, supporter=factory.SelfAttribute("..supporter"), follow_up_planned=True
    )
    request = factory.SelfAttribute("contact.request")
    due = factory.LazyFunction(lambda: _today() + timedelta(days=7))


class DebriefRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DebriefRequest

    supporter = factory.SubFactory(UserFactory)


# --- outreach ---------------------------------------------------------------------------------


class PlanStepFactory(factory.django.DjangoModelFactory):
    """A step far beyond the default plan's offsets (at most a year), so it never collides."""

    class Meta:
        model = PlanStep

    event_type = EventType.LINE_OF_DUTY_INJURY
    label = factory.Sequence(lambda n: f"Step {n}")
    offset_hours = factory.Sequence(lambda n: 10_000 + n)


class OutreachFactory(factory.django.DjangoModelFactory):
    """Open, after a family tragedy today. ``description`` is encrypted; give it plain."""

    class Meta:
        model = Outreach

    event_type = EventType.FAMILY_TRAGEDY
    event_date = factory.LazyFunction(_today)
    description = "A death in the family."
    opened_by = factory.SubFactory(UserFactory)


class GroupSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupSession

    outreach = factory.SubFactory(OutreachFactory, event_type=EventType.CRITICAL_INCIDENT)
    starts_at = factory.LazyFunction(_next_hour)
    place = "HQ room 4"
    facilitator = "Clinician on call"
    created_by = factory.SelfAttribute("outreach.opened_by")


class AlertPreferenceFactory(factory.django.DjangoModelFactory):
    """One person's channels for one kind: e-mail only, unless told."""

    class Meta:
        model = AlertPreference

    user = factory.SubFactory(UserFactory)
    kind = "training/session_soon"
    email = True
    sms = False
    push = False


class QuietHoursFactory(factory.django.DjangoModelFactory):
    """22:00 to 07:00, across midnight."""

    class Meta:
        model = QuietHours

    user = factory.SubFactory(UserFactory)
    start = datetime.time(22, 0)
    end = datetime.time(7, 0)
