"""A second agency sees none of the first's selection and committee (issue 23, step 3c part 2).

Agencies A (the ``dept`` personas) and B (``agency_b``) each get nomination rounds, candidacies
with nominations, an interview with its panel and scores, a request with the chain of command,
committee seats with members, and an open election with candidates, every text a person typed
carrying the agency's canary ("Aardvark" in A, "Bilby" in B). Each side's people (coordinator,
BHS manager, Chief, panelist, supervisor, supporter, employee) read every page of these apps
they may reach: none of the other side's canaries, and their own where they should be (the
pages do show such text). The other side's object URLs answer 404, GET and POST, and change
nothing.
"""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import SIGNED_IN
from peersupport.committee.models import Candidate, CommitteeSeat, Election, Membership
from peersupport.selection.models import Candidacy, Interview, Nomination, NominationRound
from peersupport.tenancy import using_agency

from ..conftest import signed_in_client
from ..factories import (
    CandidacyFactory,
    CandidateFactory,
    ChainStepFactory,
    CommitteeSeatFactory,
    ElectionFactory,
    EmployeeFactory,
    InterviewFactory,
    MembershipFactory,
    NominationFactory,
    NominationRoundFactory,
    PanelistFactory,
    PanelScoreFactory,
    UserFactory,
    enable_totp,
)
from ..matrix.committee import MATRIX as COMMITTEE_MATRIX
from ..matrix.committee import active_supporter
from ..matrix.selection import MATRIX as SELECTION_MATRIX

pytestmark = pytest.mark.django_db

# The pages of the two apps, and what each side's people hold.
MATRIX = {
    **{n: m for n, m in SELECTION_MATRIX.items() if n.startswith("selection:")},
    **COMMITTEE_MATRIX,
}
PEOPLE = {
    "coordinator": Role.COORDINATOR,
    "bhs": Role.BHS_MANAGER,
    "chief": Role.CHIEF,
    "panelist": Role.PANELIST,
    "supervisor": Role.SUPERVISOR,
    "supporter": Role.PEER_SUPPORTER,
    "employee": Role.EMPLOYEE,
}


def _user(name: str, email: str, unit, **employee):
    user = UserFactory(email=email, display_name=name)
    EmployeeFactory(
        user=user,
        unit=unit,
        work_email=email,
        first_name=name.split()[0],
        last_name=name.split()[-1],
        **employee,
    )
    return user


def _seed(canary: str, people: dict, unit) -> dict:
    """The agency's selection and committee records (inside it), every typed text carrying
    ``canary``; returns the ids of its objects by URL keyword."""
    lower = canary.lower()
    coordinator = people["coordinator"]
    NominationRoundFactory(name=f"{canary} spring round", created_by=coordinator)
    # An interview held yesterday, half scored.
    nominee = _user(f"Nina {canary}nominee", f"{lower}-nominee@{lower}.example.org", unit)
    interviewing = CandidacyFactory(
        nominee=nominee, stage=Candidacy.Stage.INTERVIEW, motivation=f"{canary} motivation"
    )
    NominationFactory(
        candidacy=interviewing, nominator=people["employee"], reason=f"{canary} nomination reason"
    )
    interview = InterviewFactory(
        candidacy=interviewing,
        at=timezone.now() - timedelta(days=1),
        place=f"{canary} interview room",
        scheduled_by=coordinator,
    )
    # The agency's panelist has yet to score; the other panelist has.
    PanelistFactory(interview=interview, user=people["panelist"])
    scorer = _user(f"Pat {canary}scorer", f"{lower}-scorer@{lower}.example.org", unit)
    PanelistFactory(interview=interview, user=scorer)
    PanelScoreFactory(interview=interview, panelist=scorer, notes=f"{canary} notes")
    # A request waiting for the supervisor at the first level of the chain of command.
    chained = CandidacyFactory(
        nominee=_user(f"Chris {canary}chained", f"{lower}-chained@{lower}.example.org", unit),
        stage=Candidacy.Stage.CHAIN,
    )
    NominationFactory(candidacy=chained, nominator=coordinator, reason=f"{canary} second reason")
    ChainStepFactory(candidacy=chained, supervisor=people["supervisor"].employee, unit=unit)
    # The committee: a seat of the agency's own, its member, an election with a candidate.
    seat = CommitteeSeatFactory(name=f"{canary} Lodge seat", appointed=True)
    seat.appointed_by = f"{canary} Lodge"
    seat.save(update_fields=["appointed_by"])
    member = _user(f"Max {canary}member", f"{lower}-member@{lower}.example.org", unit)
    membership = MembershipFactory(seat=seat, user=member)
    election = ElectionFactory(opened_by=coordinator)
    candidate = CandidateFactory(
        election=election, user=people["supporter"], statement=f"{canary} manifesto"
    )
    nominated = CandidateFactory(
        election=election,
        user=active_supporter(
            _user(f"Nell {canary}nominated", f"{lower}-nominated@{lower}.example.org", unit)
        ),
        status=Candidate.Status.NOMINATED,
        nominated_by=people["supporter"],
    )
    return {
        "candidacy_id": [interviewing.pk, chained.pk],
        "seat_id": [seat.pk],
        "membership_id": [membership.pk],
        "election_id": [election.pk],
        "candidate_id": [candidate.pk, nominated.pk],
        "member": member,
        "nominated": nominated,
    }


@pytest.fixture
def a_side(dept):
    people = {
        "coordinator": dept.users["coordinator"],
        "bhs": dept.users["bhs_manager"],
        "chief": dept.users["chief"],
        "panelist": dept.users["panelist"],
        "supervisor": dept.users["supervisor"],
        "supporter": active_supporter(dept.users["supporter"]),
        "employee": dept.users["employee"],
    }
    ids = _seed("Aardvark", people, dept.squad)
    return people, ids


@pytest.fixture
def b_side(agency_b):
    b = agency_b
    b.users["coordinator"] = b.person(Role.COORDINATOR, "b-coordinator@b.example.org")
    b.users["chief"] = b.person(Role.CHIEF, "b-chief@b.example.org")
    b.users["panelist"] = b.person(Role.PANELIST, "b-panelist@b.example.org")
    b.users["supporter"] = b.person(Role.PEER_SUPPORTER, "b-supporter@b.example.org")
    with using_agency(b.agency):
        b.users["employee"] = _user("Emma Quoll", "b-employee@b.example.org", b.hq)
        supervisor = _user("Sam Numbat", "b-supervisor@b.example.org", b.hq)
        b.hq.supervisor = supervisor.employee
        b.hq.save(update_fields=["supervisor"])
        b.users["supervisor"] = supervisor
        active_supporter(b.users["supporter"])
        people = {name: b.users[name] for name in PEOPLE}
        ids = _seed("Bilby", people, b.hq)
    enable_totp(supervisor)
    return people, ids


def _reachable_pages(role) -> list[str]:
    """The pages without an object in their URL that ``role`` may GET."""
    return [
        name
        for name, methods in MATRIX.items()
        if "GET" in methods
        and (SIGNED_IN in methods["GET"] or role in methods["GET"])
        and _takes_no_object(name)
    ]


def _takes_no_object(name) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _object_urls(ids: dict) -> list[tuple[str, str]]:
    """``(url name, url)`` of every page of these apps that names an object of ``ids``."""
    urls = []
    for name in MATRIX:
        if _takes_no_object(name):
            continue
        for keyword in ("candidacy_id", "seat_id", "membership_id", "election_id", "candidate_id"):
            try:
                reverse(name, kwargs={keyword: 1})
            except NoReverseMatch:
                continue  # the page names another kind of object
            urls += [(name, reverse(name, kwargs={keyword: pk})) for pk in ids[keyword]]
    return urls


def _someone_allowed(methods, method, people) -> str | None:
    allowed = methods.get(method, frozenset())
    for name, role in PEOPLE.items():
        if SIGNED_IN in allowed or role in allowed:
            return name
    return None


def _crawl(people, *, mine: str, theirs: str) -> dict[str, str]:
    """Every page each person may read; none shows ``theirs``. The pages read, by who."""
    read = {}
    for name, user in people.items():
        user.forget_roles()
        client = signed_in_client(user)
        for page in ["web:home", *_reachable_pages(PEOPLE[name])]:
            response = client.get(reverse(page), follow=True)
            assert response.status_code in (200, 403), (name, page, response.status_code)
            body = response.content.decode()
            assert theirs not in body, (name, page)
            read[f"{name} {page}"] = body
    assert any(mine in body for body in read.values())
    return read


def _state():
    """What a POST refused with 404 must leave unchanged, in every agency."""
    return (
        sorted(Candidacy.everywhere.values_list("pk", "stage", "chain_position")),
        Interview.everywhere.exclude(decision="").count(),
        Nomination.everywhere.count(),
        NominationRound.everywhere.count(),
        sorted(CommitteeSeat.everywhere.values_list("pk", "active")),
        sorted(Membership.everywhere.values_list("pk", "ended_on")),
        sorted(Election.everywhere.values_list("pk", "status")),
        sorted(Candidate.everywhere.values_list("pk", "status")),
    )


def _opened_by_the_other_side(people, their_ids):
    before = _state()
    for name, url in _object_urls(their_ids):
        methods = MATRIX[name]
        for method in ("GET", "POST"):
            who = _someone_allowed(methods, method, people)
            if who is None:
                continue
            client = signed_in_client(people[who])
            response = client.get(url) if method == "GET" else client.post(url, {"x": "1"})
            assert response.status_code == 404, (who, method, name, url, response.status_code)
    assert _state() == before


def test_b_sees_none_of_as_selection_and_committee(a_side, b_side):
    a_people, a_ids = a_side
    b_people, b_ids = b_side
    b_pages = _crawl(b_people, mine="Bilby", theirs="Aardvark")
    a_pages = _crawl(a_people, mine="Aardvark", theirs="Bilby")
    # The search works: each side's staff read their own candidacies, seats and candidates.
    for pages, canary in ((b_pages, "Bilby"), (a_pages, "Aardvark")):
        for key in (
            "coordinator selection:board",
            "coordinator selection:rounds",
            "coordinator committee:manage",
            "employee committee:current",
            "panelist selection:tasks",
            "supervisor selection:tasks",
        ):
            assert canary in pages[key], key


def test_the_nomination_pickers_find_only_their_agencys_colleagues(a_side, b_side):
    """The nominate page's person picker searches colleagues: the other agency's are not
    found, by name, work e-mail or employee number, nor chosen by id."""
    a_people, a_ids = a_side
    b_people, b_ids = b_side
    url = reverse("selection:nominate")
    for people, mine, theirs, their_member in (
        (b_people, "Bilby", "Aardvark", a_ids["member"]),
        (a_people, "Aardvark", "Bilby", b_ids["member"]),
    ):
        client = signed_in_client(people["employee"])
        found = client.post(url, {"nominee": mine, "nominee_search": "1"}).content.decode()
        assert f"{mine}member" in found  # the search works
        for query in (theirs, their_member.email, their_member.employee.employee_number):
            body = client.post(url, {"nominee": query, "nominee_search": "1"}).content.decode()
            assert f"{theirs}member" not in body, query
            assert "Nobody matches" in body, query
        chosen = client.post(
            url, {"nominee": "x", "nominee_id": str(their_member.pk), "reason": "Trusted."}
        )
        assert f"{theirs}member" not in chosen.content.decode()
        assert not Nomination.everywhere.filter(candidacy__nominee=their_member).exists()


def test_the_other_agencys_object_urls_are_not_found(a_side, b_side):
    a_people, a_ids = a_side
    b_people, b_ids = b_side
    _opened_by_the_other_side(b_people, a_ids)
    _opened_by_the_other_side(a_people, b_ids)
    # Control: each side's own object pages are there for them.
    for people, ids, canary in ((b_people, b_ids, "Bilby"), (a_people, a_ids, "Aardvark")):
        coordinator = signed_in_client(people["coordinator"])
        for pk in ids["candidacy_id"]:
            page = coordinator.get(reverse("selection:candidacy", args=[pk]))
            assert page.status_code == 200
            assert canary in page.content.decode()
        election = signed_in_client(people["employee"]).get(
            reverse("committee:election", args=[ids["election_id"][0]])
        )
        assert election.status_code == 200
        assert f"{canary} manifesto" in election.content.decode()
