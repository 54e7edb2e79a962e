"""The supporter lifecycle after appointment: initial training, inactive with a reason, retiring
or removal, re-offering open requests, voting."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster import selectors, services
from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import (
    Candidacy,
    ChainStep,
)

from ..factories import FollowUpFactory, MessageFactory
from .helpers import (
    appointed,
    credit_initial_training,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome


def test_active_only_once_initial_training_is_complete(dept):
    profile = appointed(dept)
    coordinator = dept.users["coordinator"]
    with pytest.raises(ValidationError, match="not completed initial training"):
        services.supporter_set_status(
            actor=coordinator, profile=profile, status="active", reason="Trained."
        )
    credit_initial_training(profile.user, hours=8)
    with pytest.raises(ValidationError, match="not completed initial training"):
        services.supporter_set_status(
            actor=coordinator, profile=profile, status="active", reason="Trained."
        )
    profile.refresh_from_db()
    assert profile.status == "appointed"
    credit_initial_training(profile.user, hours=32)
    services.supporter_set_status(
        actor=coordinator, profile=profile, status="active", reason="Trained."
    )
    profile.refresh_from_db()
    assert profile.status == "active"


@pytest.mark.parametrize("kind", list(SupporterProfile.InactiveReason))
def test_inactive_with_a_reason_and_an_optional_end_date(kind, dept):
    profile = appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    until = timezone.localdate() + timedelta(days=60)
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=profile,
        status="inactive",
        reason="As discussed.",
        inactive_reason=kind,
        inactive_until=until,
    )
    profile.refresh_from_db()
    assert (profile.inactive_reason, profile.inactive_until) == (kind, until)
    services.supporter_set_status(
        actor=dept.users["coordinator"], profile=profile, status="active", reason="Back."
    )
    profile.refresh_from_db()
    assert (profile.status, profile.inactive_reason, profile.inactive_until) == ("active", "", None)


def test_inactive_needs_a_kind_of_reason_and_a_future_end(dept):
    profile = appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    args = {"actor": dept.users["coordinator"], "profile": profile, "status": "inactive"}
    with pytest.raises(ValidationError, match="Say why"):
        services.supporter_set_status(**args, reason="x")
    with pytest.raises(ValidationError, match="past"):
        services.supporter_set_status(
            **args,
            reason="x",
            inactive_reason="leave",
            inactive_until=timezone.localdate() - timedelta(days=1),
        )
    profile.refresh_from_db()
    assert profile.status == "active"


@pytest.mark.parametrize("end", ["retired", "removed"])
def test_retiring_or_removal_ends_the_role(end, dept):
    profile = appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    services.supporter_set_status(
        actor=dept.users["coordinator"], profile=profile, status=end, reason="Twenty years."
    )
    assert (
        not RoleGrant.objects.current().filter(user=profile.user, role=Role.PEER_SUPPORTER).exists()
    )
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_REVOKED).exists()


def test_open_requests_are_reoffered_when_a_supporter_leaves_active(dept):
    from peersupport.support.models import Offer, SupportRequest

    from ..matrix.support_supporter import held_request, pending_offer
    from ..roster.helpers import make_supporter

    leaving = dept.users["supporter"]
    held = held_request(leaving)
    MessageFactory(request=held, sender="requester", body="Still there?")
    offered = pending_offer(leaving).request
    profile = SupporterProfile.objects.get(user=leaving)
    other = make_supporter(dept.squad, first="Olive", last="Other")
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=profile,
        status="inactive",
        reason="Leave.",
        inactive_reason="leave",
    )
    held.refresh_from_db()
    offered.refresh_from_db()
    assert held.assigned_supporter_id is None
    assert held.messages.count() == 1 and held.identity  # nothing lost
    for req in (held, offered):
        assert req.status == SupportRequest.Status.OFFERED
        assert req.offers.filter(answer=Offer.Answer.PENDING).get().supporter_id == other.user_id
    assert not Offer.objects.filter(supporter=leaving, answer=Offer.Answer.PENDING).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ROSTER_REQUESTS_REOFFERED).exists()


def test_follow_ups_of_a_reoffered_request_go_to_whoever_accepts_it(dept):
    """The supporter who leaves active status had promised a follow-up on a request they held;
    whoever accepts the request next takes it over (and sees it in their inbox), while a
    follow-up already done, or one on a contact without a request, stays where it was."""
    from peersupport.support import services as support
    from peersupport.support.models import Offer

    from ..matrix.support_supporter import open_followup
    from ..roster.helpers import make_supporter

    leaving = dept.users["supporter"]
    followup = open_followup(leaving)
    req = followup.request
    done = FollowUpFactory(
        supporter=leaving, contact=None, request=req, due=followup.due, done_at=timezone.now()
    )
    other = make_supporter(dept.squad, first="Olive", last="Other")
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=SupporterProfile.objects.get(user=leaving),
        status="inactive",
        reason="Leave.",
        inactive_reason="leave",
    )
    followup.refresh_from_db()
    assert followup.supporter_id == leaving.pk  # nobody holds the request yet

    offer = req.offers.get(answer=Offer.Answer.PENDING)
    assert offer.supporter_id == other.user_id
    support.offer_answer(actor=other.user, offer=offer, accept=True)

    followup.refresh_from_db()
    done.refresh_from_db()
    assert followup.supporter_id == other.user_id
    assert done.supporter_id == leaving.pk
    accepted = AuditEvent.objects.filter(action=AuditAction.REQUEST_ACCEPTED).latest("seq")
    assert accepted.details == {"followups_taken_over": 1}


def test_only_active_supporters_vote(dept):
    from ..roster.helpers import make_supporter

    active = make_supporter(dept.squad, first="Ava")
    inactive = make_supporter(dept.squad, first="Ina", last="Active", status="inactive")
    assert selectors.may_vote(active.user)
    assert not selectors.may_vote(inactive.user)


def test_the_roster_page_changes_status(dept, client_for):
    from ..roster.helpers import make_supporter

    profile = make_supporter(dept.squad, first="Rosa")
    coordinator = client_for("coordinator")
    url = reverse("roster:set_status", args=[profile.pk])
    assert coordinator.get(url).status_code == 200
    missing = coordinator.post(url, {"status": "inactive", "reason": "Leave."})
    assert missing.status_code == 400
    done = coordinator.post(
        url, {"status": "inactive", "reason": "Leave.", "inactive_reason": "leave"}
    )
    assert done.status_code == 302
    profile.refresh_from_db()
    assert profile.status == "inactive"
    # Appointing is not offered on the roster: only the Chief's approval appoints.
    assert b'value="appointed"' not in coordinator.get(url).content
