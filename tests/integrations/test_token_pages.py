"""The system administrator's integration token pages (integrations/views.py): make a token
(shown once, audited), list, revoke (confirmed, audited); bad input re-renders with an error
summary and changes nothing. Who may open them: tests/matrix/integrations.py."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.integrations.models import ApiToken

pytestmark = pytest.mark.django_db

LIST = reverse("integrations:token_list")
ADD = reverse("integrations:token_add")


def test_a_token_is_shown_once_then_listed_without_its_secret(client_for):
    admin = client_for("sysadmin")
    form = admin.get(ADD).content.decode()
    for scope in ("resources.read", "training.read", "reports.read", "oncall.read", "scim"):
        assert f'value="{scope}"' in form  # every scope of the registry, as a checkbox
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = admin.post(
        ADD,
        {"label": "Training unit", "scopes": ["training.read"], "expires_on": tomorrow},
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain[0][1] == 302
    token = ApiToken.objects.get()
    raw = next(w for w in response.content.decode().split('"') if w.startswith("psk_"))
    assert "no-store" in response["Cache-Control"]
    assert token.scopes == ["training.read"] and token.expires_at > timezone.now()
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATED).count() == 1
    listed = admin.get(LIST).content.decode()
    assert "Training unit" in listed and token.key in listed and raw not in listed
    # It works at once.
    api = Client().get("/api/v1/training/records", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": "", "scopes": ["resources.read"]}, "label"),
        ({"label": "HR", "scopes": []}, "scopes"),
        ({"label": "HR", "scopes": ["everything"]}, "scopes"),
        ({"label": "HR", "scopes": ["resources.read"], "expires_on": "2001-01-01"}, "expires_on"),
        ({"label": "HR", "scopes": ["resources.read"], "expires_on": "soon"}, "expires_on"),
    ],
)
def test_bad_input_re_renders_with_an_error_summary_and_changes_nothing(client_for, data, field):
    admin = client_for("sysadmin")
    before = AuditEvent.objects.count()
    response = admin.post(ADD, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}' in page
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.count() == before


def test_revoking_asks_first_then_refuses_the_token(client_for):
    admin = client_for("sysadmin")
    response = admin.post(ADD, {"label": "Dispatch", "scopes": ["oncall.read"]}, follow=True)
    raw = next(w for w in response.content.decode().split('"') if w.startswith("psk_"))
    token = ApiToken.objects.get()
    revoke = reverse("integrations:token_revoke", args=[token.pk])
    assert "Revoke this token" in admin.get(revoke).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # asking changes nothing
    assert admin.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1
    assert "(revoked)" in admin.get(LIST).content.decode()
    api = Client().get("/api/v1/oncall/coverage", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    assert admin.get(reverse("integrations:token_revoke", args=[99999])).status_code == 404


def test_the_pages_are_in_the_system_administrators_navigation(client_for):
    assert LIST in client_for("sysadmin").get("/").content.decode()
    for name in ("coordinator", "bhs_manager", "supporter"):
        assert LIST not in client_for(name).get("/").content.decode()
