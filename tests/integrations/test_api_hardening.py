"""The REST API and the token pages hardened after review: a token that names people alerts the
BHS managers (and the coordinator for training), content-free; training records never name a
candidate; a NUL or a lone surrogate in any text parameter is a 422, never a 500 (PostgreSQL
refuses NUL); a far expiry is refused with a message; an endpoint without a scope is closed;
a made token is shown once, after a redirect, and a reload makes no second one."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from ninja import Router

from peersupport.integrations import api as api_module
from peersupport.integrations import services
from peersupport.integrations.models import ApiToken
from peersupport.integrations.registry import naming_people, scopes
from peersupport.notifications.models import Notification
from peersupport.roster.models import SupporterProfile
from peersupport.training.api import TRAINING_READ

from ..factories import AttendanceFactory, SupporterProfileFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db

ADD = reverse("integrations:token_add")
NOW = datetime.datetime(2026, 2, 10, 12, 0, tzinfo=datetime.UTC)
KIND = "integrations/people_token_made"


def make_token(*names) -> str:
    _made, raw = services.token_create(actor=None, label="Other system", scopes=names)
    return raw


def call(url, raw, **params):
    return Client().get(url, params, headers={"Authorization": f"Bearer {raw}"})


# --- 1. A token that names people alerts those who may read them -------------------------------


def test_the_scopes_that_name_people_are_marked():
    assert {s.name for s in scopes() if s.names_people} == {
        "training.read",
        "roster.import",
        "scim",
    }
    assert naming_people(["resources.read", "reports.read", "oncall.read"]) == []


@pytest.mark.parametrize(
    ("scope", "coordinator_told"),
    [("training.read", True), ("roster.import", False), ("scim", False)],
)
def test_a_token_naming_people_alerts_the_bhs_managers_content_free(
    client_for, personas, scope, coordinator_told
):
    admin = client_for("sysadmin")
    form = admin.get(ADD).content.decode()
    assert "alerts the BHS managers" in form  # the form says so before it is made
    label = "Secret Label Of System"
    response = admin.post(ADD, {"label": label, "scopes": [scope]})
    assert response.status_code == 302
    token = ApiToken.objects.get()
    sent = Notification.objects.filter(kind=KIND)
    told = {n.user_id for n in sent}
    assert personas["bhs_manager"].pk in told
    assert (personas["coordinator"].pk in told) is coordinator_told
    assert personas["sysadmin"].pk not in told and personas["supporter"].pk not in told
    for note in sent:
        text = f"{note.subject}\n{note.body}\n{note.link}"
        for secret in (label, token.key, scope, personas["sysadmin"].email):
            assert secret not in text  # names nothing: no label, key, scope or maker
        assert "people's records" in note.subject
    manager_note = sent.filter(user=personas["bhs_manager"]).first()
    assert manager_note.link.endswith(reverse("audit:event_list"))
    assert manager_note.urgent
    if coordinator_told:
        # The coordinator cannot open the audit log: no link to it.
        assert not sent.filter(user=personas["coordinator"]).first().link


def test_a_token_with_harmless_scopes_alerts_nobody(client_for, personas):
    admin = client_for("sysadmin")
    scopes_ = ["resources.read", "reports.read", "oncall.read"]
    assert admin.post(ADD, {"label": "Dashboard", "scopes": scopes_}).status_code == 302
    assert ApiToken.objects.count() == 1
    assert not Notification.objects.filter(kind=KIND).exists()


def test_the_alert_and_the_token_are_kept_or_lost_together(client_for, personas, monkeypatch):
    from peersupport.integrations import alerts

    def fail(token):
        raise RuntimeError("the notification service is down")

    monkeypatch.setattr(alerts, "people_token_made", fail)
    admin = client_for("sysadmin")
    admin.raise_request_exception = False
    response = admin.post(ADD, {"label": "HR", "scopes": ["roster.import"]})
    assert response.status_code == 500
    assert not ApiToken.objects.exists()


# --- 2. Training records never name a candidate --------------------------------------------------


def test_training_records_leave_candidates_out(personas):
    with time_machine.travel(NOW, tick=False):
        supporter = personas["supporter"]
        SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
        candidate = SupporterProfileFactory(status=SupporterProfile.Status.CANDIDATE).user
        outsider = personas["employee"]  # no profile at all
        session = TrainingSessionFactory(
            starts_at=NOW - datetime.timedelta(days=20),
            ends_at=NOW - datetime.timedelta(days=20, hours=-8),
        )
        for user in (supporter, candidate, outsider):
            AttendanceFactory(day=session.days.get(), user=user, hours=Decimal(8))
        raw = make_token(TRAINING_READ)
        records = call("/api/v1/training/records", raw, year=2026).json()
        assert records["count"] == 1
        assert [i["employee_number"] for i in records["items"]] == [
            supporter.employee.employee_number
        ]
        number = getattr(getattr(candidate, "employee", None), "employee_number", None)
        if number:
            asked = call("/api/v1/training/records", raw, year=2026, employee_number=number)
            assert asked.json()["count"] == 0


# --- 3. NUL and lone surrogates are a 422 -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param", "scope"),
    [
        ("/api/v1/resources", "q", "resources.read"),
        ("/api/v1/training/records", "employee_number", "training.read"),
        ("/api/v1/training/compliance", "employee_number", "training.read"),
        ("/api/v1/reports", "period", "reports.read"),
    ],
)
@pytest.mark.parametrize("bad", ["\x00", "A\x00B", "%00"])
def test_a_nul_in_a_text_parameter_is_refused_with_422(url, param, scope, bad):
    raw = make_token(scope)
    if bad == "%00":
        response = Client().get(f"{url}?{param}=%00", headers={"Authorization": f"Bearer {raw}"})
    else:
        response = call(url, raw, **{param: bad})
    assert response.status_code == 422, response.content
    assert "NUL" in json.dumps(response.json())


def test_the_text_type_refuses_a_lone_surrogate_and_keeps_plain_text():
    assert api_module._plain("Employee Assistance") == "Employee Assistance"
    with pytest.raises(ValueError, match="surrogate"):
        api_module._plain("a\ud800b")
    with pytest.raises(ValueError, match="NUL"):
        api_module._plain("a\x00")


# --- 4. A far expiry is refused with a message ---------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "2100-01-01"])
def test_a_far_expiry_is_refused_with_a_message(client_for, day):
    response = client_for("sysadmin").post(
        ADD, {"label": "HR", "scopes": ["resources.read"], "expires_on": day}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "at most three years ahead" in page
    assert not ApiToken.objects.exists()


def test_an_expiry_three_years_ahead_is_taken(client_for):
    day = timezone.localdate() + datetime.timedelta(days=3 * 365)
    response = client_for("sysadmin").post(
        ADD, {"label": "HR", "scopes": ["resources.read"], "expires_on": day.isoformat()}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().expires_at.date() >= day


# --- 5. An endpoint that names no scope is closed -----------------------------------------------


def test_every_operation_in_the_schema_declares_a_token_scope():
    schema = Client().get("/api/v1/openapi.json").json()
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert operations
    for operation in operations:
        (security,) = operation["security"]
        (name,) = security
        assert name != "Nobody", operation["operationId"]


def test_a_route_registered_without_a_scope_is_refused(settings):
    from ninja.testing import TestClient

    forgot = Router()

    @forgot.get("/open", url_name="forgot_open")
    def open_door(request):
        return {"secret": "everyone's records"}

    built = api_module._build()
    built.add_router("forgot", forgot)
    client = TestClient(built)
    response = client.get("/forgot/open")
    assert response.status_code == 401
    assert "everyone" not in response.content.decode()
    # ... even with a token holding every scope.
    raw = make_token(*sorted(s.name for s in scopes()))
    response = client.get("/forgot/open", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


# --- 6. The token is shown once, after a redirect -----------------------------------------------


def test_the_token_is_shown_once_after_a_redirect_and_a_reload_makes_none(client_for):
    admin = client_for("sysadmin")
    response = admin.post(ADD, {"label": "Dispatch", "scopes": ["oncall.read"]})
    assert response.status_code == 302
    token = ApiToken.objects.get()
    made = reverse("integrations:token_made", args=[token.pk])
    assert response["Location"] == made and "psk_" not in response["Location"]
    first = admin.get(made)
    raw = next(w for w in first.content.decode().split('"') if w.startswith("psk_"))
    assert raw.startswith(f"psk_{token.key}_")
    assert "no-store" in first["Cache-Control"]
    assert call("/api/v1/oncall/coverage", raw).status_code == 200
    again = admin.get(made)  # a reload
    assert again.status_code == 200
    page = again.content.decode()
    assert "already shown" in page and "psk_" not in page
    assert ApiToken.objects.count() == 1
    assert "integrations:made" not in admin.session


def test_a_waiting_token_is_not_readable_in_the_sessions_table(client_for):
    """The database administrator reads the sessions table between the redirect and the
    showing: the waiting token is there only encrypted (and bound to its token's id), so
    nothing in the table authenticates."""
    from django.contrib.sessions.models import Session

    admin = client_for("sysadmin")
    admin.post(ADD, {"label": "Dispatch", "scopes": ["oncall.read"]})
    token = ApiToken.objects.get()
    # What the session row's (signed, not encrypted) data holds.
    decoded = Session.objects.get(pk=admin.session.session_key).get_decoded()
    waiting = decoded["integrations:made"]
    assert waiting["id"] == token.pk and not waiting["raw"].startswith("psk_")
    assert f"psk_{token.key}" not in str(decoded)
    assert call("/api/v1/oncall/coverage", waiting["raw"]).status_code == 401
    # Moved to another token's id, the sealed value does not decrypt: nothing is shown.
    other = services.token_create(actor=None, label="Older", scopes=["oncall.read"])[0]
    session = admin.session
    session["integrations:made"] = {"id": other.pk, "raw": waiting["raw"]}
    session.save()
    page = admin.get(reverse("integrations:token_made", args=[other.pk])).content.decode()
    assert "already shown" in page and "psk_" not in page


def test_another_tokens_made_page_does_not_show_the_waiting_token(client_for):
    admin = client_for("sysadmin")
    other = services.token_create(actor=None, label="Older", scopes=["oncall.read"])[0]
    admin.post(ADD, {"label": "Dispatch", "scopes": ["oncall.read"]})
    page = admin.get(reverse("integrations:token_made", args=[other.pk])).content.decode()
    assert "already shown" in page and "psk_" not in page
    assert admin.get(reverse("integrations:token_made", args=[99999])).status_code == 404
