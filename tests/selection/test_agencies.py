"""Selection belongs to one agency (issue 23, step 3c): a candidacy is the nominee's agency's,
another agency's employee is refused with a clear reason, and an agency's rounds, candidacies
and their records are read only inside it, the chain-of-command tick included."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from peersupport.accounts.agencies import announce_agency
from peersupport.accounts.models import Agency, Role
from peersupport.selection import selectors as sel_selectors
from peersupport.selection import services as sel
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
from peersupport.tenancy import using_agency

from ..factories import (
    EmployeeFactory,
    NominationRoundFactory,
    UnitFactory,
    UserFactory,
    grant,
)
from .helpers import at_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_b(dept, settings):
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    b = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    announce_agency(b)
    return b


def _b_person(b, email, *, role=None):
    with using_agency(b):
        user = UserFactory(email=email)
        EmployeeFactory(user=user, unit=UnitFactory(name=f"B unit {email}"), work_email=email)
        if role:
            grant(user, role)
    return user


def test_a_candidacy_is_the_nominees_agencys(dept, agency_b):
    nominee = _b_person(agency_b, "b-nominee@b.example.org")
    colleague = _b_person(agency_b, "b-colleague@b.example.org")
    with using_agency(agency_b):
        nomination = sel.nomination_create(actor=colleague, nominee=nominee, reason="Trusted.")
        assert nomination.candidacy.agency_id == agency_b.pk
        assert Candidacy.objects.filter(nominee=nominee).exists()
    assert not Candidacy.objects.filter(nominee=nominee).exists()  # not A's


def test_another_agencys_employee_is_refused_with_a_clear_reason(dept, agency_b):
    nominee = _b_person(agency_b, "b-nominee@b.example.org")
    with pytest.raises(ValidationError, match="colleagues of another agency are nominated"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="Trusted.")
    # Nothing written, in either agency.
    assert not Candidacy.everywhere.filter(nominee=nominee).exists()
    assert not Nomination.everywhere.filter(nominator=dept.users["employee"]).exists()
    # The reverse: A's employee nominated from B.
    b_colleague = _b_person(agency_b, "b-colleague@b.example.org")
    with (
        using_agency(agency_b),
        pytest.raises(ValidationError, match="colleagues of another agency"),
    ):
        sel.nomination_create(actor=b_colleague, nominee=dept.users["supporter"], reason="Trusted.")
    assert not Candidacy.everywhere.exists()


def test_an_agencys_records_are_read_only_inside_it(dept, agency_b):
    a_candidacy = at_stage(dept, Candidacy.Stage.CHIEF_REVIEW)
    NominationRoundFactory(name="A round", created_by=dept.users["coordinator"])
    every = (
        Candidacy,
        Nomination,
        Interview,
        Panelist,
        PanelScore,
        ChainStep,
        CandidacyEvent,
        NominationRound,
    )
    assert all(model.objects.exists() for model in every)
    with using_agency(agency_b):
        assert not any(model.objects.exists() for model in every)
        assert sel_selectors.board()[0] and not any(
            column.candidacies for column in sel_selectors.board()[0]
        )
        assert sel_selectors.nomination_rounds() == []
        coordinator = _b_person(agency_b, "b-coordinator@b.example.org", role=Role.COORDINATOR)
        with pytest.raises(Exception, match="No such candidacy"):
            sel_selectors.candidacy_for_staff(coordinator, a_candidacy.pk)
    # The related managers of a row read inside another agency are scoped too.
    with using_agency(agency_b):
        assert not a_candidacy.interviews.exists()
        assert not a_candidacy.nominations.exists()


def test_the_chain_tick_raises_only_its_agencys_waits(dept, agency_b, settings):
    stalled = at_stage(dept, Candidacy.Stage.CHAIN)
    Candidacy.objects.filter(pk=stalled.pk).update(
        stage_changed_at=timezone.now() - timedelta(days=settings.SELECTION_CHAIN_STALL_DAYS + 1)
    )
    with using_agency(agency_b):
        assert sel.chain_stalls_raise() == 0
        assert sel_selectors.chain_waiting() == []
    assert sel.chain_stalls_raise() == 1
