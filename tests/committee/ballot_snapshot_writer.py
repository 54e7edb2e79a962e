"""Run by tests/committee/test_ballot_snapshots.py in its own process against a real SQLite file.

An election through the services: opened (the count code kept in this process's memory, as the
coordinator keeps it on paper), candidates standing, then one vote at a time; after every vote
the database file and its write-ahead log are copied as they are on disk, as a database
administrator or a backup would copy them. Then the count with the code. Prints, as JSON, what
the test needs to judge the copies: who voted in which order and how (the truth the copies must
not reveal), the count code, and the published totals.
"""

import json
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
django.setup()

from peersupport.accounts.agencies import work_for_default_agency  # noqa: E402

work_for_default_agency()  # the rows this process makes are the default agency's (issue 23)

import time_machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from peersupport.accounts.models import Role  # noqa: E402
from peersupport.committee import services  # noqa: E402
from peersupport.committee.models import Candidate  # noqa: E402
from tests.factories import UserFactory, grant  # noqa: E402
from tests.matrix.committee import active_supporter, seats  # noqa: E402

VOTERS = 6


def copy_files(out: Path, name: str) -> None:
    """The database and its -wal as they are on disk now (no checkpoint: what a copy gets)."""
    path = Path(connection.settings_dict["NAME"])
    shutil.copyfile(path, out / f"{name}.sqlite3")
    wal = Path(f"{path}-wal")
    if wal.exists():
        shutil.copyfile(wal, out / f"{name}.sqlite3-wal")


def main(out: Path) -> None:
    call_command("migrate", verbosity=0)
    seats()
    coordinator = UserFactory(email="coordinator@pd.example.org")
    grant(coordinator, Role.COORDINATOR)
    coordinator.forget_roles()
    people = [active_supporter(UserFactory(email=f"v{n}@pd.example.org")) for n in range(VOTERS)]
    now = timezone.now()
    election = services.election_open(
        actor=coordinator,
        seats=2,
        nominations_open_at=now,
        nominations_close_at=now + timedelta(days=7),
        voting_open_at=now + timedelta(days=7),
        voting_close_at=now + timedelta(days=14),
    )
    count_code = election.count_code
    candidates = [services.candidate_stand(actor=p, election=election) for p in people[:3]]
    ids = [c.pk for c in candidates]
    # Every voter's choice differs from the one before, so each ballot would be recognisable.
    choices = [[ids[0]], [ids[1]], [ids[2]], [ids[0], ids[1]], [ids[1], ids[2]], [ids[0], ids[2]]]
    votes = []
    with time_machine.travel(election.voting_open_at + timedelta(hours=1), tick=False):
        copy_files(out, "snapshot-0")
        for n, (voter, chosen) in enumerate(zip(people, choices, strict=True), start=1):
            services.ballot_cast(actor=voter, election=election, choices=chosen)
            copy_files(out, f"snapshot-{n}")
            votes.append({"user_id": voter.pk, "choices": sorted(chosen)})
    with time_machine.travel(election.voting_close_at + timedelta(minutes=1), tick=False):
        services.election_count(actor=coordinator, election=election, count_code=count_code)
    copy_files(out, "counted")
    totals = dict(
        Candidate.objects.filter(election=election).values_list("pk", "votes").order_by("pk")
    )
    print(
        json.dumps(
            {
                "election_id": election.pk,
                "votes": votes,
                "count_code": count_code,
                "totals": {str(k): v for k, v in totals.items()},
                "snapshots": len(votes),
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
