"""The supporter directory and availability: lifecycle, availability rule, directory filters,
matching, photos, on-call shifts, the pages and their query counts, and the demo profiles."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from demo.roster import load_demo
from peersupport.accounts.models import Employee, Role, RoleGrant, Unit
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster import selectors, services
from peersupport.roster.models import (
    ExperienceArea,
    OnCallShift,
    SupporterArea,
    SupporterProfile,
)

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, LanguageFactory, UnitFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

Status = SupporterProfile.Status
Availability = SupporterProfile.Availability
Gender = SupporterProfile.Gender
A = ExperienceArea


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos go to a folder of this test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_supporter(
    unit,
    *,
    first="Sam",
    last="Rivera",
    status=Status.ACTIVE,
    availability=Availability.AVAILABLE,
    employee_type=Employee.Type.SWORN,
    languages=(),
    areas=(),
    gender="",
    show_gender=False,
    user=None,
) -> SupporterProfile:
    if user is None:
        user = UserFactory(display_name=f"{first} {last}")
        EmployeeFactory(
            user=user,
            unit=unit,
            first_name=first,
            last_name=last,
            employee_type=employee_type,
            work_email=user.email,
        )
    user.employee.languages.set(languages)
    if not RoleGrant.objects.current().filter(user=user, role=Role.PEER_SUPPORTER).exists():
        grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(
        user=user,
        status=status,
        inactive_reason="leave" if status == Status.INACTIVE else "",
        availability=availability,
        gender=gender,
        show_gender=show_gender,
    )
    SupporterArea.objects.bulk_create(SupporterArea(profile=profile, area=a) for a in areas)
    return profile


def names(profiles) -> list[str]:
    return [p.user.employee.last_name for p in profiles]


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- Lifecycle ------------------------------------------------------------------------------

# Written out here rather than read from services.TRANSITIONS, so that a change to the table
# has to be made twice, on purpose.
ALLOWED = {
    (Status.CANDIDATE, Status.APPOINTED),
    (Status.CANDIDATE, Status.REMOVED),
    (Status.APPOINTED, Status.ACTIVE),
    (Status.APPOINTED, Status.REMOVED),
    (Status.ACTIVE, Status.INACTIVE),
    (Status.ACTIVE, Status.RETIRED),
    (Status.ACTIVE, Status.REMOVED),
    (Status.INACTIVE, Status.ACTIVE),
    (Status.INACTIVE, Status.RETIRED),
    (Status.INACTIVE, Status.REMOVED),
    (Status.RETIRED, Status.CANDIDATE),
}
REFUSED = {(a, b) for a in Status for b in Status if a != b} - ALLOWED


def test_the_transition_table_is_the_one_tested():
    table = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(services.TRANSITIONS) == set(Status)


# Moves only the selection pipeline makes (tests/test_selection.py): refused here.
PIPELINE = {(Status.CANDIDATE, Status.APPOINTED), (Status.RETIRED, Status.CANDIDATE)}


def _why(after) -> dict:
    return {"inactive_reason": "own_request"} if after == Status.INACTIVE else {}


@pytest.mark.parametrize(("before", "after"), sorted(ALLOWED - PIPELINE))
def test_allowed_transition(before, after, dept, monkeypatch):
    monkeypatch.setattr(selectors, "initial_training_complete", lambda user: True)
    profile = make_supporter(dept.squad, status=before)
    coordinator = dept.users["coordinator"]
    services.supporter_set_status(
        actor=coordinator,
        profile=profile,
        status=after,
        reason="decided at the meeting",
        **_why(after),
    )
    profile.refresh_from_db()
    assert profile.status == after
    assert profile.status_reason == "decided at the meeting"
    [event] = events(AuditAction.ROSTER_STATUS_CHANGED)
    assert event.actor_id == coordinator.pk
    assert event.target_id == str(profile.pk)
    expected = {"from": before, "to": after, "why": "decided at the meeting"} | (
        {"kind": "own_request"} if after == Status.INACTIVE else {}
    )
    assert event.details == expected


@pytest.mark.parametrize(("before", "after"), sorted(PIPELINE))
def test_pipeline_transitions_are_refused_outside_selection(before, after, dept):
    profile = make_supporter(dept.squad, status=before)
    with pytest.raises(ValidationError, match="only by"):
        services.supporter_set_status(
            actor=dept.users["chief"], profile=profile, status=after, reason="try"
        )
    profile.refresh_from_db()
    assert profile.status == before
    assert not events(AuditAction.ROSTER_STATUS_CHANGED)


@pytest.mark.parametrize(("before", "after"), sorted(REFUSED))
def test_refused_transition(before, after, dept):
    profile = make_supporter(dept.squad, status=before)
    with pytest.raises(ValidationError, match="cannot go from"):
        services.supporter_set_status(
            actor=dept.users["coordinator"], profile=profile, status=after, reason="try"
        )
    profile.refresh_from_db()
    assert profile.status == before
    assert not events(AuditAction.ROSTER_STATUS_CHANGED)


@pytest.mark.parametrize("status", list(Status))
def test_staying_in_the_same_status_is_refused(status, dept):
    profile = make_supporter(dept.squad, status=status)
    with pytest.raises(ValidationError, match="already"):
        services.supporter_set_status(
            actor=dept.users["bhs_manager"], profile=profile, status=status, reason="again"
        )


@pytest.mark.parametrize("persona", ["coordinator", "bhs_manager", "chief"])
def test_program_leads_change_status(persona, dept):
    profile = make_supporter(dept.squad)
    services.supporter_set_status(
        actor=dept.users[persona],
        profile=profile,
        status=Status.INACTIVE,
        inactive_reason="leave",
        reason="leave",
    )
    profile.refresh_from_db()
    assert profile.status == Status.INACTIVE


def test_the_system_changes_status_without_an_actor(dept):
    profile = make_supporter(dept.squad)
    services.supporter_set_status(
        actor=None,
        profile=profile,
        status=Status.INACTIVE,
        inactive_reason="leave",
        reason="out of compliance",
    )
    [event] = events(AuditAction.ROSTER_STATUS_CHANGED)
    assert event.actor_id is None and event.actor_label == "system"


@pytest.mark.parametrize("persona", ["supporter", "employee", "supervisor", "sysadmin"])
def test_others_cannot_change_status(persona, dept):
    profile = make_supporter(dept.squad)
    with pytest.raises(ValidationError, match="Only the coordinator"):
        services.supporter_set_status(
            actor=dept.users[persona],
            profile=profile,
            status=Status.INACTIVE,
            inactive_reason="leave",
            reason="x",
        )
    profile.refresh_from_db()
    assert profile.status == Status.ACTIVE


def test_status_change_needs_a_reason(dept):
    profile = make_supporter(dept.squad)
    with pytest.raises(ValidationError, match="Say why"):
        services.supporter_set_status(
            actor=dept.users["coordinator"],
            profile=profile,
            status=Status.INACTIVE,
            inactive_reason="leave",
            reason=" ",
        )


def test_leaving_active_switches_availability_off(dept):
    profile = make_supporter(dept.squad, availability=Availability.AVAILABLE)
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=profile,
        status=Status.INACTIVE,
        inactive_reason="leave",
        reason="leave",
    )
    services.supporter_set_status(
        actor=dept.users["coordinator"], profile=profile, status=Status.ACTIVE, reason="back"
    )
    profile.refresh_from_db()
    assert profile.availability == Availability.OFF
    assert not selectors.is_available_now(profile)


def test_a_role_holder_sets_up_their_own_active_profile(dept):
    user = dept.users["supporter"]
    profile = services.supporter_profile_create(
        actor=user, user=user, status=Status.ACTIVE, reason="set up"
    )
    assert profile.status == Status.ACTIVE
    with pytest.raises(ValidationError, match="already has"):
        services.supporter_profile_create(
            actor=user, user=user, status=Status.ACTIVE, reason="again"
        )
    [event] = events(AuditAction.ROSTER_STATUS_CHANGED)
    assert event.details["to"] == Status.ACTIVE and event.details["from"] is None


def test_only_a_role_holder_starts_active_and_only_leads_open_candidates(dept):
    employee = dept.users["employee"]
    with pytest.raises(ValidationError, match="peer supporter role"):
        services.supporter_profile_create(
            actor=employee, user=employee, status=Status.ACTIVE, reason="me"
        )
    with pytest.raises(ValidationError, match="Only the coordinator"):
        services.supporter_profile_create(
            actor=employee, user=employee, status=Status.CANDIDATE, reason="me"
        )
    profile = services.supporter_profile_create(
        actor=dept.users["coordinator"], user=employee, reason="nominated"
    )
    assert profile.status == Status.CANDIDATE
    # A candidate is not in the directory.
    assert profile not in selectors.directory(viewer=dept.users["chief"])


def test_a_supporter_needs_an_employee_record(dept):
    with pytest.raises(ValidationError, match="employee record"):
        services.supporter_profile_create(
            actor=dept.users["coordinator"], user=dept.users["sysadmin"], reason="no"
        )


# --- Availability ---------------------------------------------------------------------------

NOON = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)

# (status, availability, shift covering noon?, available at noon?)
RULE = [
    (Status.ACTIVE, Availability.AVAILABLE, False, True),
    (Status.ACTIVE, Availability.AVAILABLE, True, True),
    (Status.ACTIVE, Availability.BUSY, False, False),
    (Status.ACTIVE, Availability.BUSY, True, True),
    (Status.ACTIVE, Availability.OFF, False, False),
    (Status.ACTIVE, Availability.OFF, True, False),
    (Status.INACTIVE, Availability.AVAILABLE, True, False),
    (Status.APPOINTED, Availability.BUSY, True, False),
]


@pytest.mark.parametrize(("status", "availability", "on_call", "expected"), RULE)
def test_the_availability_rule(status, availability, on_call, expected, dept):
    with time_machine.travel(NOON, tick=False):
        profile = make_supporter(dept.squad, status=status, availability=availability)
        if on_call:
            OnCallShift.objects.create(
                profile=profile, start=NOON - timedelta(hours=2), end=NOON + timedelta(hours=6)
            )
        else:  # a shift that does not cover now changes nothing
            OnCallShift.objects.create(
                profile=profile, start=NOON + timedelta(hours=1), end=NOON + timedelta(hours=9)
            )
        assert selectors.is_available_now(profile) is expected
        assert (
            selectors.availability_rule(status=status, availability=availability, on_call=on_call)
            is expected
        )
        # The directory's SQL says the same.
        listed = selectors.directory(viewer=dept.users["employee"], available_now=True)
        assert (profile in listed) is expected
        everyone = selectors.directory(viewer=dept.users["employee"])
        if status == Status.ACTIVE:
            [row] = [p for p in everyone if p.pk == profile.pk]
            assert row.available_now is expected
            assert selectors.is_available_now(row) is expected


def test_a_shift_covers_from_its_start_up_to_its_end(dept):
    profile = make_supporter(dept.squad, availability=Availability.BUSY)
    start, end = NOON, NOON + timedelta(hours=8)
    OnCallShift.objects.create(profile=profile, start=start, end=end)
    moments = {
        start - timedelta(seconds=1): False,
        start: True,
        end - timedelta(seconds=1): True,
        end: False,
    }
    for moment, expected in moments.items():
        assert selectors.is_available_now(profile, now=moment) is expected, moment
        with time_machine.travel(moment, tick=False):
            listed = selectors.directory(viewer=dept.users["employee"], available_now=True)
            assert (profile in listed) is expected, moment


def test_supporter_sets_availability_with_audit(dept):
    user = dept.users["supporter"]
    profile = make_supporter(dept.squad, user=user, availability=Availability.OFF)
    services.supporter_set_availability(
        actor=user, profile=profile, availability=Availability.AVAILABLE
    )
    profile.refresh_from_db()
    assert profile.availability == Availability.AVAILABLE
    [event] = events(AuditAction.ROSTER_AVAILABILITY_CHANGED)
    assert event.details == {"from": "off", "to": "available"}
    # Nobody else sets it.
    with pytest.raises(ValidationError):
        services.supporter_set_availability(
            actor=dept.users["coordinator"], profile=profile, availability=Availability.OFF
        )


# --- Directory ------------------------------------------------------------------------------


@pytest.fixture
def spanish():
    return LanguageFactory(code="es", name="Spanish")


@pytest.fixture
def roster(dept, spanish):
    """Supporters across the department, in and out of the employee persona's work group."""
    jail = UnitFactory(name="County Jail", kind=Unit.Kind.BUREAU, parent=dept.hq)
    records = UnitFactory(name="Records Section", kind=Unit.Kind.PRECINCT, parent=dept.hq)
    return {
        "garcia": make_supporter(
            dept.squad,
            first="Ana",
            last="Garcia",
            languages=[spanish],
            areas=[A.GRIEF_LOSS, A.CRITICAL_INCIDENTS],
            gender=Gender.WOMAN,
            show_gender=True,
        ),
        "okafor": make_supporter(
            records,
            first="Ben",
            last="Okafor",
            employee_type=Employee.Type.CIVILIAN,
            areas=[A.FINANCES],
            gender=Gender.MAN,
            show_gender=False,
            availability=Availability.BUSY,
        ),
        "lindqvist": make_supporter(
            jail,
            first="Cara",
            last="Lindqvist",
            employee_type=Employee.Type.CORRECTIONS,
            areas=[A.SUBSTANCE_USE, A.GRIEF_LOSS],
            availability=Availability.OFF,
        ),
    }


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


# --- Profile and photo ----------------------------------------------------------------------


def png(width=2000, height=1500) -> bytes:
    out = BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0)}  # GPS latitude
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


@pytest.fixture
def supporter(dept):
    return make_supporter(dept.squad, user=dept.users["supporter"])


def post_profile(client, **fields):
    data = {"bio": "Twenty years in patrol.", "areas": [A.GRIEF_LOSS], "gender": ""} | fields
    return client.post(reverse("roster:edit_profile"), data)


def test_photo_is_resized_and_reencoded(supporter, client_for, media):
    client = client_for("supporter")
    upload = SimpleUploadedFile("Jane Doe at home.png", png(), content_type="image/png")
    resp = post_profile(client, photo=upload)
    assert resp.status_code == 302
    supporter.refresh_from_db()
    name = supporter.photo.name
    assert name.startswith("supporters/") and name.endswith(".jpg")
    assert "Jane" not in name  # the uploaded file's name is not kept
    path = media / name
    assert path.is_file()
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (400, 300)  # fits 400x400, proportions kept
        assert stored.mode == "RGB"
    [event] = events(AuditAction.ROSTER_PROFILE_UPDATED)
    assert set(event.details["fields"]) == {"bio", "photo", "areas"}


def test_photo_metadata_is_stripped(supporter):
    upload = SimpleUploadedFile("phone.jpg", jpeg_with_gps(), content_type="image/jpeg")
    with Image.open(BytesIO(upload.read())) as original:
        assert original.getexif()  # the test photo does carry EXIF
    data = services.photo_to_jpeg(upload)
    with Image.open(BytesIO(data)) as cleaned:
        assert cleaned.size == (400, 300)
        assert not cleaned.getexif()
        assert "exif" not in cleaned.info and "comment" not in cleaned.info
    assert b"PhoneMaker" not in data and b"taken at home" not in data


def test_a_file_that_is_not_an_image_is_refused(supporter, client_for, media):
    client = client_for("supporter")
    fake = SimpleUploadedFile("photo.png", b"this is not a picture", content_type="image/png")
    resp = post_profile(client, photo=fake, bio="Changed bio")
    assert resp.status_code == 400
    assert "Upload a valid image" in resp.content.decode()
    supporter.refresh_from_db()
    assert not supporter.photo and supporter.bio == ""
    assert not (media / "supporters").exists() or not any((media / "supporters").iterdir())


def test_an_unsupported_picture_format_is_refused(supporter):
    out = BytesIO()
    Image.new("RGB", (50, 50)).save(out, "BMP")
    upload = SimpleUploadedFile("photo.bmp", out.getvalue(), content_type="image/bmp")
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        services.photo_to_jpeg(upload)


def test_replacing_and_removing_the_photo_deletes_the_old_file(
    supporter, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for("supporter")
    with django_capture_on_commit_callbacks(execute=True):
        post_profile(client, photo=SimpleUploadedFile("a.png", png(800, 800)))
    supporter.refresh_from_db()
    first = media / supporter.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        post_profile(client, photo=SimpleUploadedFile("b.png", png(600, 900)))
    supporter.refresh_from_db()
    second = media / supporter.photo.name
    assert not first.exists() and second.exists()
    with Image.open(second) as stored:
        assert stored.size == (267, 400)
    with django_capture_on_commit_callbacks(execute=True):
        post_profile(client, remove_photo="on")
    supporter.refresh_from_db()
    assert not supporter.photo and not second.exists()


def test_photo_view_is_for_signed_in_employees_only(supporter, client_for, client, dept):
    post_profile(client_for("supporter"), photo=SimpleUploadedFile("a.png", png(500, 500)))
    supporter.refresh_from_db()
    url = reverse("roster:photo", args=[supporter.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert client_for("sysadmin").get(url).status_code == 403  # not a department member
    resp = client_for("employee").get(url)
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/jpeg"
    assert "no-store" in resp["Cache-Control"]
    assert b"".join(resp.streaming_content)[:2] == b"\xff\xd8"
    # There is no public URL for it.
    with pytest.raises(NotImplementedError):
        supporter.photo.url  # noqa: B018
    assert client.get("/media/" + supporter.photo.name).status_code in (302, 404)


def test_photo_view_404_without_a_photo(supporter, client_for):
    resp = client_for("employee").get(reverse("roster:photo", args=[supporter.pk]))
    assert resp.status_code == 404


def test_profile_form_rules(supporter, client_for):
    client = client_for("supporter")
    resp = post_profile(client, show_gender="on", gender="")
    assert resp.status_code == 400
    assert "Choose your gender to show it" in resp.content.decode()
    resp = post_profile(client, areas=["astrology"])
    assert resp.status_code == 400
    resp = post_profile(
        client, gender=Gender.NON_BINARY, show_gender="on", areas=[A.RETIREMENT, A.FINANCES]
    )
    assert resp.status_code == 302
    supporter.refresh_from_db()
    assert supporter.shown_gender == "Non-binary"
    assert sorted(a.area for a in supporter.areas.all()) == [A.FINANCES, A.RETIREMENT]


def test_only_the_supporter_edits_their_profile(supporter, dept):
    with pytest.raises(ValidationError, match="Only the supporter"):
        services.supporter_update_profile(
            actor=dept.users["coordinator"],
            profile=supporter,
            bio="x",
            areas=[],
            gender="",
            show_gender=False,
        )


# --- On-call shifts -------------------------------------------------------------------------

LOCAL = "%Y-%m-%dT%H:%M"


def local(moment) -> str:
    return timezone.localtime(moment).strftime(LOCAL)


def add_shift(client, start, end):
    return client.post(reverse("roster:add_shift"), {"start": local(start), "end": local(end)})


def test_on_call_shift_added_and_removed(supporter, client_for):
    client = client_for("supporter")
    start = timezone.now() + timedelta(days=2)
    resp = add_shift(client, start, start + timedelta(hours=8))
    assert resp.status_code == 302
    [shift] = OnCallShift.objects.filter(profile=supporter)
    # A shift may start exactly when the previous one ends.
    assert add_shift(client, shift.end, shift.end + timedelta(hours=4)).status_code == 302
    page = client.get(reverse("roster:mine")).content.decode()
    assert 'Remove<span class="visually-hidden"> the shift from' in page
    confirm = client.get(reverse("roster:remove_shift", args=[shift.pk]))
    assert confirm.status_code == 200 and "Remove this shift" in confirm.content.decode()
    resp = client.post(reverse("roster:remove_shift", args=[shift.pk]))
    assert resp.status_code == 302
    assert OnCallShift.objects.filter(profile=supporter).count() == 1
    actions = [e.details.get("on_call") for e in events(AuditAction.ROSTER_AVAILABILITY_CHANGED)]
    assert actions == ["added", "added", "removed"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (timedelta(days=1, hours=8), timedelta(days=1), "The shift must end after it starts."),
        (timedelta(days=1), timedelta(days=1), "The shift must end after it starts."),
        (-timedelta(hours=2), timedelta(hours=6), "The shift cannot start in the past."),
        (timedelta(days=59), timedelta(days=61), "Plan on-call shifts at most 60 days ahead."),
        (timedelta(days=3, hours=4), timedelta(days=3, hours=10), "This overlaps your on-call"),
        (timedelta(days=3, hours=-1), timedelta(days=3, hours=1), "This overlaps your on-call"),
        (timedelta(days=3, hours=1), timedelta(days=3, hours=2), "This overlaps your on-call"),
    ],
)
def test_bad_on_call_shifts_are_refused(start, end, message, supporter, client_for):
    client = client_for("supporter")
    now = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    existing = OnCallShift.objects.create(
        profile=supporter, start=now + timedelta(days=3), end=now + timedelta(days=3, hours=8)
    )
    resp = add_shift(client, now + start, now + end)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert list(OnCallShift.objects.filter(profile=supporter)) == [existing]


def test_a_shift_cannot_be_empty_or_garbled(supporter, client_for):
    resp = client_for("supporter").post(reverse("roster:add_shift"), {"start": "soon", "end": ""})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "Enter a valid date/time." in body and "This field is required." in body
    assert not OnCallShift.objects.exists()


def test_one_supporter_cannot_remove_anothers_shift(supporter, dept):
    other = make_supporter(dept.bureau, last="Other")
    start = timezone.now() + timedelta(days=1)
    shift = OnCallShift.objects.create(profile=other, start=start, end=start + timedelta(hours=8))
    client = signed_in_client(dept.users["supporter"])
    assert client.get(reverse("roster:remove_shift", args=[shift.pk])).status_code == 404
    assert client.post(reverse("roster:remove_shift", args=[shift.pk])).status_code == 404
    assert OnCallShift.objects.filter(pk=shift.pk).exists()


def test_shift_service_rules(supporter, dept):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError, match="Only the supporter"):
        services.oncall_shift_add(
            actor=dept.users["coordinator"],
            profile=supporter,
            start=start,
            end=start + timedelta(hours=1),
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        services.oncall_shift_add(
            actor=supporter.user,
            profile=supporter,
            start=start.replace(tzinfo=None),
            end=start.replace(tzinfo=None) + timedelta(hours=1),
        )


# --- The supporter's page -------------------------------------------------------------------


def test_a_supporter_without_a_profile_sets_one_up(dept, client_for):
    client = client_for("supporter")
    page = client.get(reverse("roster:mine")).content.decode()
    assert "Set up my directory entry" in page
    # Nothing else can be done before it exists.
    resp = client.post(reverse("roster:set_availability"), {"availability": "available"})
    assert resp.status_code == 302 and not SupporterProfile.objects.exists()
    assert client.post(reverse("roster:setup")).status_code == 302
    profile = SupporterProfile.objects.get(user=dept.users["supporter"])
    assert profile.status == Status.ACTIVE and profile.availability == Availability.OFF
    assert profile in selectors.directory(viewer=dept.users["employee"])


def test_availability_one_click_with_htmx(supporter, client_for):
    client = client_for("supporter")
    resp = client.post(
        reverse("roster:set_availability"),
        {"availability": "busy"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<html" not in body
    assert 'value="busy" class="toggle toggle--busy" aria-pressed="true"' in body
    assert 'role="status"' in body
    supporter.refresh_from_db()
    assert supporter.availability == Availability.BUSY
    # Without htmx: back to the page with a message.
    resp = client.post(reverse("roster:set_availability"), {"availability": "off"}, follow=True)
    assert "You are now shown as Off." in resp.content.decode()
    assert client.post(reverse("roster:set_availability"), {"availability": "x"}).status_code == 400


def test_detail_page(dept, roster, client_for):
    garcia = roster["garcia"]
    start = timezone.now() + timedelta(days=1)
    OnCallShift.objects.create(profile=garcia, start=start, end=start + timedelta(hours=8))
    resp = client_for("chief").get(reverse("roster:detail", args=[garcia.pk]))
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "<h1>Ana Garcia</h1>" in page
    assert "Spanish" in page and "Grief and loss" in page and "Available now" in page
    assert timezone.localtime(start).strftime("%H:%M") in page


def test_own_detail_page_previews_an_unlisted_profile(dept, client_for):
    profile = make_supporter(dept.squad, user=dept.users["supporter"], status=Status.INACTIVE)
    resp = client_for("supporter").get(reverse("roster:detail", args=[profile.pk]))
    assert resp.status_code == 200
    assert "It is not in the directory now" in resp.content.decode()
    assert client_for("employee").get(reverse("roster:detail", args=[profile.pk])).status_code == (
        404
    )


# --- Demo -----------------------------------------------------------------------------------


def test_demo_profiles(dept):
    supporters = [dept.users["supporter"]]
    for i in range(29):
        user = UserFactory(email=f"demo{i}@pd.example.org")
        EmployeeFactory(user=user, unit=dept.squad, work_email=user.email, first_name="Mary")
        grant(user, Role.PEER_SUPPORTER)
        supporters.append(user)
    with CaptureQueriesContext(connection) as ctx:
        summary = load_demo(seed=7)
    assert "30 created" in summary
    assert len(ctx.captured_queries) < 20  # bulk, not per supporter
    profiles = list(
        SupporterProfile.objects.select_related("user__employee").prefetch_related("areas")
    )
    assert len(profiles) == 30
    assert all(p.status == Status.ACTIVE for p in profiles)
    assert all(2 <= len(p.areas.all()) <= 4 and p.bio for p in profiles)
    available = sum(p.availability == Availability.AVAILABLE for p in profiles)
    assert 5 <= available <= 15
    assert any(p.show_gender for p in profiles)
    # The 29 Marys show "woman" when they show a gender (the persona's name is random).
    marys = [p for p in profiles if p.user.employee.first_name == "Mary"]
    assert any(p.show_gender for p in marys)
    assert all(p.gender == Gender.WOMAN for p in marys if p.show_gender)
    assert all(p.gender == "" for p in marys if not p.show_gender)
    assert OnCallShift.objects.exists()
    now = timezone.now()
    for shift in OnCallShift.objects.all():
        assert shift.end > now and shift.end <= now + timedelta(days=15)
    # Idempotent.
    assert "already" in load_demo(seed=7)
    assert SupporterProfile.objects.count() == 30
    # Deterministic: the same seed gives the same supporters.
    first = [(p.user_id, p.availability, sorted(a.area for a in p.areas.all())) for p in profiles]
    SupporterProfile.objects.all().delete()
    load_demo(seed=7)
    again = [
        (p.user_id, p.availability, sorted(a.area for a in p.areas.all()))
        for p in SupporterProfile.objects.prefetch_related("areas").order_by("user_id")
    ]
    assert sorted(first) == again
