"""What the committee's tests share: the windows of an election opened now, moving the clock
into its voting window or past its close, and the count with the code the opening gave."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from peersupport.committee import services


def windows(now=None):
    now = now or timezone.now()
    return {
        "nominations_open_at": now,
        "nominations_close_at": now + timedelta(days=7),
        "voting_open_at": now + timedelta(days=7),
        "voting_close_at": now + timedelta(days=14),
    }


def open_election(dept, seats_to_fill=2, **kwargs):
    return services.election_open(
        actor=dept.users["coordinator"], seats=seats_to_fill, **(windows() | kwargs)
    )


def voting(election):
    return time_machine.travel(election.voting_open_at + timedelta(hours=1), tick=False)


def closed(election):
    return time_machine.travel(election.voting_close_at + timedelta(minutes=1), tick=False)


def standing(election, people):
    return [services.candidate_stand(actor=p, election=election) for p in people]


def count(election, dept):
    """Voting closed, the coordinator counts with the count code shown at the opening."""
    with closed(election):
        return services.election_count(
            actor=dept.users["coordinator"], election=election, count_code=election.count_code
        )
