"""Releases of information and the disclosures made under them (PROGRAM.md rule 6).

A release cannot be saved without every element; who may read it and its PDF; revoking and
ending it; the demo releases. Disclosures are in test_disclosures.py, the accountings the
person and the BHS manager read in test_accounting.py, validity and purging in
test_retention.py.
"""

import base64
import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.releases import services, signatures
from peersupport.releases.models import Disclosure, Release, ReleaseStatus
from peersupport.support.models import SupportRequest

from ..conftest import signed_in_client
from ..matrix.releases import signature_png, signed_release
from ..matrix.support_supporter import held_request
from .helpers import ITEMS, PURPOSE, RECIPIENTS, D, detail_url, events, other_supporter

pytestmark = pytest.mark.django_db


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def form_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "person_name": "Pat Quill",
        "disclosers": D.SUPPORTER_AND_BHS,
        "items": "\n".join(ITEMS),
        "recipients": "\n".join(RECIPIENTS),
        "purpose": PURPOSE,
        "expires_on": (today + timedelta(days=90)).isoformat(),
        "expiry_event": "",
        "right_to_revoke_explained": "on",
        "signature_kind": "drawn",
        "signature_drawn": data_url(signature_png()),
        "signed_on": today.isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def create_url(req) -> str:
    return reverse("releases:create", kwargs={"request_id": req.pk})


def pdf_scan() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg_scan() -> bytes:
    image = Image.new("RGB", (400, 200), "white")
    for x in range(50, 350):
        image.putpixel((x, 100 + (x % 20)), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


# --- Recording a release ---------------------------------------------------------------------


def test_supporter_records_a_complete_release(client_for, req, supporter):
    client = client_for("supporter")
    page = client.get(create_url(req))
    assert page.status_code == 200
    # The person's name is copied from the request, an audited reading of who asked.
    assert page.context["form"].initial["person_name"] == "Pat Quill"
    assert AuditEvent.objects.filter(
        action=AuditAction.REQUEST_VIEWED, target_id=str(req.pk)
    ).exists()
    assert b'src="/static/js/signature-pad.js"' in page.content

    resp = client.post(create_url(req), form_data())
    release = Release.objects.get()
    assert resp.status_code == 302 and resp["Location"] == detail_url(release)
    assert release.request == req and release.supporter == supporter
    assert release.person_name == "Pat Quill"
    assert release.items == ITEMS and release.recipients == RECIPIENTS
    assert release.purpose == PURPOSE and release.expiry_event is None
    assert release.signature_kind == "drawn" and release.signature_type == "image/png"
    assert signatures.from_text(release.signature).startswith(signatures.PNG_MAGIC)
    assert release.status == ReleaseStatus.VALID
    (event,) = events(AuditAction.RELEASE_CREATED)
    assert event.actor_id == supporter.pk and event.target_id == str(release.pk)
    assert event.details == {
        "request": req.pk,
        "items": 2,
        "recipients": 2,
        "disclosers": D.SUPPORTER_AND_BHS,
        "expiry": "date",
        "signature": "drawn",
    }


def test_protected_elements_are_encrypted_in_the_database(req, supporter):
    release = signed_release(supporter, req, expiry_event="my return to full duty")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_name, items, recipients, purpose, expiry_event, signature "
            "FROM releases_release WHERE id = %s",
            [release.pk],
        )
        row = cursor.fetchone()
    raw = " ".join(row)
    for plain in ("Pat Quill", "EAP", "Dr. Lee Park", "return-to-duty", "full duty", "iVBOR"):
        assert plain not in raw
    assert all(value.startswith("v2:") for value in row)  # bound to the row too


# Every element the release must have: (what to change in the form, the field marked, message)
MISSING = [
    ({"person_name": ""}, "person_name", "Give the person's full name"),
    ({"items": "  \n "}, "items", "List the specific information"),
    ({"recipients": ""}, "recipients", "Name who may receive it"),
    ({"purpose": ""}, "purpose", "Say what the information is for"),
    ({"disclosers": None}, "disclosers", "Say who may disclose"),
    ({"right_to_revoke_explained": None}, "right_to_revoke_explained", "may revoke this"),
    ({"expires_on": "", "expiry_event": ""}, "expires_on", "expiry date or an expiry event"),
    ({"signature_drawn": ""}, "signature_kind", "The release must be signed"),
    ({"signature_kind": "scan", "signature_drawn": ""}, "signature_scan", "must be signed"),
    ({"signed_on": ""}, "signed_on", "Give the date the person signed"),
]


@pytest.mark.parametrize(("change", "field", "message"), MISSING)
def test_a_release_missing_an_element_is_refused_and_nothing_is_written(
    client_for, req, change, field, message
):
    client = client_for("supporter")
    before = AuditEvent.objects.count()
    resp = client.post(create_url(req), form_data(**change))
    assert resp.status_code == 400
    form = resp.context["form"]
    assert message in " ".join(form.errors[field])
    assert "Nothing was saved." in resp.content.decode()
    assert not Release.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RELEASE_CREATED).exists()
    # Nothing at all was written, not even an audit event.
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("kwarg", "value", "error_key"),
    [
        ("person_name", "  ", "person_name"),
        ("items", [], "items"),
        ("recipients", ["", " "], "recipients"),
        ("purpose", "", "purpose"),
        ("disclosers", "anyone", "disclosers"),
        ("right_to_revoke_explained", False, "right_to_revoke_explained"),
        ("expires_on", None, "expires_on"),
        ("signature", None, "signature"),
        ("signature", b"", "signature"),
        ("signature_kind", "fax", "signature"),
        ("signed_on", None, "signed_on"),
    ],
)
def test_the_service_refuses_each_missing_element(req, supporter, kwarg, value, error_key):
    with pytest.raises(ValidationError) as refused:
        signed_release(supporter, req, **{kwarg: value})
    assert error_key in refused.value.error_dict
    assert not Release.objects.exists()


def test_the_service_lists_every_missing_element_at_once(req, supporter):
    with pytest.raises(ValidationError) as refused:
        services.release_create(
            actor=supporter,
            request=req,
            person_name="",
            disclosers="",
            items=[],
            recipients=[],
            purpose="",
            right_to_revoke_explained=False,
            expires_on=None,
            expiry_event="",
            signature_kind="drawn",
            signature=None,
            signed_on=None,
        )
    assert set(refused.value.error_dict) == set(services.MISSING)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"signed_on": "tomorrow"}, "signed_on", "year-month-day"),
        ({"expires_on": "2020-02-30"}, "expires_on", "year-month-day"),
        ({"items": "everything"}, "items", "not specific"),
        ({"items": "\n".join(f"item {i}" for i in range(25))}, "items", "at most 20"),
        ({"items": "x" * 400}, "items", "under 300 characters"),
        ({"disclosers": "the chief"}, "disclosers", "Select a valid choice"),
        ({"signature_kind": "telepathy"}, "signature_kind", "Select a valid choice"),
        ({"signature_drawn": "data:image/png;base64,%%%"}, "signature_kind", "could not be read"),
        ({"signature_drawn": "javascript:alert(1)"}, "signature_kind", "could not be read"),
        (
            {"signature_drawn": data_url(b"\x89PNG\r\n\x1a\nnot really a png")},
            "signature_kind",
            "could not be read",
        ),
        (
            {"signature_drawn": data_url(signature_png(blank=True))},
            "signature_kind",
            "Nothing was drawn",
        ),
        (
            {"signature_drawn": data_url(signature_png(4000, 100))},
            "signature_kind",
            "could not be read",
        ),
    ],
)
def test_bad_input_is_refused_next_to_its_field_never_a_500(
    client_for, req, change, field, message
):
    resp = client_for("supporter").post(create_url(req), form_data(**change))
    assert resp.status_code == 400
    assert message in " ".join(resp.context["form"].errors[field])
    assert not Release.objects.exists()


def test_dates_are_checked(req, supporter):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="cannot be in the future"):
        signed_release(supporter, req, signed_on=today + timedelta(days=1))
    with pytest.raises(ValidationError, match="already passed"):
        signed_release(
            supporter,
            req,
            signed_on=today - timedelta(days=9),
            expires_on=today - timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="before the date signed"):
        signed_release(
            supporter,
            req,
            signed_on=today - timedelta(days=5),
            expires_on=today - timedelta(days=6),
        )
    assert not Release.objects.exists()
    resp = signed_in_client(supporter).post(
        create_url(req), form_data(signed_on=(today + timedelta(days=2)).isoformat())
    )
    assert resp.status_code == 400
    assert "cannot be in the future" in " ".join(resp.context["form"].errors["signed_on"])


def test_an_expiry_event_alone_is_enough(req, supporter):
    release = signed_release(supporter, req, expires_on=None, expiry_event="my return to duty")
    assert release.expires_on is None and release.expiry_event == "my return to duty"
    assert release.status == ReleaseStatus.VALID


@pytest.mark.parametrize(
    ("name", "content", "content_type", "expected_type"),
    [
        ("signed-form.pdf", pdf_scan(), "application/pdf", "application/pdf"),
        ("signed-form.jpg", jpeg_scan(), "image/jpeg", "image/jpeg"),
        # Judged by content: a real PNG sent with a misleading name and type is a PNG.
        ("signed-form.txt", signature_png(), "text/plain", "image/png"),
    ],
)
def test_an_uploaded_scan_is_kept_encrypted_by_its_content(
    client_for, req, name, content, content_type, expected_type, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    data = form_data(signature_kind="scan", signature_drawn="", signature_scan=upload)
    resp = client_for("supporter").post(create_url(req), data)
    assert resp.status_code == 302, resp.context and resp.context["form"].errors
    release = Release.objects.get()
    assert release.signature_kind == "scan" and release.signature_type == expected_type
    assert signatures.from_text(release.signature) == content
    assert not any(tmp_path.iterdir()), "nothing may be written to MEDIA"
    download = client_for("supporter").get(
        reverse("releases:signature", kwargs={"release_id": release.pk})
    )
    assert download.status_code == 200 and download["Content-Type"] == expected_type
    assert download.content == content and "no-store" in download["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("signed-form.pdf", b"This is not a PDF at all", "not a scan we can keep"),
        ("signed-form.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a scan we can keep"),
        ("signed-form.pdf", b"%PDF-1.4 truncated without an end", "not a scan we can keep"),
        ("signed-form.exe", b"MZ\x90\x00", "not a scan we can keep"),
        ("blank.png", signature_png(blank=True), "blank page"),
    ],
)
def test_a_scan_that_is_not_a_signed_form_is_refused(client_for, req, name, content, message):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    data = form_data(signature_kind="scan", signature_drawn="", signature_scan=upload)
    resp = client_for("supporter").post(create_url(req), data)
    assert resp.status_code == 400
    assert message in " ".join(resp.context["form"].errors["signature_scan"])
    assert not Release.objects.exists()


def test_a_scan_over_the_limit_is_refused_without_reading_it_all(client_for, req):
    big = pdf_scan()[:-7] + b"\x00" * (signatures.SIGNATURE_MAX_BYTES + 1) + b"%%EOF\n"
    upload = SimpleUploadedFile("big.pdf", big, content_type="application/pdf")
    data = form_data(signature_kind="scan", signature_drawn="", signature_scan=upload)
    resp = client_for("supporter").post(create_url(req), data)
    assert resp.status_code == 400
    assert "too large" in " ".join(resp.context["form"].errors["signature_scan"])
    assert not Release.objects.exists()


def test_the_upload_handler_keeps_only_the_expected_file_in_memory():
    handler = signatures.MemoryOnlyUpload(field_name="signature_scan", limit=10)
    with pytest.raises(signatures.SkipFile):
        handler.new_file("something_else", "x.pdf", "application/pdf", None)
    handler.new_file("signature_scan", "x.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"12345", 0) is None
    uploaded = handler.file_complete(5)
    assert uploaded.read() == b"12345"
    with pytest.raises(signatures.SkipFile):  # only one file is taken
        handler.new_file("signature_scan", "y.pdf", "application/pdf", None)
    big = signatures.MemoryOnlyUpload(field_name="signature_scan", limit=10)
    big.new_file("signature_scan", "x.pdf", "application/pdf", None)
    with pytest.raises(signatures.SkipFile):
        big.receive_data_chunk(b"x" * 11, 0)
    assert big.too_large and big.file_complete(11) is None


def test_the_release_form_still_checks_csrf(supporter, req):
    # The view sets its own upload handler (so it is exempt from the middleware's check) and
    # checks CSRF itself: a forged cross-site POST is refused.
    client = Client(enforce_csrf_checks=True)
    client.force_login(supporter, backend="allauth.account.auth_backends.AuthenticationBackend")
    assert client.post(create_url(req), form_data()).status_code == 403
    assert not Release.objects.exists()
    page = client.get(create_url(req))
    token = page.context["csrf_token"]
    assert client.post(create_url(req), form_data(csrfmiddlewaretoken=token)).status_code == 302


def test_only_the_supporter_holding_the_request_records_a_release(dept, req, client_for):
    _, other = other_supporter(dept)
    assert other.get(create_url(req)).status_code == 404
    assert other.post(create_url(req), form_data()).status_code == 404
    assert client_for("employee").get(create_url(req)).status_code == 403
    assert client_for("bhs_manager").post(create_url(req), form_data()).status_code == 403
    assert not Release.objects.exists()


def test_a_release_needs_an_accepted_request(supporter):
    from ..matrix.support_supporter import offered_request

    offered = offered_request(supporter)
    with pytest.raises(ValidationError, match="Only the supporter holding"):
        signed_release(supporter, offered)
    resp = signed_in_client(supporter).get(create_url(offered))
    assert resp.status_code == 404


def test_the_release_survives_its_request(req, supporter):
    release = signed_release(supporter, req)
    SupportRequest.objects.filter(pk=req.pk).delete()
    release.refresh_from_db()
    assert release.request is None and release.person_name == "Pat Quill"


def test_the_held_request_page_links_to_its_releases(client_for, req):
    page = client_for("supporter").get(reverse("support:held", kwargs={"request_id": req.pk}))
    assert reverse("releases:for_request", kwargs={"request_id": req.pk}) in page.content.decode()


def test_lists_show_no_protected_content(client_for, req, supporter):
    release = signed_release(supporter, req)
    for url in (reverse("releases:mine"), reverse("releases:for_request", args=[req.pk])):
        page = client_for("supporter").get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert release.number in body and "Pat Quill" not in body and "Dr. Lee Park" not in body


# --- Reading a release ---------------------------------------------------------------------------


def test_the_supporter_opens_the_release_and_that_is_audited(client_for, req, supporter):
    release = signed_release(supporter, req)
    page = client_for("supporter").get(detail_url(release))
    assert page.status_code == 200
    body = page.content.decode()
    for shown in ("Pat Quill", "Dr. Lee Park, City EAP", PURPOSE, "data:image/png;base64,"):
        assert shown in body
    (event,) = events(AuditAction.RELEASE_VIEWED)
    assert event.actor_id == supporter.pk and event.target_id == str(release.pk)
    assert event.details == {"part": "page", "person_shown": True}


def test_another_supporter_or_an_outsider_gets_404(dept, req, supporter, client_for):
    release = signed_release(supporter, req)
    _, other = other_supporter(dept)
    ids = {"release_id": release.pk}
    for name in ("detail", "pdf", "signature", "disclose"):
        assert other.get(reverse(f"releases:{name}", kwargs=ids)).status_code == 404, name
    for name in ("revoke", "end", "disclose"):
        assert other.post(reverse(f"releases:{name}", kwargs=ids), {}).status_code == 404, name
    for persona in ("employee", "coordinator", "chief", "sysadmin", "advocacy_supervisor"):
        assert client_for(persona).get(detail_url(release)).status_code == 403, persona
    assert Client().get(detail_url(release)).status_code == 302
    assert not Release.objects.filter(revoked_at__isnull=False).exists()


def test_the_bhs_manager_sees_who_only_where_the_person_named_them(client_for, req, supporter):
    named = signed_release(supporter, req, disclosers=D.SUPPORTER_AND_BHS)
    unnamed = signed_release(supporter, req, disclosers=D.SUPPORTER, person_name="Pat Quill")
    bhs = client_for("bhs_manager")
    assert "Pat Quill" in bhs.get(detail_url(named)).content.decode()
    page = bhs.get(detail_url(unnamed))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Pat Quill" not in body and "data:image" not in body
    assert "Dr. Lee Park" in body  # the consent itself, for the accounting
    for name in ("pdf", "signature"):
        url = reverse(f"releases:{name}", kwargs={"release_id": unnamed.pk})
        assert bhs.get(url).status_code == 404
    assert bhs.get(reverse("releases:pdf", kwargs={"release_id": named.pk})).status_code == 200


# --- The PDF -------------------------------------------------------------------------------------


def test_the_pdf_renders_with_the_notice_the_right_to_revoke_and_the_signature(
    client_for, req, supporter
):
    release = signed_release(supporter, req, expiry_event="my return to full duty")
    resp = client_for("supporter").get(reverse("releases:pdf", kwargs={"release_id": release.pk}))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"] == f'attachment; filename="release-{release.number}.pdf"'
    assert "no-store" in resp["Cache-Control"]
    assert resp.content.startswith(b"%PDF-")
    assert b"/Subtype /Image" in resp.content  # the signature is in it
    assert AuditEvent.objects.filter(
        action=AuditAction.RELEASE_PDF, target_id=str(release.pk)
    ).exists()
    # Its text, from the same template WeasyPrint rendered.
    html = render_to_string(
        "releases/release_pdf.html",
        {
            "release": release,
            "today": timezone.localdate(),
            "department_name": settings.DEPARTMENT_NAME,
            "signature_src": signatures.data_url(release.signature_type, release.signature),
        },
    )
    for text in (
        "You may not pass it on to anyone else",
        "You may revoke this authorization at any time",
        "Pat Quill",
        "Dr. Lee Park, City EAP",
        PURPOSE,
        "whichever comes first",
        'src="data:image/png;base64,',
    ):
        assert text in html, text


def test_a_pdf_scan_is_named_in_the_pdf_instead_of_drawn(client_for, req, supporter):
    release = signed_release(supporter, req, signature_kind="scan", signature=pdf_scan())
    resp = client_for("supporter").get(reverse("releases:pdf", kwargs={"release_id": release.pk}))
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF-")
    assert b"/Subtype /Image" not in resp.content


# --- Revoking and ending -------------------------------------------------------------------------


def test_the_supporter_revokes_a_release(client_for, req, supporter):
    release = signed_release(supporter, req)
    url = reverse("releases:revoke", kwargs={"release_id": release.pk})
    client = client_for("supporter")
    assert client.get(url)["Location"] == detail_url(release)
    resp = client.post(url, {})
    assert resp.status_code == 400 and "Tick the box" in resp.content.decode()
    release.refresh_from_db()
    assert release.revoked_at is None
    resp = client.post(url, {"revoke-confirm": "on"})
    assert resp.status_code == 302
    release.refresh_from_db()
    assert release.revoked_by == supporter and release.revoked_at is not None
    assert release.status == ReleaseStatus.REVOKED
    (event,) = events(AuditAction.RELEASE_REVOKED)
    assert event.actor_id == supporter.pk
    # Once revoked it stays revoked; a second attempt changes nothing.
    resp = client.post(url, {"revoke-confirm": "on"})
    assert resp.status_code == 400 and "already revoked" in resp.content.decode()
    assert len(events(AuditAction.RELEASE_REVOKED)) == 1


# Every transition from every status: allowed only from "in force".
@pytest.mark.parametrize("action", ["revoke", "end"])
@pytest.mark.parametrize("status", list(ReleaseStatus.values))
def test_transitions_follow_the_table(req, supporter, action, status):
    today = timezone.localdate()
    release = signed_release(
        supporter,
        req,
        expires_on=today + timedelta(days=1),
        expiry_event="my return to full duty",
    )
    travel = timedelta(days=3) if status == ReleaseStatus.EXPIRED else timedelta(0)
    if status == ReleaseStatus.REVOKED:
        services.release_revoke(actor=supporter, release=release)
    if status == ReleaseStatus.ENDED:
        services.release_end(actor=supporter, release=release)
    with time_machine.travel(timezone.now() + travel):
        release.refresh_from_db()
        assert release.status == status
        if status in services.TRANSITIONS[action][0]:
            moved = services.release_transition(actor=supporter, release=release, action=action)
            assert moved.status == (
                ReleaseStatus.REVOKED if action == "revoke" else ReleaseStatus.ENDED
            )
        else:
            with pytest.raises(ValidationError, match="already"):
                services.release_transition(actor=supporter, release=release, action=action)


def test_only_the_holding_supporter_revokes_or_ends(dept, personas, req, supporter):
    release = signed_release(supporter, req, expiry_event="my return to duty")
    other, _ = other_supporter(dept)
    for actor in (other, personas["bhs_manager"]):
        for action in ("revoke", "end"):
            with pytest.raises(ValidationError, match="Only the peer supporter holding"):
                services.release_transition(actor=actor, release=release, action=action)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.VALID


def test_a_release_without_an_event_cannot_be_ended(req, supporter, client_for):
    release = signed_release(supporter, req)
    with pytest.raises(ValidationError, match="no expiry event"):
        services.release_end(actor=supporter, release=release)
    resp = client_for("supporter").post(
        reverse("releases:end", kwargs={"release_id": release.pk}), {"end-confirm": "on"}
    )
    assert resp.status_code == 400
    assert not events(AuditAction.RELEASE_ENDED)


def test_recording_the_expiry_event(req, supporter, client_for):
    release = signed_release(supporter, req, expires_on=None, expiry_event="my return to duty")
    resp = client_for("supporter").post(
        reverse("releases:end", kwargs={"release_id": release.pk}), {"end-confirm": "on"}
    )
    assert resp.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ENDED and release.ended_by == supporter
    assert len(events(AuditAction.RELEASE_ENDED)) == 1


# --- Demo data -----------------------------------------------------------------------------------


def test_the_demo_has_releases_in_every_state_and_is_idempotent(supporter):
    from demo.releases import load_demo

    held_request(supporter, name="Demo Person")
    first = load_demo(seed=7)
    assert "4 releases" in first
    states = {r.status for r in Release.objects.all()}
    assert states == {ReleaseStatus.VALID, ReleaseStatus.REVOKED, ReleaseStatus.EXPIRED}
    assert Disclosure.objects.count() == 4
    for disclosure in Disclosure.objects.select_related("release"):
        assert disclosure.recipient in disclosure.release.recipients
        assert set(disclosure.items) <= set(disclosure.release.items)
        assert disclosure.release.signed_on <= disclosure.disclosed_on
    assert "nothing added" in load_demo(seed=7)
    assert Release.objects.count() == 4
