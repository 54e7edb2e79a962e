"""The REST API (peersupport/integrations/api.py and the domain apps' api.py): each endpoint
answers its scope with the fields documented in docs/api.md, and refuses everything else alike
(no token, a wrong scope, a revoked or expired token, a signed-in browser session: 401);
rate limits (429), bad parameters (422/400, never 500), pages of lists whose queries do not
grow with the data, the audit of reads of people's records, and no protected content in any
answer."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peersupport.accounts.models import Employee, Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.integrations import services
from peersupport.integrations.api_roster import ROSTER_IMPORT
from peersupport.integrations.registry import scope_names
from peersupport.reports.api import REPORTS_READ
from peersupport.resources.api import RESOURCES_READ
from peersupport.roster.api import ONCALL_READ
from peersupport.roster.models import SupporterProfile
from peersupport.support.models import Contact
from peersupport.training.api import TRAINING_READ

from ..factories import (
    AttendanceFactory,
    EmployeeFactory,
    MessageFactory,
    OnCallShiftFactory,
    ResourceFactory,
    SupporterProfileFactory,
    SupportRequestFactory,
    TrainingSessionFactory,
    grant,
)
from ..reports.helpers import build

pytestmark = pytest.mark.django_db

# Every endpoint a GET reaches, its scope and the fields its answer has.
ENDPOINTS = {
    "/api/v1/resources": (RESOURCES_READ, {"count", "limit", "offset", "items"}),
    "/api/v1/training/records": (TRAINING_READ, {"count", "year", "items"}),
    "/api/v1/training/compliance": (TRAINING_READ, {"count", "year", "items"}),
    "/api/v1/oncall/coverage": (
        ONCALL_READ,
        {"start", "end", "covered_hours", "uncovered_hours", "items"},
    ),
    "/api/v1/reports": (REPORTS_READ, {"period", "threshold", "trend", "sections"}),
}
ROSTER_URL = "/api/v1/roster/import"
NOW = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def make_token(*scopes, **fields) -> str:
    _made, raw = services.token_create(actor=None, label="Other system", scopes=scopes, **fields)
    return raw


def call(url, raw="", *, client=None, **params):
    client = client or Client()
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    return client.get(url, params, headers=headers)


def post_csv(body: str, raw: str, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return Client().post(
        f"{ROSTER_URL}?{query}",
        body.encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {raw}"},
    )


@pytest.fixture
def all_scopes():
    return make_token(*sorted(scope_names()))


@pytest.fixture
def data(personas):
    """A little of everything the endpoints read: a resource, a supporter with training and a
    shift, contacts in a closed quarter, and the figures built."""
    ResourceFactory(name="Employee Assistance Program", category="eap", available_24_7=True)
    supporter = personas["supporter"]
    SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
    session = TrainingSessionFactory(
        starts_at=NOW - datetime.timedelta(days=20), ends_at=NOW - datetime.timedelta(days=19)
    )
    AttendanceFactory(day=session.days.get(), user=supporter, hours=Decimal(8))
    OnCallShiftFactory(
        profile=supporter.supporter_profile,
        start=NOW + datetime.timedelta(hours=12),
        end=NOW + datetime.timedelta(hours=20),
    )
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=datetime.date(2025, 11, 3),
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.SWORN,
            topics=["work_stress"],
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(25)
    )
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=datetime.date(2025, 11, 5),
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.FAMILY,
            topics=["grief"],
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(2)
    )
    build()
    return supporter


# --- The door -------------------------------------------------------------------------------


def test_the_schema_lists_every_endpoint_and_there_is_no_docs_page(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = set(schema.json()["paths"])
    assert set(ENDPOINTS) | {ROSTER_URL, "/api/v1/resources/{resource_id}"} <= paths
    # Each operation names its scope as its security scheme.
    schemes = schema.json()["components"]["securitySchemes"]
    assert {RESOURCES_READ, TRAINING_READ, REPORTS_READ, ONCALL_READ, ROSTER_IMPORT} <= set(schemes)
    assert client.get("/api/v1/docs").status_code == 404  # no Swagger UI (a CDN script)
    assert client.get("/api/v1/docs").json() == {
        "detail": "No such endpoint: see /api/v1/openapi.json."
    }


@pytest.mark.parametrize("url", sorted(ENDPOINTS))
def test_each_endpoint_answers_its_scope(data, url):
    scope, fields = ENDPOINTS[url]
    response = call(url, make_token(scope))
    assert response.status_code == 200, response.content
    assert fields <= set(response.json())


def _refused(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("url", sorted(ENDPOINTS) + [ROSTER_URL])
def test_everything_but_the_right_token_is_refused_alike(data, client_for, url):
    scope, _fields = ENDPOINTS.get(url, (ROSTER_IMPORT, None))
    other = next(s for s in sorted(scope_names()) if s != scope)
    revoked, expired = make_token(scope), make_token(scope, expires_at=NOW + datetime.timedelta(1))
    made = services.tokens()
    services.token_revoke(actor=None, token_id=next(t.pk for t in made if t.expires_at is None))
    attempts = [
        call(url),
        call(url, make_token(other)),
        call(url, revoked),
        call(url, revoked[:-2] + "xx"),
        call(url, "psk_nonsense"),
        # A signed-in browser, however privileged, is no integration.
        call(url, client=client_for("sysadmin")),
        call(url, client=client_for("coordinator")),
    ]
    with time_machine.travel(NOW + datetime.timedelta(days=2), tick=False):
        attempts.append(call(url, expired))
    if url == ROSTER_URL:  # a POST endpoint: a GET is the wrong method, whoever asks
        assert all(r.status_code == 405 and r.json()["detail"] for r in attempts)
        assert attempts[0]["Allow"] == "POST"
        for raw in (revoked, make_token(other)):
            _refused(post_csv("employee_number\n", raw))
        _refused(client_for("sysadmin").post(url, b"x", content_type="text/csv"))
        return
    for response in attempts:
        _refused(response)


@override_settings(API_RATE_LIMIT=2)
def test_calls_over_the_rate_limit_wait(data):
    raw = make_token(RESOURCES_READ)
    assert [call("/api/v1/resources", raw).status_code for _ in range(2)] == [200, 200]
    response = call("/api/v1/resources", raw)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "try again" in response.json()["detail"]
    # Another token has its own count.
    assert call("/api/v1/resources", make_token(RESOURCES_READ)).status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/api/v1/resources", {"limit": 0}, 422),
        ("/api/v1/resources", {"limit": 501}, 422),
        ("/api/v1/resources", {"offset": -1}, 422),
        ("/api/v1/resources", {"category": "nonsense"}, 422),
        ("/api/v1/resources/99999999999999999999", {}, 422),
        ("/api/v1/resources/12345", {}, 404),
        ("/api/v1/training/records", {"year": "last"}, 422),
        ("/api/v1/training/compliance", {"year": 1899}, 422),
        ("/api/v1/oncall/coverage", {"days": 32}, 422),
        ("/api/v1/oncall/coverage", {"start": "2026-02-30"}, 422),
        ("/api/v1/reports", {"period": "2026-Q7"}, 400),
        ("/api/v1/reports", {"period": "2031"}, 400),
        ("/api/v1/reports", {"period": "2026-01"}, 400),  # over, but not closed yet
    ],
)
def test_bad_parameters_get_a_reason_never_a_500(data, all_scopes, url, params, status):
    response = call(url, all_scopes, **params)
    assert response.status_code == status, response.content
    assert response.json()["detail"]


# --- The endpoints --------------------------------------------------------------------------


def test_the_resource_directory_pages(personas, all_scopes):
    for n in range(5):
        ResourceFactory(name=f"Service {n}")
    retired = ResourceFactory(name="Closed down", retired_at=timezone.now())
    page = call("/api/v1/resources", all_scopes, limit=2, offset=1).json()
    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [r["name"] for r in page["items"]] == ["Service 1", "Service 2"]
    assert {"phone", "category_label", "available_24_7"} <= set(page["items"][0])
    assert call("/api/v1/resources", all_scopes, offset=99).json()["items"] == []
    assert call(f"/api/v1/resources/{retired.pk}", all_scopes).status_code == 404


def _queries(url, raw, **params) -> int:
    Client().get(url, params, headers={"Authorization": f"Bearer {raw}"})  # warm
    with CaptureQueriesContext(connection) as ctx:
        response = call(url, raw, **params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_data(data, all_scopes):
    urls = sorted(ENDPOINTS)
    before = {url: _queries(url, all_scopes) for url in urls}
    for n in range(6):
        ResourceFactory(name=f"More {n}")
        profile = SupporterProfileFactory(status=SupporterProfile.Status.ACTIVE)
        session = TrainingSessionFactory(
            starts_at=NOW - datetime.timedelta(days=10 + n),
            ends_at=NOW - datetime.timedelta(days=10 + n, hours=-4),
        )
        AttendanceFactory(day=session.days.get(), user=profile.user)
        OnCallShiftFactory(profile=profile, start=NOW + datetime.timedelta(hours=n))
    build()
    assert {url: _queries(url, all_scopes) for url in urls} == before


def test_training_records_and_compliance_are_audited_per_call(data, personas):
    raw = make_token(TRAINING_READ)
    key = raw.split("_")[1]
    records = call("/api/v1/training/records", raw, year=2026).json()
    assert records["count"] == 1
    item = records["items"][0]
    assert item["employee_number"] == personas["supporter"].employee.employee_number
    assert Decimal(item["hours_credited"]) == Decimal(8)
    assert item["date"] == "2026-01-21"
    compliance = call("/api/v1/training/compliance", raw).json()
    assert compliance["year"] == 2026
    (row,) = compliance["items"]
    assert row["employee_number"] == personas["supporter"].employee.employee_number
    assert row["supporter_status"] == "active"
    assert row["status"] == "initial_pending"
    number = personas["supporter"].employee.employee_number
    assert call("/api/v1/training/compliance", raw, employee_number=number).json()["count"] == 1
    assert call("/api/v1/training/records", raw, employee_number="NOBODY").json()["count"] == 0
    events = AuditEvent.objects.filter(action=AuditAction.TRAINING_EXPORTED).order_by("seq")
    assert events.count() == 4  # one per call
    events = list(events)[:2]
    assert [(e.actor_id, e.details["token"], e.details["what"]) for e in events] == [
        (None, key, "records"),
        (None, key, "compliance"),
    ]


def test_report_figures_are_suppressed_as_on_the_reports_pages(data, all_scopes):
    from peersupport.reports import builds, report
    from peersupport.reports.periods import parse

    answer = call("/api/v1/reports", all_scopes, period="2025-Q4").json()
    assert answer["period"] == "2025-Q4"
    support = next(s for s in answer["sections"] if s["key"] == "support")
    by_type = next(t for t in support["tables"] if t["slug"] == "contacts-requester_type")
    family = next(r for r in by_type["rows"] if r["key"] == "family")
    assert family["value"] is None and family["suppressed"] is True  # two: a small number
    # Exactly what the committee's report shows, cell by cell; nothing of the staff's sections.
    built = report.build(builds.current().cube, parse("2025-Q4"), report.COMMITTEE)
    shown = built.table("contacts-requester_type")
    assert [r["value"] for r in by_type["rows"]] == [r.value for r in shown.rows]
    assert "escalations" not in {s["key"] for s in answer["sections"]}
    # The default is the last closed quarter.
    assert call("/api/v1/reports", all_scopes).json()["period"] == "2025-Q4"


def test_oncall_coverage_counts_and_never_names(data, all_scopes, personas, dept):
    answer = call("/api/v1/oncall/coverage", all_scopes, start="2026-02-10", days=2).json()
    assert answer["covered_hours"] == 8
    assert answer["uncovered_hours"] == 40
    assert [(s["on_call"], s["covered"]) for s in answer["items"]] == [
        (0, False),
        (1, True),
        (0, False),
    ]
    # A second supporter's overlapping shift and a shift of someone not listed.
    other = SupporterProfileFactory(status=SupporterProfile.Status.ACTIVE)
    EmployeeFactory(user=other.user, unit=dept.squad)
    grant(other.user, Role.PEER_SUPPORTER)
    OnCallShiftFactory(
        profile=other,
        start=NOW + datetime.timedelta(hours=16),
        end=NOW + datetime.timedelta(hours=22),
    )
    OnCallShiftFactory(profile=SupporterProfileFactory(), start=NOW)
    answer = call("/api/v1/oncall/coverage", all_scopes, start="2026-02-10", days=2).json()
    assert [s["on_call"] for s in answer["items"]] == [0, 1, 2, 1, 0]
    assert answer["covered_hours"] == 10
    text = json.dumps(answer)
    assert personas["supporter"].display_name not in text


# --- The roster sync ------------------------------------------------------------------------

HEADER = (
    "employee_number,first_name,last_name,work_email,unit,position,supervisor_number,status,"
    "hire_date,separation_date,employee_type\n"
)


def _roster(dept, *extra) -> str:
    lines = [
        f"{e.employee_number},{e.first_name},{e.last_name},{e.work_email or ''},"
        f"{'/'.join(u.name for u in reversed(list(_path(e.unit))))},{e.rank_title or 'Officer'},,"
        f"{e.status},,,{e.employee_type}"
        for e in Employee.objects.select_related("unit").order_by("pk")
    ]
    return HEADER + "\n".join([*lines, *extra]) + "\n"


def _path(unit):
    while unit is not None:
        yield unit
        unit = unit.parent


def test_a_roster_is_a_dry_run_unless_applied(dept):
    raw = make_token(ROSTER_IMPORT)
    new = "NEW-1,Ada,Byron,ada@pd.example.org,Demo PD/Patrol Bureau,Officer,,active,,,sworn"
    body = _roster(dept, new)
    dry = post_csv(body, raw)
    assert dry.status_code == 200, dry.content
    assert dry.json()["applied"] is False
    assert dry.json()["counts"]["added"] == 1
    assert not Employee.objects.filter(employee_number="NEW-1").exists()
    applied = post_csv(body, raw, apply="true")
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"] is True
    assert Employee.objects.filter(employee_number="NEW-1").exists()
    event = AuditEvent.objects.get(action=AuditAction.ROSTER_IMPORTED)
    assert event.actor_id is None and event.details["source"] == "api"
    # The same file again changes nothing.
    again = post_csv(body, raw, apply="true").json()
    assert again["counts"]["added"] == 0 and again["counts"]["changed"] == 0


def test_a_roster_with_errors_is_refused_by_line(dept):
    raw = make_token(ROSTER_IMPORT)
    body = _roster(dept, "BAD-1,Ann,Lee,,Demo PD,Officer,,sometimes,,,sworn")
    response = post_csv(body, raw, apply="true")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and errors[0]["line"] == body.count("\n")
    assert not Employee.objects.filter(employee_number="BAD-1").exists()
    broken = post_csv("not,a,roster\n", raw)
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["line"] == 1
    assert post_csv("", raw).status_code == 400


def test_one_roster_import_at_a_time(dept):
    from django.core.cache import cache

    raw = make_token(ROSTER_IMPORT)
    cache.add("api-roster-import", 1)
    try:
        response = post_csv(_roster(dept), raw, apply="true")
    finally:
        cache.delete("api-roster-import")
    assert response.status_code == 409
    assert "Another roster import" in response.json()["detail"]


@override_settings(ROSTER_IMPORT_MAX_BYTES=1024)
def test_a_roster_too_large_is_refused(dept):
    response = post_csv(HEADER + "x" * 2000, make_token(ROSTER_IMPORT))
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


# --- Nothing protected ----------------------------------------------------------------------

CANARY = "Canary-7f3a9"


def test_no_answer_holds_protected_content(data, all_scopes, personas):
    """A requester's name, contact detail and message, a codename-like string and the notes
    of support, seeded with a canary: no endpoint's JSON holds it, however asked."""
    request = SupportRequestFactory(
        identity={
            "name": f"{CANARY} name",
            "contact_method": "phone",
            "contact_detail": f"{CANARY} 555",
            "best_times": f"{CANARY} evenings",
        },
    )
    MessageFactory(request=request, body=f"{CANARY} message")
    employee = personas["employee"].employee
    employee.preferred_name = CANARY  # the requester is an employee; they never trained
    employee.save(update_fields=["preferred_name"])
    build()
    answers = [call(url, all_scopes).content.decode() for url in sorted(ENDPOINTS)]
    answers += [
        call("/api/v1/training/records", all_scopes, year=2025).content.decode(),
        call("/api/v1/reports", all_scopes, period="2025").content.decode(),
        post_csv(_roster(None), all_scopes).content.decode(),
    ]
    for answer in answers:
        assert CANARY not in answer


def test_the_schema_is_built_once_per_process_and_is_ninjas_own(client, monkeypatch):
    from peersupport.integrations import api as api_module

    monkeypatch.setattr(api_module, "_schemas", {})
    built = []
    the_api = api_module.api()
    real = the_api.get_openapi_schema

    def counting(**kwargs):
        built.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(the_api, "get_openapi_schema", counting)
    first = client.get("/api/v1/openapi.json")
    second = client.get("/api/v1/openapi.json")
    assert len(built) == 1
    assert first.content == second.content
    assert first["Content-Type"].startswith("application/json")
    assert first.json() == json.loads(json.dumps(real(), default=str))
    assert client.post("/api/v1/openapi.json").status_code == 405


def test_a_token_works_inside_its_own_agency(dept, settings):
    """Issue 23, step 2: the API acts for the token's agency. A roster sent with another
    agency's token plans against that agency's (empty) roster and adds the people there."""
    from peersupport.accounts.models import Agency
    from peersupport.tenancy import using_agency

    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    other = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    with using_agency(other):
        raw = make_token(ROSTER_IMPORT)
    body = HEADER + "B-1,Bea,Bee,bea@b.example.org,B HQ,Officer,,active,,,sworn\n"
    dry = post_csv(body, raw)
    assert dry.status_code == 200, dry.content
    # Nobody of this agency is on record there: one added, nobody of ours changed or separated.
    assert dry.json()["counts"]["added"] == 1
    assert dry.json()["counts"]["separated"] == 0
    applied = post_csv(body, raw, apply="true")
    assert applied.status_code == 200, applied.content
    added = Employee.everywhere.get(employee_number="B-1")
    assert added.agency_id == other.pk and added.unit.agency_id == other.pk
    assert not Employee.objects.filter(employee_number="B-1").exists()  # not in ours
    event = AuditEvent.objects.get(action=AuditAction.ROSTER_IMPORTED)
    assert event.agency_id == other.pk
