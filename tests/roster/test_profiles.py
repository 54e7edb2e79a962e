"""Supporter profiles: lifecycle, the availability rule, photos, on-call shifts, the supporter's
page, and the demo profiles. The directory and matching are in test_directory.py."""

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
from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster import selectors, services
from peersupport.roster.models import (
    OnCallShift,
    SupporterProfile,
)

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, grant
from .helpers import A, Availability, Gender, Status, make_supporter

pytestmark = pytest.mark.django_db


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


# Moves only the selection pipeline makes (tests/selection/): refused here.
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
    # The reason is encrypted in the profile, never copied into the (clear) audit log.
    expected = {"from": before, "to": after} | (
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
