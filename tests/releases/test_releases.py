"""Releases of information and the disclosures made under them (PROGRAM.md rule 6).

A release cannot be saved without every element; nothing is disclosed outside a release in
force; every refusal writes nothing but a DENIED audit event; the person, their supporter and
the BHS manager each see the accounting they should and nobody else does; releases are kept
RELEASE_RETENTION_YEARS after they end and then purged.
"""

import base64
import io
import json
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

from peersupport.audit.models import AuditAction, AuditEvent, Outcome
from peersupport.governance.notice import current_notice
from peersupport.releases import selectors, services, signatures
from peersupport.releases.models import Disclosure, Release, ReleaseStatus
from peersupport.support import services as support_services
from peersupport.support.models import ContactMethod, RequesterKind, SupportRequest

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.releases import RELEASE_DEFAULTS, signature_png, signed_release
from ..matrix.support_supporter import active_supporter, held_request

pytestmark = pytest.mark.django_db

D = Release.Disclosers
ITEMS = RELEASE_DEFAULTS["items"]
RECIPIENTS = RELEASE_DEFAULTS["recipients"]
PURPOSE = RELEASE_DEFAULTS["purpose"]


@pytest.fixture
def supporter(dept):
    user = dept.users["supporter"]
    active_supporter(user)
    return user


@pytest.fixture
def req(supporter):
    return held_request(supporter, name="Pat Quill")


def other_supporter(dept, name="riley"):
    from peersupport.accounts.models import Role

    user = UserFactory(email=f"{name}@pd.example.org", display_name=name.title())
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    enable_totp(user)
    active_supporter(user)
    return user, signed_in_client(user)


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


def detail_url(release) -> str:
    return reverse("releases:detail", kwargs={"release_id": release.pk})


def disclose_url(release) -> str:
    return reverse("releases:disclose", kwargs={"release_id": release.pk})


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


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
    assert all(value.startswith("v1:") for value in row)


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
    assert "The release was not saved" in resp.content.decode()
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


# --- Disclosures ---------------------------------------------------------------------------------


def disclose(client, release, **overrides):
    data = {
        "disclosed_on": timezone.localdate().isoformat(),
        "recipient": RECIPIENTS[0],
        "items": [ITEMS[0]],
        "purpose_confirmed": "on",
    }
    data.update(overrides)
    return client.post(disclose_url(release), {k: v for k, v in data.items() if v is not None})


def test_the_supporter_records_a_disclosure(client_for, req, supporter):
    release = signed_release(supporter, req)
    form = client_for("supporter").get(disclose_url(release))
    assert form.status_code == 200
    resp = disclose(client_for("supporter"), release)
    assert resp.status_code == 302 and resp["Location"] == detail_url(release)
    disclosure = Disclosure.objects.get()
    assert disclosure.release == release and disclosure.recipient == RECIPIENTS[0]
    assert disclosure.items == [ITEMS[0]] and disclosure.purpose == PURPOSE
    assert disclosure.by == supporter and disclosure.by_role == Disclosure.ByRole.SUPPORTER
    (event,) = events(AuditAction.DISCLOSURE_RECORDED)
    assert event.details == {
        "disclosure": disclosure.pk,
        "items": 1,
        "recipient_index": 0,
        "by_role": "supporter",
    }
    page = client_for("supporter").get(detail_url(release)).content.decode()
    assert "Accounting of disclosures" in page and f"{supporter} (peer supporter)" in page


def test_the_bhs_manager_records_a_disclosure_where_the_person_named_them(
    client_for, personas, req, supporter
):
    release = signed_release(supporter, req, disclosers=D.SUPPORTER_AND_BHS)
    resp = disclose(client_for("bhs_manager"), release, recipient=RECIPIENTS[1], items=ITEMS)
    assert resp.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.by == personas["bhs_manager"] and disclosure.by_role == "bhs_manager"
    assert disclosure.items == ITEMS


def test_the_bhs_manager_may_not_disclose_where_the_person_did_not_name_them(
    client_for, personas, req, supporter
):
    release = signed_release(supporter, req, disclosers=D.SUPPORTER)
    bhs = client_for("bhs_manager")
    assert bhs.get(disclose_url(release)).status_code == 404
    resp = disclose(bhs, release)
    assert resp.status_code == 400
    assert "it names only the person&#x27;s peer supporter" in resp.content.decode()
    assert not Disclosure.objects.exists()
    (event,) = events(AuditAction.DISCLOSURE_REFUSED)
    assert event.outcome == Outcome.DENIED and event.actor_id == personas["bhs_manager"].pk
    assert event.details["reasons"] == ["discloser_not_named"]


def refused(supporter, release, *, reason, **overrides):
    """Try a disclosure through the service; it must be refused for ``reason`` and leave only
    one DENIED audit event behind."""
    kwargs = {
        "disclosed_on": timezone.localdate(),
        "recipient": RECIPIENTS[0],
        "items": [ITEMS[0]],
        "purpose": PURPOSE,
        **overrides,
    }
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.disclosure_record(actor=supporter, release=release, **kwargs)
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == AuditAction.DISCLOSURE_REFUSED and event.outcome == Outcome.DENIED
    assert reason in event.details["reasons"], event.details
    assert event.target_id == str(release.pk)
    return exc.value


def test_a_disclosure_to_someone_not_named_is_refused(req, supporter):
    release = signed_release(supporter, req)
    error = refused(
        supporter, release, reason="recipient_not_named", recipient="Lt. Sam Hale, Internal Affairs"
    )
    assert "does not name this recipient" in " ".join(error.messages)


def test_a_disclosure_of_items_not_covered_is_refused(req, supporter):
    release = signed_release(supporter, req)
    error = refused(
        supporter, release, reason="items_not_covered", items=[ITEMS[0], "My medical history"]
    )
    assert "does not cover" in " ".join(error.messages)
    refused(supporter, release, reason="no_items", items=[])


def test_a_disclosure_for_another_purpose_is_refused(req, supporter):
    release = signed_release(supporter, req)
    refused(supporter, release, reason="purpose_differs", purpose="For a promotion board")


def test_disclosure_dates_are_checked(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, signed_on=today - timedelta(days=3))
    refused(supporter, release, reason="date_in_future", disclosed_on=today + timedelta(days=1))
    refused(supporter, release, reason="date_before_signed", disclosed_on=today - timedelta(days=4))
    ok = services.disclosure_record(
        actor=supporter,
        release=release,
        disclosed_on=today - timedelta(days=3),
        recipient=RECIPIENTS[0],
        items=ITEMS,
        purpose=PURPOSE,
    )
    assert ok.disclosed_on == today - timedelta(days=3)


def test_a_disclosure_under_an_expired_release_is_refused(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, expires_on=today + timedelta(days=10))
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert release.status_on() == ReleaseStatus.VALID  # the expiry day itself is covered
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        release.refresh_from_db()
        assert release.status == ReleaseStatus.EXPIRED
        assert not Release.objects.with_status(ReleaseStatus.VALID).exists()
        assert Release.objects.with_status(ReleaseStatus.EXPIRED).get() == release
        error = refused(supporter, release, reason="release_expired")
        assert "it expired" in " ".join(error.messages)


def test_a_disclosure_under_a_revoked_release_is_refused(req, supporter):
    release = signed_release(supporter, req)
    services.release_revoke(actor=supporter, release=release)
    error = refused(supporter, release, reason="release_revoked")
    assert "revoked" in " ".join(error.messages)


def test_a_disclosure_after_the_expiry_event_is_refused(req, supporter):
    release = signed_release(supporter, req, expires_on=None, expiry_event="my return to duty")
    services.release_end(actor=supporter, release=release)
    refused(supporter, release, reason="release_ended")


def test_refusals_through_the_page_say_why_and_are_audited(client_for, req, supporter):
    release = signed_release(supporter, req)
    client = client_for("supporter")
    resp = disclose(client, release, recipient="Someone Else", items=["Everything"])
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "does not name this recipient" in body and "does not cover" in body
    assert "The disclosure was not recorded." in body
    (event,) = events(AuditAction.DISCLOSURE_REFUSED)
    assert event.details["reasons"] == ["items_not_covered", "recipient_not_named"]
    # A form that does not parse is not a disclosure attempt: re-shown, nothing written.
    resp = disclose(client, release, disclosed_on="yesterday-ish", purpose_confirmed=None)
    assert resp.status_code == 400
    assert "Confirm that the disclosure was for the purpose" in resp.content.decode()
    assert not Disclosure.objects.exists()
    # A revoked release: the form page sends the supporter back with the reason.
    services.release_revoke(actor=supporter, release=release)
    resp = client.get(disclose_url(release))
    assert resp.status_code == 302 and resp["Location"] == detail_url(release)


def test_audit_details_never_hold_names_or_content(client_for, req, supporter):
    release = signed_release(supporter, req, expiry_event="my return to full duty")
    disclose(client_for("supporter"), release)
    disclose(client_for("supporter"), release, recipient="Lt. Sam Hale")
    client_for("supporter").get(detail_url(release))
    client_for("supporter").get(reverse("releases:pdf", kwargs={"release_id": release.pk}))
    client_for("bhs_manager").get(reverse("releases:accounting"))
    services.release_revoke(actor=supporter, release=release)
    text = json.dumps(
        list(AuditEvent.objects.filter(action__startswith="release.").values("details"))
    )
    for secret in ("Pat Quill", "Lee Park", "Sam Hale", "return-to-duty", "full duty", "EAP"):
        assert secret not in text


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


# --- The person's accounting -------------------------------------------------------------------


def employee_request_held_by(supporter, employee):
    created = support_services.request_create(
        requester=employee,
        kind=RequesterKind.EMPLOYEE,
        name="Emery Employee",
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    offer = created.request.offers.get(answer="pending")
    assert offer.supporter == supporter
    return support_services.offer_answer(actor=supporter, offer=offer, accept=True)


def test_the_employee_sees_their_releases_and_disclosures(personas, supporter, client_for):
    employee = personas["employee"]
    req = employee_request_held_by(supporter, employee)
    release = signed_release(supporter, req, person_name="Emery Employee")
    services.disclosure_record(
        actor=supporter,
        release=release,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[1],
        items=[ITEMS[1]],
        purpose=PURPOSE,
    )
    services.disclosure_record(
        actor=personas["bhs_manager"],
        release=release,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[0],
        items=ITEMS,
        purpose=PURPOSE,
    )
    before = AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).count()
    url = reverse("support:my_request", kwargs={"public_id": req.public_id})
    body = client_for("employee").get(url).content.decode()
    assert "Your releases of information" in body and release.number in body
    for shown in (RECIPIENTS[1], ITEMS[1], PURPOSE, "Your peer supporter", "The BHS manager"):
        assert shown in body, shown
    # Who disclosed is shown as a role, not a name.
    assert f"{supporter} (peer supporter)" not in body and "(BHS manager)" not in body
    assert supporter.email not in body and personas["bhs_manager"].email not in body
    # Reading one's own accounting is not audited: the event would say who sought help.
    assert AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).count() == before
    # Another employee's page shows nothing of it.
    other = UserFactory(email="other.employee@pd.example.org")
    EmployeeFactory(user=other, work_email=other.email)
    assert signed_in_client(other).get(url).status_code == 404


def test_the_codename_page_shows_the_accounting(supporter):
    created = support_services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name="Fran Family",
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    req = support_services.offer_answer(
        actor=supporter, offer=created.request.offers.get(), accept=True
    )
    release = signed_release(supporter, req, person_name="Fran Family")
    services.release_revoke(actor=supporter, release=release)
    visitor = Client()
    visitor.post(reverse("support:check"), {"codename": created.codename})
    body = visitor.get(reverse("support:status")).content.decode()
    assert f"Release {release.number}: revoked" in body
    assert "Nothing has been disclosed under it." in body


def test_a_request_without_releases_shows_no_section(personas, supporter, client_for):
    req = employee_request_held_by(supporter, personas["employee"])
    url = reverse("support:my_request", kwargs={"public_id": req.public_id})
    assert "Your releases of information" not in client_for("employee").get(url).content.decode()


# --- The BHS manager's accounting ----------------------------------------------------------------


def test_the_bhs_manager_reads_every_release_and_filters(dept, client_for, req, supporter):
    other, _ = other_supporter(dept)
    mine = signed_release(supporter, req)
    theirs = signed_release(other, held_request(other), disclosers=D.SUPPORTER)
    services.disclosure_record(
        actor=supporter,
        release=mine,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[0],
        items=[ITEMS[0]],
        purpose=PURPOSE,
    )
    services.release_revoke(actor=other, release=theirs)
    bhs = client_for("bhs_manager")
    url = reverse("releases:accounting")
    page = bhs.get(url)
    assert page.status_code == 200
    assert [r.pk for r, _ in page.context["rows"]] == [theirs.pk, mine.pk]
    body = page.content.decode()
    assert body.count("Pat Quill") == 1  # only where the person named the BHS manager
    assert "Not shown to you" in body
    event = AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).last()
    assert event.details == {"part": "accounting", "releases": [theirs.pk, mine.pk]}

    def shown(**query):
        resp = bhs.get(url, query)
        assert resp.status_code == 200, resp.context["form"].errors
        return [r.pk for r, _ in resp.context["rows"]]

    assert shown(status="revoked") == [theirs.pk]
    assert shown(status="valid") == [mine.pk]
    assert shown(supporter=other.pk) == [theirs.pk]
    assert shown(disclosed_only="on") == [mine.pk]
    assert shown(signed_from=(timezone.localdate() + timedelta(days=1)).isoformat()) == []
    for bad in ({"status": "lost"}, {"supporter": "x"}, {"signed_from": "2025-13-01"}):
        assert bhs.get(url, bad).status_code == 400
    assert bhs.get(url, {"page": "9999"}).status_code == 200
    for persona in ("supporter", "coordinator", "chief", "sysadmin"):
        assert client_for(persona).get(url).status_code == 403


# --- Validity and retention ----------------------------------------------------------------------


def test_validity_is_computed(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, expires_on=today)
    assert release.is_valid_on(today) and not release.is_valid_on(today + timedelta(days=1))
    assert release.ended_on(today) is None
    assert release.ended_on(today + timedelta(days=2)) == today


def make_ended(supporter, *, years_ago: float, disclosed_years_ago: float | None = None):
    """A release that was revoked ``years_ago``."""
    start = timezone.now() - timedelta(days=round(365.25 * years_ago) + 30)
    with time_machine.travel(start, tick=False):
        release = signed_release(supporter, expires_on=None, expiry_event="my return to duty")
        services.disclosure_record(
            actor=supporter,
            release=release,
            disclosed_on=timezone.localdate(),
            recipient=RECIPIENTS[0],
            items=[ITEMS[0]],
            purpose=PURPOSE,
        )
    with time_machine.travel(start + timedelta(days=30), tick=False):
        services.release_revoke(actor=supporter, release=release)
    return release


def test_purge_keeps_releases_for_the_retention_years(supporter):
    assert settings.RELEASE_RETENTION_YEARS == 6
    five = make_ended(supporter, years_ago=5)
    seven = make_ended(supporter, years_ago=7)
    old_but_in_force = None
    start = timezone.now() - timedelta(days=365 * 8)
    with time_machine.travel(start, tick=False):
        old_but_in_force = signed_release(supporter, expires_on=None, expiry_event="retirement")
    assert Disclosure.objects.filter(release=seven).exists()

    assert services.releases_purge() == 1
    assert set(Release.objects.values_list("pk", flat=True)) == {five.pk, old_but_in_force.pk}
    assert not Disclosure.objects.filter(release_id=seven.pk).exists()
    assert Disclosure.objects.filter(release=five).exists()
    (event,) = events(AuditAction.RELEASES_PURGED)
    assert event.details == {"releases": 1, "disclosures": 1, "retention_years": 6}
    # Idempotent.
    assert services.releases_purge() == 0
    # And the five-year-old one goes once it is past six years too.
    assert services.releases_purge(now=timezone.now() + timedelta(days=366 * 2)) == 1
    assert list(Release.objects.values_list("pk", flat=True)) == [old_but_in_force.pk]


def test_an_expired_release_is_kept_six_years_from_its_expiry(req, supporter):
    today = timezone.localdate()
    start = timezone.now() - timedelta(days=365 * 7)
    with time_machine.travel(start, tick=False):
        release = signed_release(supporter, expires_on=timezone.localdate() + timedelta(days=400))
    # It expired about five years and eleven months ago: kept.
    assert release.ended_on(today) < today
    assert services.releases_purge() == 0
    assert services.releases_purge(now=timezone.now() + timedelta(days=60)) == 1


def test_query_counts_do_not_grow_with_releases(
    client_for, supporter, django_assert_max_num_queries
):
    for _ in range(3):
        release = signed_release(supporter)
        services.disclosure_record(
            actor=supporter,
            release=release,
            disclosed_on=timezone.localdate(),
            recipient=RECIPIENTS[0],
            items=[ITEMS[0]],
            purpose=PURPOSE,
        )
    bhs = client_for("bhs_manager")
    bhs.get(reverse("releases:accounting"))  # warm the session and role caches
    with django_assert_max_num_queries(30) as few:
        bhs.get(reverse("releases:accounting"))
    for _ in range(5):
        signed_release(supporter)
    with django_assert_max_num_queries(len(few.captured_queries)):
        bhs.get(reverse("releases:accounting"))


def test_selectors_answer_404_to_outsiders(dept, personas, req, supporter):
    from django.http import Http404

    release = signed_release(supporter, req)
    other, _ = other_supporter(dept)
    for viewer in (other, personas["employee"], personas["coordinator"]):
        with pytest.raises(Http404):
            selectors.release_for_viewer(viewer, release.pk)
    with pytest.raises(Http404):
        selectors.release_for_viewer(supporter, release.pk + 1000)


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
