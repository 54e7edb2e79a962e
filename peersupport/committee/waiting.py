"""Election work waiting for a person, on the home page (web.waiting)."""

from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.web.waiting import Waiting

from .models import Candidate, Voter
from .selectors import may_vote, open_election


def for_person(user) -> list[Waiting]:
    election = open_election()
    if election is None:
        return []
    phase = election.phase()
    page = reverse("committee:election", args=[election.pk])
    found = []
    if Role.PEER_SUPPORTER in user.roles:
        invited = Candidate.objects.filter(
            election=election, user=user, status=Candidate.Status.NOMINATED
        ).exists()
        if invited and phase in ("upcoming", "nominations"):
            found.append(
                Waiting(
                    "Your nomination to the advisory committee waits for your answer",
                    page,
                    election.nominations_open_at,
                )
            )
        if (
            phase == "voting"
            and may_vote(user)
            and not Voter.objects.filter(election=election, user=user).exists()
        ):
            found.append(
                Waiting(
                    "Your vote in the committee election (until "
                    f"{timezone.localtime(election.voting_close_at):%d %b %H:%M})",
                    page,
                    election.voting_open_at,
                )
            )
    if Role.COORDINATOR in user.roles and phase == "counting":
        found.append(
            Waiting(
                "The committee election's votes wait to be counted",
                reverse("committee:count", args=[election.pk]),
                election.voting_close_at,
            )
        )
    return found
