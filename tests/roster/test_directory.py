"""The supporter directory and matching: who is listed, search and filters, hiding the
viewer's chain of command, the directory pages, the htmx partial and their query counts, and
the supporters a request is matched with, best first."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Employee, Language, RoleGrant
from peersupport.roster import selectors, services
from peersupport.roster.models import AREA_LABELS, OnCallShift, SupporterArea

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from .helpers import A, Availability, Gender, Status, make_supporter

pytestmark = pytest.mark.django_db


def names(profiles) -> list[str]:
    return [p.user.employee.last_name for p in profiles]


# --- Directory ------------------------------------------------------------------------------


def test_the_directory_lists_every_unit(dept, roster):
    # The employee works in Day Patrol; the others are in Records and the jail.
    listed = selectors.directory(viewer=dept.users["employee"])
    # Available now first (only Garcia), then by name.
    assert names(listed) == ["Garcia", "Lindqvist", "Okafor"]
    assert [p.available_now for p in listed] == [True, False, False]


def test_directory_search_and_filters(dept, roster, spanish):
    viewer = dept.users["employee"]

    def find(**filters):
        return names(selectors.directory(viewer=viewer, **filters))

    assert find(query="okaf") == ["Okafor"]
    assert find(query="jail") == ["Lindqvist"]  # unit name
    assert find(query="ana garcia") == ["Garcia"]
    assert find(language=spanish) == ["Garcia"]
    assert find(language=spanish.pk) == ["Garcia"]
    assert sorted(find(area=A.GRIEF_LOSS)) == ["Garcia", "Lindqvist"]
    assert find(employee_type=Employee.Type.CIVILIAN) == ["Okafor"]
    assert find(employee_type=Employee.Type.CORRECTIONS) == ["Lindqvist"]
    assert find(available_now=True) == ["Garcia"]
    assert find(area=A.GRIEF_LOSS, employee_type=Employee.Type.SWORN) == ["Garcia"]


def test_gender_is_filterable_only_when_shown(dept, roster):
    viewer = dept.users["employee"]
    assert names(selectors.directory(viewer=viewer, gender=Gender.WOMAN)) == ["Garcia"]
    # Okafor is a man but chose not to show it: he is not found by it, and the page hides it.
    assert names(selectors.directory(viewer=viewer, gender=Gender.MAN)) == []
    client = signed_in_client(viewer)
    page = client.get(reverse("roster:directory")).content.decode()
    assert "Gender:</span> Woman" in page
    assert "Man" not in page.split('id="results"')[1]
    detail = client.get(reverse("roster:detail", args=[roster["okafor"].pk])).content.decode()
    assert "<dt>Gender</dt>" not in detail
    detail = client.get(reverse("roster:detail", args=[roster["garcia"].pk])).content.decode()
    assert "<dt>Gender</dt><dd>Woman</dd>" in detail


def test_hide_my_chain_leaves_out_the_viewers_supervisors(dept, roster):
    viewer = dept.users["employee"]
    # The viewer's sergeant (supervises Day Patrol) and captain (North Precinct) are supporters.
    sergeant = make_supporter(dept.squad, user=dept.users["supervisor"])
    captain_user = UserFactory()
    EmployeeFactory(
        user=captain_user, unit=dept.precinct, last_name="Captain", work_email=captain_user.email
    )
    dept.precinct.supervisor = captain_user.employee
    dept.precinct.save(update_fields=["supervisor"])
    captain = make_supporter(dept.precinct, user=captain_user)
    everyone = selectors.directory(viewer=viewer)
    assert sergeant in everyone and captain in everyone
    hidden = selectors.directory(viewer=viewer, hide_my_chain=True)
    assert sergeant not in hidden and captain not in hidden
    assert {"Garcia", "Okafor", "Lindqvist"} <= set(names(hidden))
    # Another employee's chain is theirs: the sergeant, looking for support, still sees the
    # captain above them but not themselves as their own supervisor.
    from_sergeant = selectors.directory(viewer=dept.users["supervisor"], hide_my_chain=True)
    assert captain not in from_sergeant and sergeant in from_sergeant
    # Through the page.
    client = signed_in_client(viewer)
    page = client.get(reverse("roster:directory"), {"hide_my_chain": "on"}).content.decode()
    assert "Captain" not in page and "Garcia" in page


@pytest.mark.parametrize(
    "status", [Status.CANDIDATE, Status.APPOINTED, Status.INACTIVE, Status.RETIRED, Status.REMOVED]
)
def test_only_active_supporters_are_ever_listed(status, dept, client_for):
    profile = make_supporter(dept.bureau, last="Hidden", status=status)
    assert profile not in selectors.directory(viewer=dept.users["employee"])
    assert profile not in selectors.matching_supporters(available_now=False)
    client = client_for("employee")
    assert "Hidden" not in client.get(reverse("roster:directory")).content.decode()
    assert client.get(reverse("roster:detail", args=[profile.pk])).status_code == 404
    assert client.get(reverse("roster:photo", args=[profile.pk])).status_code == 404


def test_unlisted_for_other_reasons(dept):
    """An active profile is still hidden when the role is revoked, the account disabled or the
    employee record no longer active."""
    revoked = make_supporter(dept.squad, last="Revoked")
    RoleGrant.objects.filter(user=revoked.user).update(revoked_at=timezone.now())
    disabled = make_supporter(dept.squad, last="Disabled")
    disabled.user.is_active = False
    disabled.user.save(update_fields=["is_active"])
    on_leave = make_supporter(dept.squad, last="Leave")
    Employee.objects.filter(user=on_leave.user).update(status=Employee.Status.ON_LEAVE)
    make_supporter(dept.squad, last="Kept")
    assert names(selectors.directory(viewer=dept.users["employee"])) == ["Kept"]
    assert names(selectors.matching_supporters(available_now=False)) == ["Kept"]


def test_directory_page(dept, roster, client_for):
    resp = client_for("employee").get(reverse("roster:directory"))
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "in every unit" in page
    assert "Hide supporters in my own chain of command" in page
    assert "3 supporters in all units." in page
    # No photo: initials instead, hidden from screen readers (the name follows).
    initials = '<span class="supporter-photo supporter-photo--initials" aria-hidden="true">'
    assert initials + "AG</span>" in page
    filtered = client_for("employee").get(
        reverse("roster:directory"), {"area": A.FINANCES, "available_now": ""}
    )
    assert "1 supporter matches your search." in filtered.content.decode()


def test_each_card_shows_its_own_languages_and_areas_in_order(dept, roster, spanish):
    """The labels of a page are read together: each goes to its own card, languages by name,
    areas in the order of their codes, and a supporter with none says so."""
    arabic = Language.objects.create(code="ar", name="Arabic")
    roster["garcia"].user.employee.languages.add(arabic)
    listed = {
        p.user.employee.last_name: p for p in selectors.directory(viewer=dept.users["employee"])
    }
    garcia, okafor = listed["Garcia"], listed["Okafor"]
    assert garcia.language_names == ["Arabic", "Spanish"]
    assert garcia.area_labels == [
        AREA_LABELS[a] for a in sorted([A.GRIEF_LOSS, A.CRITICAL_INCIDENTS])
    ]
    assert okafor.language_names == [] and okafor.area_labels == [AREA_LABELS[A.FINANCES]]


def test_directory_htmx_returns_the_results_only(dept, roster, client_for):
    resp = client_for("employee").get(
        reverse("roster:directory"), {"q": "garcia"}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<html" not in body and "Garcia" in body and "Okafor" not in body
    # The count is announced through the persistent live region outside the results.
    assert 'hx-swap-oob="innerHTML:#result-count"' in body
    assert "1 supporter matches your search." in body


def test_directory_refuses_a_bad_filter(dept, roster, client_for):
    resp = client_for("employee").get(reverse("roster:directory"), {"area": "astrology"})
    assert resp.status_code == 400
    assert "Select a valid choice" in resp.content.decode()


def test_directory_queries_do_not_grow_with_the_roster(dept, spanish, client_for):
    viewer = dept.users["employee"]
    client = client_for("employee")
    url = reverse("roster:directory")

    def add(count, start):
        for i in range(start, start + count):
            profile = make_supporter(
                dept.squad if i % 2 else dept.precinct,
                first=f"First{i}",
                last=f"Last{i:03d}",
                languages=[spanish],
                areas=[A.GRIEF_LOSS, A.FINANCES],
                availability=Availability.BUSY,
            )
            OnCallShift.objects.create(
                profile=profile,
                start=timezone.now() - timedelta(hours=1),
                end=timezone.now() + timedelta(hours=1),
            )

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(url, params)
        assert resp.status_code == 200
        with CaptureQueriesContext(connection) as selector_ctx:
            selectors.directory(viewer=viewer, hide_my_chain=True)
        return len(ctx.captured_queries), len(selector_ctx.captured_queries)

    add(5, 0)
    small = [count(), count(hide_my_chain="on", language=spanish.pk, available_now="on")]
    add(55, 5)
    large = [count(), count(hide_my_chain="on", language=spanish.pk, available_now="on")]
    print("directory queries at 5 and 60 supporters:", small, large)
    assert small == large


def test_directory_page_reads_only_the_supporters_it_shows(dept, client_for):
    """The page asks the database for one page of profiles (LIMIT), not the whole roster: a
    program of 400 supporters made every view of the directory read all 400 (bench/pages.py)."""
    from peersupport.roster.views import PAGE_SIZE

    for i in range(PAGE_SIZE + 5):
        make_supporter(dept.squad, first=f"First{i}", last=f"Last{i:03d}")
    listed = selectors.directory(viewer=dept.users["employee"])
    assert len(listed) == PAGE_SIZE + 5
    assert [p.user.employee.last_name for p in listed[:3]] == ["Last000", "Last001", "Last002"]
    assert all(hasattr(p, "available_now") for p in listed[PAGE_SIZE:])
    assert listed[0] in listed

    with CaptureQueriesContext(connection) as ctx:
        resp = client_for("employee").get(reverse("roster:directory"))
    assert resp.status_code == 200
    profile_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "roster_supporterprofile"."id"')
    ]
    assert len(profile_reads) == 1 and f"LIMIT {PAGE_SIZE}" in profile_reads[0]
    assert resp.content.decode().count("Last0") >= PAGE_SIZE
    resp = client_for("employee").get(reverse("roster:directory"), {"page": 2})
    assert "Last034" in resp.content.decode() and "Last000" not in resp.content.decode()


# --- Matching -------------------------------------------------------------------------------


def test_matching_supporters_best_first(dept, roster, spanish):
    # Lindqvist is off: not offered by default; all of them when asked for everyone.
    assert names(selectors.matching_supporters()) == ["Garcia"]
    assert names(selectors.matching_supporters(available_now=False)) == [
        "Garcia",
        "Lindqvist",
        "Okafor",
    ]
    assert names(selectors.matching_supporters(languages=[spanish])) == ["Garcia"]
    assert names(selectors.matching_supporters(areas=[A.FINANCES], available_now=False)) == [
        "Okafor"
    ]
    assert names(
        selectors.matching_supporters(employee_type=Employee.Type.CORRECTIONS, available_now=False)
    ) == ["Lindqvist"]
    garcia = roster["garcia"]
    assert names(selectors.matching_supporters(exclude_user_ids=[garcia.user_id])) == []
    # More of the wanted areas covered comes first among equals.
    okafor = roster["okafor"]
    services.supporter_set_availability(
        actor=okafor.user, profile=okafor, availability=Availability.AVAILABLE
    )
    SupporterArea.objects.create(profile=okafor, area=A.GRIEF_LOSS)
    SupporterArea.objects.create(profile=okafor, area=A.CRITICAL_INCIDENTS)
    assert names(
        selectors.matching_supporters(areas=[A.GRIEF_LOSS, A.CRITICAL_INCIDENTS, A.FINANCES])
    ) == ["Okafor", "Garcia"]


def _four_rounds(*, languages, areas, limit, **kwargs):
    """What ``suggested_supporters`` replaced: ``matching_supporters`` asked for both, the
    areas, the languages, then anyone, until ``limit`` were found."""
    found = []
    for langs, wanted in ((languages, areas), ([], areas), (languages, []), ([], [])):
        for profile in selectors.matching_supporters(
            languages=langs, areas=wanted, available_now=False, **kwargs
        ):
            if profile not in found:
                found.append(profile)
        if len(found) >= limit:
            break
    return found[:limit]


def test_suggested_supporters_rank_as_the_four_rounds_did(dept, roster, spanish):
    okafor, lindqvist = roster["okafor"], roster["lindqvist"]
    SupporterArea.objects.create(profile=okafor, area=A.CRITICAL_INCIDENTS)
    services.supporter_set_availability(
        actor=lindqvist.user, profile=lindqvist, availability=Availability.AVAILABLE
    )
    make_supporter(dept.bureau, last="Aalto", languages=[spanish])
    make_supporter(dept.bureau, last="Zeller", areas=[A.GRIEF_LOSS, A.CRITICAL_INCIDENTS])
    asks = [
        {"languages": [spanish], "areas": [A.GRIEF_LOSS, A.CRITICAL_INCIDENTS]},
        {"languages": [spanish], "areas": [A.CRITICAL_INCIDENTS]},
        {"languages": [], "areas": [A.GRIEF_LOSS]},
        {"languages": [spanish], "areas": []},
        {"languages": [], "areas": []},
    ]
    for ask in asks:
        for limit in (1, 2, 3, 6):
            expected = _four_rounds(limit=limit, **ask)
            got = selectors.suggested_supporters(limit=limit, **ask)
            assert names(got) == names(expected), (ask, limit)
            assert [p.available_now for p in got] == [p.available_now for p in expected]
    garcia = roster["garcia"]
    assert garcia not in selectors.suggested_supporters(exclude_user_ids=[garcia.user_id], limit=6)


def test_suggested_supporters_is_one_query_of_limit_rows(dept, roster, spanish):
    for i in range(12):
        make_supporter(dept.bureau, last=f"More{i:02d}", areas=[A.GRIEF_LOSS])
    with CaptureQueriesContext(connection) as ctx:
        got = selectors.suggested_supporters(languages=[spanish], areas=[A.GRIEF_LOSS], limit=6)
    assert len(got) == 6 and len(ctx.captured_queries) == 1
    assert names(got)[0] == "Garcia"  # speaks Spanish and knows grief: first


def test_matching_leaves_out_the_requesters_chain(dept):
    sergeant = make_supporter(dept.squad, user=dept.users["supervisor"])
    other = make_supporter(dept.bureau, last="Other")
    requester = dept.users["employee"]
    assert sergeant in selectors.matching_supporters()
    assert selectors.matching_supporters(exclude_chain_of=requester) == [other]
    assert selectors.matching_supporters(exclude_chain_of=requester.employee) == [other]


def test_matching_uses_the_load_hook(dept, monkeypatch):
    a = make_supporter(dept.bureau, last="Alpha")
    b = make_supporter(dept.bureau, last="Bravo")
    assert selectors.matching_supporters() == [a, b]
    monkeypatch.setattr(selectors, "_load_key", lambda p: 5 if p.pk == a.pk else 1)
    assert selectors.matching_supporters() == [b, a]
