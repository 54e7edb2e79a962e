"""Reporting periods that close on purpose (reports/periods.py, services.period_close).

A month stays open for records dated in it until the coordinator closes it, or
REPORTS_PERIOD_GRACE_DAYS (10 here) after it ends; a quarter or a year closes with its last
month. Closing publishes; a record dated in a published month later counts as a late entry of
the next open month, shown on that line of its report, and the supporter logging it is told.
The boundaries are crossed on purpose: month, quarter and year ends.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance.notice import current_notice
from peersupport.reports import publishing, report, selectors
from peersupport.reports.models import PeriodClosure
from peersupport.reports.periods import Period, closed_through, is_closed
from peersupport.reports.suppression import ALL, TOTAL
from peersupport.support.models import Contact

from ..matrix.support_supporter import active_supporter
from .helpers import build

PERIODS = reverse("reports:periods")
CLOSE = reverse("reports:period_close")
DASHBOARD = reverse("reports:dashboard")


def at(*args):
    return time_machine.travel(datetime.datetime(*args, 12, tzinfo=datetime.UTC), tick=False)


def contacts(supporter, day, n, **fields):
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=day,
            duration_minutes=30,
            mode=fields.get("mode", Contact.Mode.PHONE),
            requester_type=Contact.RequesterType.SWORN,
            topics=["work_stress"],
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(n)
    )


@pytest.mark.parametrize(
    ("today", "last_closed"),
    [
        # A month end: January closes by itself on the 11th of February.
        (datetime.date(2026, 2, 10), Period(2025, 4, 12)),
        (datetime.date(2026, 2, 11), Period(2026, 1, 1)),
        # A quarter end: Q1 (its last month, March) on 11 April.
        (datetime.date(2026, 4, 10), Period(2026, 1, 2)),
        (datetime.date(2026, 4, 11), Period(2026, 1, 3)),
        # A year end: 2025 on 11 January.
        (datetime.date(2026, 1, 10), Period(2025, 4, 11)),
        (datetime.date(2026, 1, 11), Period(2025, 4, 12)),
        # A leap year: February 2028 has 29 days.
        (datetime.date(2028, 3, 10), Period(2028, 1, 1)),
        (datetime.date(2028, 3, 11), Period(2028, 1, 2)),
    ],
)
def test_months_close_by_themselves_after_the_grace(today, last_closed):
    assert closed_through(today, manual=None, grace_days=10) == last_closed


def test_quarters_and_years_close_with_their_last_month():
    through = Period(2025, 4, 12)
    assert is_closed(Period(2025), through)
    assert is_closed(Period(2025, 4), through)
    assert not is_closed(Period(2026, 1), through)
    assert not is_closed(Period(2025), Period(2025, 4, 11))
    assert is_closed(Period(2025, 3), Period(2025, 4, 11))
    # The coordinator's closure, when later than the grace's, wins; an earlier one changes
    # nothing (closed months stay closed).
    today = datetime.date(2026, 2, 3)
    assert closed_through(today, manual=Period(2026, 1, 1), grace_days=10) == Period(2026, 1, 1)
    assert closed_through(today, manual=Period(2025, 3, 7), grace_days=10) == Period(2025, 4, 12)


@pytest.mark.django_db
def test_the_coordinator_sees_open_months_and_closes_one_with_a_confirmation(personas, client_for):
    supporter = personas["supporter"]
    client = client_for("coordinator")
    with at(2026, 2, 3):
        contacts(supporter, datetime.date(2026, 1, 5), 12)
        build()
        page = client.get(PERIODS).content.decode()
        assert "January 2026" in page
        assert "Open: closes by itself on 11 February 2026" in page
        assert "Closed 11 January 2026" in page  # December, by the grace
        # January is over and open: not reported yet.
        response = client.get(DASHBOARD, {"period": "2026-01"})
        assert response.status_code == 400
        assert "January 2026 is still open" in response.content.decode()

        confirm = client.get(CLOSE, {"period": "2026-01"})
        assert confirm.status_code == 200
        assert "Close January 2026?" in confirm.content.decode()
        assert not PeriodClosure.objects.exists()  # a GET closes nothing

        response = client.post(CLOSE, {"period": "2026-01"})
        assert response.status_code == 302
        closure = PeriodClosure.objects.get()
        assert closure.through == "2026-01"
        assert closure.closed_by == personas["coordinator"]
        event = AuditEvent.objects.get(action=AuditAction.REPORTS_PERIOD_CLOSED)
        assert event.actor_id == personas["coordinator"].pk
        assert event.details == {"period": "2026-01", "months": ["2026-01"]}
        # Published at once, and reported.
        page = client.get(DASHBOARD, {"period": "2026-01"})
        assert page.status_code == 200
        cube = selectors.cube()
        assert cube.protected["contacts"].shown(TOTAL, ALL, Period(2026, 1, 1)) == 12
        assert "Closed 3 February 2026 by the coordinator" in client.get(PERIODS).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-02", "February 2026 is not over yet"),
        ("2025-12", "December 2025 is already closed"),
        ("2025", "2025 is already closed"),
        ("soon", "is not a period"),
        ("2026-13", "There is no month 13"),
    ],
)
def test_a_period_that_cannot_be_closed_is_refused_and_changes_nothing(client_for, period, message):
    client = client_for("coordinator")
    with at(2026, 2, 3):
        for response in (
            client.get(CLOSE, {"period": period}),
            client.post(CLOSE, {"period": period}),
        ):
            assert response.status_code == 400
            assert message in response.content.decode()
        assert not PeriodClosure.objects.exists()
        assert not AuditEvent.objects.filter(action=AuditAction.REPORTS_PERIOD_CLOSED).exists()


@pytest.mark.django_db
def test_closing_a_quarter_closes_its_months_and_earlier_ones(personas, client_for):
    client = client_for("coordinator")
    with at(2026, 4, 2):
        assert client.post(CLOSE, {"period": "2026-Q1"}).status_code == 302
        event = AuditEvent.objects.get(action=AuditAction.REPORTS_PERIOD_CLOSED)
        # January and February had closed by themselves; March is closed now.
        assert event.details == {"period": "2026-Q1", "months": ["2026-03"]}
        assert selectors.closed_through() == Period(2026, 1, 3)
        assert client.get(DASHBOARD, {"period": "2026-Q1"}).status_code == 200
        assert client.get(DASHBOARD, {"period": "2026"}).status_code == 400  # 2026 runs


@pytest.mark.django_db
def test_only_the_coordinator_closes_periods(client_for):
    with at(2026, 2, 3):
        for persona in ("bhs_manager", "chief", "committee_member", "supporter"):
            assert client_for(persona).post(CLOSE, {"period": "2026-01"}).status_code == 403
        assert not PeriodClosure.objects.exists()


@pytest.mark.django_db
def test_a_late_contact_lands_in_the_next_open_month_and_the_year_adds_up(personas, client_for):
    """December 2025 closes by itself on 11 January. Contacts dated in it logged later are
    late entries of January 2026, shown on that line of January's report; 2025's figures
    never change, and 2026's include them (a year is the sum of its months as published)."""
    supporter = personas["supporter"]
    with at(2026, 1, 20):
        contacts(supporter, datetime.date(2025, 12, 3), 20)
        contacts(supporter, datetime.date(2026, 1, 2), 30)
        year = selectors.cube().protected["contacts"].shown(TOTAL, ALL, Period(2025))
        assert year == 20
        contacts(supporter, datetime.date(2025, 12, 20), 8)  # late
    with at(2026, 2, 11):  # January closes by itself
        cube = selectors.cube()
        contacts_ = cube.protected["contacts"]
        assert contacts_.shown(TOTAL, ALL, Period(2025)) == 20
        assert contacts_.shown(TOTAL, ALL, Period(2025, 4, 12)) == 20
        assert contacts_.shown(TOTAL, ALL, Period(2026, 1, 1)) == 38
        assert contacts_.shown(publishing.LATE, publishing.LATE, Period(2026, 1, 1)) == 8
        built = report.build(cube, Period(2026, 1, 1), report.STAFF)
        late = next(f for f in built.sections[0].figures if f.key == "contacts-late")
        assert late.value == 8
        build()
        page = client_for("coordinator").get(DASHBOARD, {"period": "2026-01"}).content.decode()
        assert "Of which late entries (contacts dated in an earlier, closed period)" in page
    with at(2027, 1, 11):  # 2026 closes: its year is the sum of its months, late ones too
        contacts_ = selectors.cube().protected["contacts"]
        assert contacts_.shown(TOTAL, ALL, Period(2026)) == 38
        assert contacts_.shown(TOTAL, ALL, Period(2025)) == 20


@pytest.mark.django_db
def test_the_supporter_is_told_when_a_contact_goes_into_a_closed_month(personas, client_for):
    supporter = personas["supporter"]
    active_supporter(supporter)
    client = client_for("supporter")
    url = reverse("support:contact_new")

    def log(day):
        return client.post(
            url,
            {
                "date": day.isoformat(),
                "duration_minutes": "30",
                "mode": Contact.Mode.PHONE,
                "requester_type": Contact.RequesterType.SWORN,
                "topics": [Contact.Topic.WORK_STRESS],
                "limits_explained": "on",
                "notice_version": current_notice().version,
                "follow_up_on": "",
            },
            follow=True,
        ).content.decode()

    with at(2026, 2, 12):
        selectors.cube()  # January closed by itself yesterday: published now
        assert "closed up to 31 January 2026" in client.get(url).content.decode()
        page = log(datetime.date(2026, 1, 30))
        assert "Contact logged." in page
        assert "January 2026 is already closed" in page
        assert "late entry of the next month still open" in page
        page = log(datetime.date(2026, 2, 2))
        assert "Contact logged." in page
        assert "already closed" not in page


def test_structural_zeros_are_shown():
    """A row that is 0 for the whole year shows 0, not "not shown", in every period, even
    beside hidden cells: anyone can tell it from the year's 0."""
    from peersupport.reports.suppression import PARTITION, Table, Timeline, protect

    jan, feb, mar = Period(2025, 1, 1), Period(2025, 1, 2), Period(2025, 1, 3)
    total = Table(TOTAL, TOTAL, "Total", [(ALL, "All")], {(ALL, jan): 3, (ALL, feb): 40})
    mode = Table(
        "mode",
        PARTITION,
        "Mode",
        [("a", "a"), ("b", "b"), ("video", "video")],
        {("a", jan): 3, ("a", feb): 20, ("b", feb): 20},
    )
    result = protect(
        [total, mode], Timeline(2025, 2025, today=datetime.date(2026, 2, 1)), threshold=5
    )
    assert result.shown(TOTAL, ALL, jan) is None  # 3: small
    for node in (jan, feb, mar, Period(2025, 1), Period(2025)):
        assert result.shown("mode", "video", node) == 0  # never a video contact in 2025
    # March's total is 0, but January's 3 hides every month of the quarter, zeros too (or
    # the hidden months would be known to be at least 1): so March's rows hide with it.
    assert result.shown(TOTAL, ALL, mar) is None
    assert result.shown("mode", "a", mar) is None and result.shown("mode", "b", mar) is None
