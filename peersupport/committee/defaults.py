"""The advisory committee's seats on a fresh install, from PROGRAM.md: three elected by the
peer supporters and one appointed by each of seven organisations. A department changes them on
the committee page (the coordinator adds and retires seats); nothing here runs again once any
seat exists in the agency. A new agency gets them when it is made (``seed_new_agency``, connected
to ``accounts.agencies.agency_created`` in apps.py).

``install_seats`` takes the model class: the demo and the tests (whose transactional flushes
empty the tables) pass the real one. The data migration that installs the seats on a fresh
database (governance/migrations/0005_committee_seats.py) keeps its own frozen copy of them.
"""

from peersupport.tenancy import current_agency_id

ELECTED_SEATS = 3
APPOINTING_ORGANISATIONS = (
    "Advocacy service",
    "Peer Support Program",
    "BHS manager",
    "Personnel / Human Resources",
    "National Black Police Association",
    "Fraternal Order of Police",
    "Police Civilian Association",
)


def install_seats(*, CommitteeSeat, term_months: int = 24) -> int:  # noqa: N803
    """Add the default seats to the current agency's committee unless it has any. Returns how
    many were added."""
    if CommitteeSeat.objects.exists():  # the current agency's seats
        return 0
    # Named here: bulk_create does not go through save(), which would fill it.
    agency_id = current_agency_id()
    seats = [
        CommitteeSeat(
            agency_id=agency_id,
            kind="elected",
            name=f"Elected by the peer supporters ({n})",
            term_months=term_months,
            order=10 * n,
        )
        for n in range(1, ELECTED_SEATS + 1)
    ]
    seats += [
        CommitteeSeat(
            agency_id=agency_id,
            kind="appointed",
            name=organisation,
            appointed_by=organisation,
            term_months=term_months,
            order=10 * (ELECTED_SEATS + n),
        )
        for n, organisation in enumerate(APPOINTING_ORGANISATIONS, start=1)
    ]
    CommitteeSeat.objects.bulk_create(seats)
    return len(seats)


def seed_new_agency(sender, *, agency, **kwargs) -> None:
    """A new agency's committee starts with the default seats (``agency_created`` is sent inside
    ``tenancy.using_agency(agency)``), with the install's term length."""
    from django.conf import settings

    from .models import CommitteeSeat

    install_seats(CommitteeSeat=CommitteeSeat, term_months=settings.COMMITTEE_TERM_MONTHS)
