"""The system administrator's HR roster upload: preview, confirm, refusals."""

import dataclasses

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from peersupport.accounts.models import Employee
from peersupport.accounts.roster_sync import file_digest, roster_csv, roster_rows_on_record
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.web.roster_import import SESSION_KEY

from ..factories import EmployeeFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:roster_import")
CONFIRM = reverse("accounts:roster_import_confirm")


def _csv(**change) -> bytes:
    rows = roster_rows_on_record()
    rows[0] = dataclasses.replace(rows[0], **change)
    return roster_csv(rows).encode()


def _upload(client, data: bytes, *, name="roster.csv", full=False):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if full:
        payload["full"] = "on"
    return client.post(URL, payload)


def test_preview_then_confirm_applies_the_previewed_file(client_for):
    client = client_for("sysadmin")
    assert client.get(URL).status_code == 200
    data = _csv(rank_title="Detective")
    number = roster_rows_on_record()[0].employee_number
    response = _upload(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check the roster import" in page and "rank_title Officer → Detective" in page
    assert Employee.objects.get(employee_number=number).rank_title == "Officer"

    response = client.post(CONFIRM, {"digest": file_digest(data)})
    assert response.status_code == 302
    assert Employee.objects.get(employee_number=number).rank_title == "Detective"
    event = AuditEvent.objects.get(action=AuditAction.ROSTER_IMPORTED)
    assert event.details["sha256"] == file_digest(data) and event.details["changed"] == 1
    assert SESSION_KEY not in client.session  # the file is not kept once applied
    # Confirming again applies nothing: the file is gone.
    client.post(CONFIRM, {"digest": file_digest(data)})
    assert AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).count() == 1


def test_a_confirmation_of_another_file_is_refused(client_for):
    client = client_for("sysadmin")
    first = _csv(rank_title="Detective")
    _upload(client, first)
    _upload(client, _csv(rank_title="Sergeant"))  # another tab replaced the preview
    response = client.post(CONFIRM, {"digest": file_digest(first)}, follow=True)
    assert "no longer the file waiting" in response.content.decode()
    assert not Employee.objects.filter(rank_title__in=["Detective", "Sergeant"]).exists()


def test_cancel_drops_the_file(client_for):
    client = client_for("sysadmin")
    data = _csv(rank_title="Detective")
    _upload(client, data)
    client.post(CONFIRM, {"digest": file_digest(data), "cancel": "1"})
    assert SESSION_KEY not in client.session
    assert not Employee.objects.filter(rank_title="Detective").exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "roster.csv", "not UTF-8"),
        (b"\x89PNG\r\n", "photo.png", "Choose a CSV file"),
        (b"employee_number,first_name\nA1,Ann\n", "roster.csv", "The header lacks"),
        (b"", "roster.csv", "The submitted file is empty"),
    ],
)
def test_bad_files_get_an_error_summary_and_change_nothing(client_for, data, name, message):
    client = client_for("sysadmin")
    before = list(Employee.objects.values_list("pk", "rank_title", "status"))
    response = _upload(client, data, name=name)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "error-summary" in page
    assert list(Employee.objects.values_list("pk", "rank_title", "status")) == before
    assert SESSION_KEY not in client.session


def test_rows_with_errors_are_listed_by_line(client_for):
    client = client_for("sysadmin")
    response = _upload(client, _csv(status="gone", employee_type="pilot"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: The status “gone”" in page and "Line 2: The employee type “pilot”" in page


def test_too_large_a_file_is_refused(client_for, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 1024
    client = client_for("sysadmin")
    response = _upload(client, b"x" * 2048)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_a_full_import_that_would_separate_many_warns(client_for):
    client = client_for("sysadmin")
    rows = roster_rows_on_record()[:1]  # not the whole department
    response = _upload(client, roster_csv(rows).encode(), full=True)
    assert response.status_code == 200
    assert "people would be separated" not in response.content.decode()  # fewer than ten
    EmployeeFactory.create_batch(10)
    response = _upload(client, roster_csv(rows).encode(), full=True)
    assert "people would be separated" in response.content.decode()


def test_records_changed_since_the_preview_stop_the_import(client_for, dept):
    """A full import separates whoever is missing from the file: someone added on the employee
    page after the preview would be separated without the administrator having seen it. The
    import is refused unless the records still give exactly the plan that was previewed."""
    client = client_for("sysadmin")
    data = _csv(rank_title="Detective")
    number = roster_rows_on_record()[0].employee_number
    assert _upload(client, data, full=True).status_code == 200
    newcomer = EmployeeFactory(unit=dept.squad)  # added on the employee page meanwhile

    response = client.post(CONFIRM, {"digest": file_digest(data)})

    assert response.status_code == 400
    assert "changed since the preview" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.status == Employee.Status.ACTIVE
    assert Employee.objects.get(employee_number=number).rank_title == "Officer"
    assert not AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).exists()
