"""Program reports: who sees which sections, suppression on the pages and in the exports, bad
periods and filters (400, never 500), an empty period, the audit of exports, query counts that
do not grow with the data, and no encrypted column ever read. The suppression itself is proven
in tests/reports/test_suppression.py."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.reports import report, selectors
from peersupport.reports.models import Rendered
from peersupport.reports.periods import Period
from peersupport.support.models import Contact

from .helpers import build

NOW = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)
DASHBOARD = reverse("reports:dashboard")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def contacts(supporter, day, n, **fields):
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=day,
            duration_minutes=fields.get("minutes", 30),
            mode=fields.get("mode", Contact.Mode.PHONE),
            requester_type=fields.get("requester_type", Contact.RequesterType.SWORN),
            topics=fields.get("topics", ["work_stress"]),
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(n)
    )


@pytest.fixture
def activity(personas):
    supporter = personas["supporter"]
    for month in (10, 11, 12):
        contacts(supporter, datetime.date(2025, month, 3), 20)
        contacts(supporter, datetime.date(2025, month, 4), 12, mode=Contact.Mode.IN_PERSON)
    # Two family contacts in November: a small count.
    contacts(
        supporter,
        datetime.date(2025, 11, 5),
        2,
        requester_type=Contact.RequesterType.FAMILY,
        topics=["grief"],
    )
    build()
    return supporter


def row(table, key):
    return next(r for r in table.rows if r.key == key)


@pytest.mark.parametrize("persona", ["coordinator", "bhs_manager", "chief", "committee_member"])
def test_each_audience_sees_its_dashboard(client_for, activity, persona):
    response = client_for(persona).get(DASHBOARD, {"period": "2025-Q4"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Program reports: Q4 2025" in content
    assert "Contacts by mode" in content
    assert ("Contacts by the supporter" in content) == (persona != "committee_member")
    assert ("Confidentiality escalations" in content) == (persona != "committee_member")
    assert ("Supporter load" in content) == (persona in ("coordinator", "bhs_manager"))
    # Strict CSP: no inline style or script; charts are SVG with presentation attributes.
    assert 'style="' not in content
    assert "<svg" in content
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", content)


def test_small_counts_and_their_complements_are_hidden(activity):
    cube = selectors.cube()
    built = report.build(cube, Period(2025, 4), report.STAFF)
    kinds = built.table("contacts-requester_type")
    assert row(kinds, "family").value is None  # 2 contacts
    assert row(kinds, "sworn").value is None  # would give family as total minus sworn
    assert kinds.total.value == 98
    november = report.build(cube, Period(2025, 4, 11), report.STAFF)
    assert row(november.table("contacts-topic"), "grief").value is None
    assert row(november.table("contacts-topic"), "grief").share is None


def test_csv_hides_the_same_cells_and_is_audited(client_for, personas, activity):
    url = reverse("reports:table_csv", kwargs={"slug": "contacts-requester_type"})
    response = client_for("chief").get(url, {"period": "2025-Q4"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("category,contacts,share")
    family = next(line for line in lines if line.startswith("Family member"))
    assert family.split(",")[1] == "suppressed"
    event = AuditEvent.objects.filter(action=AuditAction.REPORTS_CSV_EXPORTED).get()
    assert event.actor_id == personas["chief"].pk
    assert event.details == {"period": "2025-Q4", "table": "contacts-requester_type"}


def test_committee_cannot_export_a_table_it_does_not_see(client_for, activity):
    url = reverse("reports:table_csv", kwargs={"slug": "contacts-bureau"})
    assert client_for("committee_member").get(url, {"period": "2025-Q4"}).status_code == 404
    assert not Rendered.objects.filter(key__startswith="csv:committee").exists()  # nothing kept
    assert client_for("coordinator").get(url, {"period": "2025-Q4"}).status_code == 200


def test_program_report_pdf(client_for, activity):
    response = client_for("committee_member").get(
        reverse("reports:report_pdf"), {"period": "2025-Q4"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditAction.REPORTS_PDF_EXPORTED).count() == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "2025-13"}, "There is no month 13"),
        ({"period": "2025-Q5"}, "There is no quarter 5"),
        ({"period": "last week"}, "is not a period"),
        ({"period": "2026-Q1"}, "Q1 2026 is not over yet"),
        ({"period": "2031"}, "2031 is not over yet"),
        ({"period": "1066"}, "1066 is not a year"),
        ({"bureau": "north"}, "“bureau” is not a filter"),
    ],
)
def test_bad_periods_and_filters_get_a_clear_400(client_for, query, message):
    build()
    response = client_for("coordinator").get(DASHBOARD, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_bad_input_to_the_exports_is_400(client_for):
    build()
    client = client_for("chief")
    csv_url = reverse("reports:table_csv", kwargs={"slug": "contacts-mode"})
    assert client.get(csv_url, {"period": "2025-00"}).status_code == 400
    assert client.get(csv_url, {"sort": "x"}).status_code == 400
    pdf = client.get(reverse("reports:report_pdf"), {"period": "2025-Q7"})
    assert pdf.status_code == 400
    # The dashboard's page with the picker and the message, not a bare text answer.
    assert pdf["Content-Type"].startswith("text/html")
    assert "There is no quarter 7" in pdf.content.decode()
    assert 'role="alert"' in pdf.content.decode()
    assert client.get(reverse("reports:table_csv", kwargs={"slug": "nope"})).status_code == 404


def test_a_period_with_no_data_is_an_empty_state(client_for, activity):
    response = client_for("coordinator").get(DASHBOARD, {"period": "2024-03"})
    assert response.status_code == 200
    assert "Nothing recorded in March 2024" in response.content.decode()


def test_default_period_is_the_last_quarter_over(client_for, activity):
    response = client_for("coordinator").get(DASHBOARD)
    assert response.status_code == 200
    assert "Program reports: Q4 2025" in response.content.decode()


def _dashboard_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(DASHBOARD, {"period": "2025-Q4"}).status_code == 200
    return ctx.captured_queries


def test_query_count_stays_constant_as_data_grows(client_for, personas, activity):
    """The first view of a build (the period's report rendered once) and the views after it
    (read back) make as many queries with a year more of contacts."""
    client = client_for("coordinator")
    _dashboard_queries(client)  # warm the per-process caches (content types, sessions)
    build()
    before = (len(_dashboard_queries(client)), len(_dashboard_queries(client)))
    assert before[1] < before[0]
    for month in range(1, 13):
        contacts(personas["supporter"], datetime.date(2024, month, 9), 15, mode="video")
        contacts(personas["bhs_manager"], datetime.date(2025, month, 2), 7, topics=["grief"])
    build()
    assert (len(_dashboard_queries(client)), len(_dashboard_queries(client))) == before


ENCRYPTED_COLUMNS = {
    "identity",
    "body",
    "person_name",
    "items",
    "recipients",
    "purpose",
    "signature",
    "description",
    "summary",
    "how_to_reach",
    "note",
    "resolution",
    "notes",
}


def test_no_encrypted_column_is_ever_read(activity):
    with CaptureQueriesContext(connection) as ctx:
        report.build(selectors.cube(), Period(2025, 4), report.STAFF)
    assert ctx.captured_queries
    for query in ctx.captured_queries:
        sql = query["sql"]
        for column in ENCRYPTED_COLUMNS:
            assert f'."{column}"' not in sql, (column, sql)


def _sessions(opened_by, event_type, starts, attendances):
    from peersupport.outreach.models import GroupSession, Outreach

    outreach = Outreach.objects.create(
        event_type=event_type,
        event_date=starts.date(),
        description="x",
        opened_by=opened_by,
    )
    for i, attendance in enumerate(attendances):
        GroupSession.objects.create(
            outreach=outreach,
            starts_at=starts + datetime.timedelta(days=i),
            place="Hall",
            facilitator="F",
            attendance=attendance,
            created_by=opened_by,
        )


def test_group_sessions_and_their_attendance_are_reported_and_protected(client_for, personas):
    """Sessions held (attendance recorded) and the people who came, by month and event, on the
    dashboard, in the CSV and in the PDF; a session of three is a small count, hidden with a
    complement."""
    coordinator = personas["coordinator"]
    october = datetime.datetime(2025, 10, 6, 18, tzinfo=datetime.UTC)
    _sessions(coordinator, "critical_incident", october, [12, 9, 15, 8, 11, 10])
    _sessions(coordinator, "ld_injury", october, [3])  # three people at one session
    _sessions(coordinator, "ld_death", october, [None])  # not held yet: attendance unknown
    built = report.build(selectors.cube(), Period(2025, 4, 10), report.COMMITTEE)
    sessions = built.table("group_sessions-event_type")
    assert sessions.total.value == 7
    assert row(sessions, "ld_injury").value is None  # one session
    assert row(sessions, "critical_incident").value is None  # its complement
    # Not held yet (attendance not recorded): 0, hidden with the others all the same, or the
    # two hidden rows would be known to be at least 1 each (suppression.py, rule 2).
    assert row(sessions, "ld_death").value is None
    attendance = built.table("group_attendance-event_type")
    assert attendance.total.value == 68
    assert row(attendance, "ld_injury").value is None  # 3 people
    assert row(attendance, "critical_incident").value is None  # would be 68 - 65 = 3
    outreach = next(s for s in built.sections if s.key == "outreach")
    figures = {f.key: f.value for f in outreach.figures}
    assert figures["group_sessions"] == 7
    assert figures["group_attendance"] == 68

    build()
    client = client_for("committee_member")
    page = client.get(DASHBOARD, {"period": "2025-10"}).content.decode()
    assert "Group sessions held" in page
    assert "Attendance at group sessions, by event" in page
    url = reverse("reports:table_csv", kwargs={"slug": "group_attendance-event_type"})
    lines = client.get(url, {"period": "2025-10"}).content.decode().splitlines()
    injury = next(line for line in lines if line.startswith("Line-of-duty injury"))
    assert injury.split(",")[1] == "suppressed"
    assert next(line for line in lines if line.startswith("Total")).split(",")[1] == "68"
    pdf = client.get(reverse("reports:report_pdf"), {"period": "2025-10"})
    assert pdf.status_code == 200


def test_the_annual_report_is_a_pdf_too(client_for, activity):
    response = client_for("chief").get(reverse("reports:report_pdf"), {"period": "2025"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    page = client_for("chief").get(DASHBOARD, {"period": "2025"}).content.decode()
    assert "Annual report for 2025 (PDF)" in page


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("+16", "+16"),
        ("-3", "-3"),
        ("-2.5%", "-2.5%"),
        ("no change", "no change"),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
    ],
)
def test_csv_cells_keep_numbers_and_defuse_formulas(cell, written):
    from peersupport.reports.outputs import csv_cell

    assert csv_cell(cell) == written


def test_the_change_column_of_the_csv_is_plain_numbers(client_for, activity):
    url = reverse("reports:table_csv", kwargs={"slug": "contacts-mode"})
    lines = client_for("coordinator").get(url, {"period": "2025-12"}).content.decode().splitlines()
    changes = [line.rsplit(",", 1)[1] for line in lines[1:]]
    assert changes and not any(c.startswith("'") for c in changes)


def test_a_total_of_zero_has_no_share(client_for, activity):
    page = client_for("coordinator").get(DASHBOARD, {"period": "2025-Q4"}).content.decode()
    # Requests: none in the quarter, so their total is 0 and its share is not 100%.
    table = re.search(r'id="requests-kind-h".*?</section>', page, re.S).group(0)
    total = re.search(r'<tr class="report-total">.*?</tr>', table, re.S).group(0)
    assert re.search(r"<td>0\s*</td>", total)
    assert "100%" not in total


def test_the_dashboard_shows_the_summary_and_keeps_tables_on_demand(client_for, activity):
    page = client_for("coordinator").get(DASHBOARD, {"period": "2025-Q4"}).content.decode()
    assert page.count('<details class="report-details">') == 6  # one per section with tables
    first_details = page.index('<details class="report-details">')
    assert page.index("Hours of contact") < first_details  # the figures come first
    assert page.index('id="contacts-mode-h"') > first_details  # tables inside
    assert 'href="#section-outreach"' in page
