"""Every factory in tests/factories.py builds a valid row with its defaults, twice without a
clash, and writes nothing but rows: no audit event, no role, no notification."""

from decimal import Decimal

import pytest
from django.utils import timezone

from peersupport.accounts.models import RoleGrant
from peersupport.audit.models import AuditEvent
from peersupport.notifications.models import Notification
from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import ChainStep
from peersupport.support.models import SupportRequest

from . import factories as f

FACTORIES = [
    # accounts
    f.UserFactory,
    f.EmailAddressFactory,
    f.UnitFactory,
    f.LanguageFactory,
    f.EmployeeFactory,
    f.FamilyMemberFactory,
    # roster
    f.SupporterProfileFactory,
    f.SupporterAreaFactory,
    f.OnCallShiftFactory,
    # selection
    f.NominationRoundFactory,
    f.CandidacyFactory,
    f.NominationFactory,
    f.InterviewFactory,
    f.PanelistFactory,
    f.PanelScoreFactory,
    f.ChainStepFactory,
    f.CandidacyEventFactory,
    # committee
    f.CommitteeSeatFactory,
    f.ElectionFactory,
    f.CandidateFactory,
    f.MembershipFactory,
    # governance
    f.ExceptionCategoryFactory,
    # resources
    f.ResourceFactory,
    # training
    f.CourseFactory,
    f.TrainingSessionFactory,
    f.SessionDayFactory,
    f.EnrolmentFactory,
    f.AttendanceFactory,
    # support
    f.SupportRequestFactory,
    f.OfferFactory,
    f.MessageFactory,
    f.ContactFactory,
    f.FollowUpFactory,
    f.DebriefRequestFactory,
    # outreach
    f.PlanStepFactory,
    f.OutreachFactory,
    f.GroupSessionFactory,
    # notifications
    f.AlertPreferenceFactory,
    f.QuietHoursFactory,
]


def _unique_values(obj) -> dict:
    return {
        field.name: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.unique and not field.primary_key and getattr(obj, field.attname) is not None
    }


def test_every_factory_is_listed():
    declared = {
        name
        for name, value in vars(f).items()
        if isinstance(value, type) and issubclass(value, f.factory.django.DjangoModelFactory)
    }
    assert declared == {factory.__name__ for factory in FACTORIES}


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_defaults_build_valid_rows_that_do_not_collide(factory, db):
    first, second = factory(), factory()
    model = factory._meta.model
    assert first.pk is not None and second.pk is not None and first.pk != second.pk
    for obj in (first, second):
        saved = model.objects.get(pk=obj.pk)  # read back: encrypted fields decrypt
        saved.full_clean()  # fields, validators, unique fields and every constraint
    ones, twos = _unique_values(first), _unique_values(second)
    assert not {name for name in ones if ones[name] == twos.get(name)}


def test_factories_write_rows_only(db):
    for factory in FACTORIES:
        factory()
    assert not AuditEvent.objects.exists()
    assert not RoleGrant.objects.exists()
    assert not Notification.objects.exists()


def test_datetimes_are_aware(db):
    shift = f.OnCallShiftFactory()
    election = f.ElectionFactory()
    for value in (shift.start, shift.end, election.voting_open_at, election.voting_close_at):
        assert timezone.is_aware(value)
    assert election.phase() == "nominations"


def test_language_is_looked_up_by_code(db):
    spanish = f.LanguageFactory(code="es", name="Spanish")
    assert f.LanguageFactory(code="es", name="Spanish") == spanish


def test_an_inactive_profile_gets_a_reason(dept):
    profile = f.SupporterProfileFactory(user=dept.users["supporter"], status="inactive")
    assert profile.inactive_reason == SupporterProfile.InactiveReason.LEAVE
    profile.full_clean()
    assert f.SupporterProfileFactory(status="retired").inactive_reason == ""


def test_a_session_comes_with_its_day_unless_told_not_to(db):
    session = f.TrainingSessionFactory(day__hours=Decimal(6))
    day = session.days.get()
    assert (day.starts_at, day.ends_at, day.hours) == (session.starts_at, session.ends_at, 6)
    assert not f.TrainingSessionFactory(day=None).days.exists()
    attendance = f.AttendanceFactory(day=day)
    assert attendance.hours == 6


def test_selection_rows_hang_together(dept):
    score = f.PanelScoreFactory(panelist=dept.users["panelist"])
    assert score.scores == {"Listening": 4, "Judgement": 4} and score.total == 8
    step = f.ChainStepFactory(
        supervisor=dept.users["supervisor"].employee, outcome=ChainStep.Outcome.ENDORSED
    )
    assert step.unit == dept.squad and step.comment
    step.full_clean()


def test_appointed_seat_and_support_rows(dept):
    f.CommitteeSeatFactory(appointed=True).full_clean()
    supporter = dept.users["supporter"]
    followup = f.FollowUpFactory(supporter=supporter)
    assert followup.contact.supporter == supporter and followup.contact.follow_up_planned
    resource = f.ResourceFactory()
    contact = f.ContactFactory(supporter=supporter, referrals=[resource])
    assert list(contact.referrals.all()) == [resource]
    offer = f.OfferFactory(supporter=supporter)
    assert offer.request.status == SupportRequest.Status.OFFERED
    message = f.MessageFactory(body="Still there?")
    assert SupportRequest.objects.get(pk=message.request_id).messages.get().body == "Still there?"
