"""The coordinator's roster: one page at a time, counts by status, and the supporters who may
need the coordinator's attention (from what the roster stores)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import RoleGrant
from peersupport.roster.models import SupporterProfile
from peersupport.web.pagination import PER_PAGE

from ..factories import SupporterProfileFactory, UserFactory
from .helpers import Availability, Status, make_supporter

CONCERNS = ("off", "overdue", "unlisted")

pytestmark = pytest.mark.django_db

ROSTER = reverse("roster:manage")
NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))


def _names(resp) -> list[str]:
    return [p.name for p in resp.context["page"]]


@pytest.fixture
def people(dept):
    with time_machine.travel(NOW - timedelta(days=45), tick=False):
        off_long = make_supporter(
            dept.squad, first="Olga", last="Off", availability=Availability.OFF
        )
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        off_lately = make_supporter(
            dept.squad, first="Lena", last="Lately", availability=Availability.OFF
        )
    away = make_supporter(dept.squad, first="Ari", last="Away", status=Status.INACTIVE)
    SupporterProfile.objects.filter(pk=away.pk).update(
        inactive_until=NOW.date() - timedelta(days=1)
    )
    back_later = make_supporter(dept.squad, first="Bo", last="Back", status=Status.INACTIVE)
    SupporterProfile.objects.filter(pk=back_later.pk).update(
        inactive_until=NOW.date() + timedelta(days=9)
    )
    revoked = make_supporter(dept.squad, first="Rey", last="Revoked")
    RoleGrant.objects.filter(user=revoked.user).update(revoked_at=NOW - timedelta(days=1))
    listed = make_supporter(dept.squad, first="Lee", last="Listed")
    return {
        "off_long": off_long,
        "off_lately": off_lately,
        "away": away,
        "back_later": back_later,
        "revoked": revoked,
        "listed": listed,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("concern", "who"), [("off", "Olga Off"), ("overdue", "Ari Away"), ("unlisted", "Rey Revoked")]
)
def test_each_concern_lists_only_its_supporters(client_for, people, concern, who):
    resp = client_for("coordinator").get(ROSTER, {"concern": concern})
    assert resp.status_code == 200
    assert _names(resp) == [who]
    counts = {key: n for key, _label, n in resp.context["concerns"]}
    assert counts == {"off": 1, "overdue": 1, "unlisted": 1}
    assert f'href="?concern={concern}" aria-current="page"' in resp.content.decode()


@time_machine.travel(NOW, tick=False)
def test_statuses_are_counted_and_filtered(client_for, people):
    resp = client_for("coordinator").get(ROSTER, {"status": "inactive"})
    assert sorted(_names(resp)) == ["Ari Away", "Bo Back"]
    statuses = {value: n for value, _label, n in resp.context["statuses"]}
    assert statuses["active"] == 4 and statuses["inactive"] == 2


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("query", [{"concern": "<script>"}, {"status": "nope", "page": "x"}])
def test_unknown_filters_show_everyone(client_for, people, query):
    resp = client_for("coordinator").get(ROSTER, query)
    assert resp.status_code == 200
    assert len(_names(resp)) == 6


def test_the_roster_has_pages(client_for, dept):
    for i in range(PER_PAGE + 3):
        make_supporter(dept.squad, first=f"P{i:03d}", last="Person")
    first = client_for("coordinator").get(ROSTER)
    assert len(_names(first)) == PER_PAGE
    assert "Page 1 of 2" in first.content.decode()
    second = client_for("coordinator").get(ROSTER, {"page": 2})
    assert len(_names(second)) == 3
    assert not set(_names(first)) & set(_names(second))


def test_only_roster_keepers_see_it(client_for, people):
    assert client_for("supporter").get(ROSTER, {"concern": "off"}).status_code == 403
    assert client_for("employee").get(ROSTER).status_code == 403


def test_the_roster_is_the_same_queries_however_many_supporters(client_for, dept):
    """The page (session, account, roles aside): its rows with their count, and every count
    of the filters; one more for the accounts of appointed supporters (whether their initial
    training is complete is asked of each, as before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("coordinator")

    def queries(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ROSTER, params).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    make_supporter(dept.squad, first="One", last="Only")
    few = [queries(), queries(status="inactive"), queries(concern="unlisted")]
    for i in range(PER_PAGE + 5):
        make_supporter(dept.precinct, first=f"F{i}", last=f"L{i:02d}", status=Status.INACTIVE)
    many = [queries(), queries(status="inactive"), queries(concern="unlisted")]
    assert [len(q) for q in few] == [len(q) for q in many]
    assert sum("roster_supporterprofile" in sql for sql in many[0]) == 2


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "filters",
    [{}, *({"status": value} for value in Status.values), *({"concern": c} for c in CONCERNS)],
)
def test_the_page_lists_what_roster_rows_lists(people, dept, filters):
    """``roster_page`` (plain values, one hand-written query) against ``roster_rows`` (the
    ORM): the same supporters in the same order, each row saying the same."""
    from peersupport.roster import selectors

    SupporterProfileFactory(user=UserFactory(display_name="No Record"), status=Status.RETIRED)
    expected = selectors.roster_prepare(selectors.roster_rows(**filters))
    entries, total = selectors.roster_page(limit=100, **filters)
    assert entries == [selectors.roster_entry(p) for p in expected]
    assert total == len(expected)
    for offset in range(0, len(expected) + 1, 2):
        part, _total = selectors.roster_page(limit=2, offset=offset, **filters)
        assert part == entries[offset : offset + 2]
