"""The committee's seats, appointments and terms: the default seats, the coordinator adding and
retiring seats, an appointment granting the committee-member role for its term, a resignation
revoking it, and the pages that show and fill the seats."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee import services
from peersupport.committee.models import CommitteeSeat, Membership

pytestmark = pytest.mark.django_db


def test_default_seats_three_elected_seven_appointed(committee_seats):
    kinds = [s.kind for s in committee_seats]
    assert kinds.count(CommitteeSeat.Kind.ELECTED) == 3
    assert kinds.count(CommitteeSeat.Kind.APPOINTED) == 7
    names = {s.appointed_by for s in committee_seats}
    assert {"Fraternal Order of Police", "National Black Police Association"} <= names


def test_coordinator_adds_and_retires_a_seat(dept, committee_seats):
    coordinator = dept.users["coordinator"]
    seat = services.seat_create(
        actor=coordinator,
        kind=CommitteeSeat.Kind.EX_OFFICIO,
        name="Chief's delegate",
        appointed_by="Office of the Chief",
        term_months=12,
    )
    with pytest.raises(ValidationError, match="already a seat"):
        services.seat_create(
            actor=coordinator, kind="elected", name="chief's delegate", term_months=12
        )
    with pytest.raises(ValidationError, match="program coordinator"):
        services.seat_create(
            actor=dept.users["bhs_manager"], kind="elected", name="X", term_months=12
        )
    services.seat_retire(actor=coordinator, seat=seat)
    assert not CommitteeSeat.objects.get(pk=seat.pk).active
    assert AuditEvent.objects.filter(action=AuditAction.COMMITTEE_SEAT_RETIRED).count() == 1


def test_appointment_grants_the_role_for_the_term_and_a_resignation_ends_it(dept, committee_seats):
    coordinator, person = dept.users["coordinator"], dept.users["employee"]
    seat = next(s for s in committee_seats if s.appointed_by == "Fraternal Order of Police")
    today = timezone.localdate()
    membership = services.member_appoint(
        actor=coordinator, seat=seat, user=person, term_start=today
    )
    assert membership.term_end.year == today.year + 2  # the seat's 24 months
    grant = membership.role_grant
    assert grant.role == Role.COMMITTEE_MEMBER and grant.expires_at is not None
    person.forget_roles()
    assert person.has_role(Role.COMMITTEE_MEMBER)
    with pytest.raises(ValidationError, match="holds this seat"):
        services.member_appoint(
            actor=coordinator, seat=seat, user=dept.users["chief"], term_start=today
        )
    elected_seat = next(s for s in committee_seats if s.is_elected)
    with pytest.raises(ValidationError, match="election"):
        services.member_appoint(
            actor=coordinator, seat=elected_seat, user=dept.users["chief"], term_start=today
        )
    services.member_end(
        actor=coordinator, membership=membership, reason="resigned", note="Moved away"
    )
    membership.refresh_from_db()
    assert membership.end_reason == "resigned" and not membership.is_current()
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
    person.forget_roles()
    assert not person.has_role(Role.COMMITTEE_MEMBER)
    # The seat is vacant again, and its history kept.
    services.member_appoint(
        actor=coordinator, seat=seat, user=dept.users["chief"], term_start=today
    )
    assert seat.memberships.count() == 2


def test_committee_page_shows_members_and_vacancies(dept, client_for, committee_seats):
    seat = committee_seats[3]
    services.member_appoint(
        actor=dept.users["coordinator"],
        seat=seat,
        user=dept.users["committee_member"],
        term_start=timezone.localdate(),
    )
    page = client_for("employee").get(reverse("committee:current")).content.decode()
    assert "Committee_Member" in page or str(dept.users["committee_member"]) in page
    assert page.count("Vacant") == len(committee_seats) - 1


def test_coordinator_appoints_through_the_page(dept, client_for, committee_seats):
    seat = committee_seats[4]
    url = reverse("committee:appoint", args=[seat.pk])
    bad = client_for("coordinator").post(url, {"email": "nobody@example.org", "term_start": ""})
    assert bad.status_code == 400
    assert not Membership.objects.exists()
    resp = client_for("coordinator").post(
        url,
        {"email": dept.users["chief"].email, "term_start": timezone.localdate().isoformat()},
    )
    assert resp.status_code == 302
    assert Membership.objects.get().user == dept.users["chief"]
