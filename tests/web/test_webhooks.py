"""The system administrator's webhooks pages (web/webhooks.py): add (the secret shown once),
edit, rotate, delete, test, each audited; bad input re-renders with an error summary and
changes nothing. Who may open them: tests/matrix/webhooks.py."""

import pytest
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Channel, Notification, WebhookEndpoint

from ..matrix.webhooks import endpoint as make_endpoint

pytestmark = pytest.mark.django_db

RECORD = "training.record.created"


def _audited(action) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_adding_shows_the_secret_once_and_audits(client_for):
    admin = client_for("sysadmin")
    response = admin.post(
        reverse("web:webhook_add"),
        {"label": "Training unit", "url": "https://hooks.example.test/in", "events": [RECORD]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == [RECORD] and endpoint.active
    assert _audited(AuditAction.WEBHOOK_ADDED) == 1
    # Never again: the list and the edit page do not show it.
    for page in (reverse("web:webhook_list"), reverse("web:webhook_edit", args=[endpoint.pk])):
        shown = admin.get(page)
        assert shown.status_code == 200 and endpoint.secret not in shown.content.decode()
    assert "Training unit" in admin.get(reverse("web:webhook_list")).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": "HR", "url": "http://hooks.example.test/in", "events": [RECORD]}, "url"),
        ({"label": "HR", "url": "https://me:pw@hooks.example.test/", "events": [RECORD]}, "url"),
        ({"label": "HR", "url": "gopher://hooks.example.test/", "events": [RECORD]}, "url"),
        ({"label": "HR", "url": "https://hooks.example.test/", "events": ["nope"]}, "events"),
        ({"label": "", "url": "https://hooks.example.test/", "events": [RECORD]}, "label"),
    ],
)
def test_bad_input_re_renders_with_an_error_summary_and_changes_nothing(client_for, data, field):
    admin = client_for("sysadmin")
    before = AuditEvent.objects.count()
    response = admin.post(reverse("web:webhook_add"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}' in page
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.count() == before


def test_editing_changes_events_and_disabling_drops_what_waits(client_for):
    admin = client_for("sysadmin")
    endpoint, _ = make_endpoint()
    from peersupport.notifications import webhooks

    webhooks.emit(RECORD, link="/")
    url = reverse("web:webhook_edit", args=[endpoint.pk])
    bad = admin.post(url, {"label": "x", "url": "http://insecure.example.test/", "active": "on"})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.test/peersupport"
    response = admin.post(
        url,
        {"label": "Training unit", "url": endpoint.url, "events": ["report.published"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["report.published"] and not endpoint.active
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert row.status == Notification.Status.SKIPPED
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_CHANGED)
    assert event.details["changed"] == ["active", "events"]


def test_rotating_shows_a_new_secret_once(client_for):
    admin = client_for("sysadmin")
    endpoint, old = make_endpoint()
    url = reverse("web:webhook_rotate", args=[endpoint.pk])
    assert old not in admin.get(url).content.decode()
    response = admin.post(url)
    endpoint.refresh_from_db()
    assert response.status_code == 200 and endpoint.secret != old
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert _audited(AuditAction.WEBHOOK_SECRET_ROTATED) == 1


def test_a_test_event_is_queued_and_audited(client_for):
    admin = client_for("sysadmin")
    endpoint, _ = make_endpoint()
    response = admin.post(reverse("web:webhook_test", args=[endpoint.pk]))
    assert response.status_code == 302
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert row.subject == "webhook.test" and row.user_id is None
    assert _audited(AuditAction.WEBHOOK_TESTED) == 1
    assert "Waiting to be sent" in admin.get(reverse("web:webhook_list")).content.decode()


def test_deleting_removes_the_endpoint(client_for):
    admin = client_for("sysadmin")
    endpoint, _ = make_endpoint()
    assert admin.get(reverse("web:webhook_delete", args=[endpoint.pk])).status_code == 200
    assert admin.post(reverse("web:webhook_delete", args=[endpoint.pk])).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert _audited(AuditAction.WEBHOOK_DELETED) == 1
    assert admin.get(reverse("web:webhook_edit", args=[endpoint.pk])).status_code == 404


def test_only_the_system_administrator_sees_the_link(client_for):
    assert reverse("web:webhook_list") in client_for("sysadmin").get("/").content.decode()
    for name in ("coordinator", "bhs_manager", "employee"):
        assert reverse("web:webhook_list") not in client_for(name).get("/").content.decode()
