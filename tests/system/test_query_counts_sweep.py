"""No page's query count grows with the data: every GET page of the authorization matrix, as
every persona who may open it (issue #21).

Each page is requested after ``growth.grow(dept, 2)`` and again after more of everything
(``grow(dept, 6)`` on top); the second count must not be larger. (It may be smaller: outreach's
suggestions stop searching once they have enough supporters.) Two of each kind first, not
none: a page with no rows to show skips its prefetches, which would look like growth. What a
page refuses this persona (404 for someone else's object) or that is not 200 both times is
left to the authorization matrix test; the sweep asserts it covered most of the matrix's GET
pages. ``SWEEP_PRINT=1 pytest -s`` prints the counts, ``SWEEP_SHOW_SQL=1`` the SQL of a page
that grew (bench/pages.py sweeps the same pages for time).
"""

import os

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ..conftest import PERSONAS
from .growth import grow
from .test_authorization_matrix import MATRIX, _allowed, _url_for

pytestmark = pytest.mark.django_db


def _queries(client, url) -> list[str]:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return [q["sql"] for q in ctx.captured_queries]


def _count(client, url) -> tuple[int, int]:
    # Once to warm what a page keeps between requests (the notice's PDF, the navigation), then
    # counted: the sweep is about the cost every later request pays.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    return resp.status_code, len(ctx.captured_queries)


# The personas in three groups, each a test of its own, so that parallel test processes share
# the sweep (one test of every persona was the longest of the suite: 320 s on PostgreSQL).
GROUPS = {
    "staff": ("coordinator", "bhs_manager", "sysadmin"),
    "oversight": ("advocacy_supervisor", "chief", "supervisor"),
    "members": ("employee", "supporter", "panelist", "committee_member"),
}
assert sorted(p for group in GROUPS.values() for p in group) == sorted(PERSONAS)


def swept_pages(dept, personas=PERSONAS) -> list[tuple[str, str, str]]:
    """(persona, url name, url) for every GET page of the matrix each of ``personas`` may
    open."""
    urls = {}
    for url_name in sorted(MATRIX):
        if "GET" not in MATRIX[url_name]:
            continue
        try:
            with transaction.atomic():
                urls[url_name] = _url_for(url_name, dept)
        except IntegrityError:
            continue
    pages = []
    for persona in personas:
        roles = frozenset(dept.users[persona].roles)
        for url_name, url in urls.items():
            if _allowed(persona, MATRIX[url_name]["GET"], roles):
                pages.append((persona, url_name, url))
    return pages


@pytest.mark.parametrize("group", GROUPS)
def test_no_page_does_work_per_row(group, dept, client_for, capsys):
    # Time stands still: the session's idle renewal (a write every SESSION_RENEW_SECONDS) would
    # otherwise land on whichever page happens to cross it.
    with time_machine.travel(timezone.now(), tick=False):
        _sweep(dept, client_for, capsys, GROUPS[group])


def _sweep(dept, client_for, capsys, personas):
    grow(dept, 2)
    pages = swept_pages(dept, personas)
    first = {(p, n): _count(client_for(p), url) for p, n, url in pages}
    grow(dept, 6)
    second = {(p, n): _count(client_for(p), url) for p, n, url in pages}
    swept = [k for k in first if first[k][0] == 200 and second[k][0] == 200]
    grew = {k: (first[k][1], second[k][1]) for k in swept if second[k][1] > first[k][1]}
    if not grew and not os.environ.get("SWEEP_PRINT"):
        return _assert_covered(swept, pages)
    with capsys.disabled():
        print(f"\nqueries per page, {len(swept)} pages (2 of each -> 8 of each)")
        for key in sorted(swept, key=lambda k: (k[1], k[0])):
            mark = "  GREW" if key in grew else ""
            print(f"  {key[1]:45} as {key[0]:20} {first[key][1]:3} -> {second[key][1]:3}{mark}")
    if grew and os.environ.get("SWEEP_SHOW_SQL"):
        urls = {(p, n): url for p, n, url in pages}
        with capsys.disabled():
            for key in grew:
                print(f"\n--- {key}")
                for sql in _queries(client_for(key[0]), urls[key]):
                    print("   ", sql[:300])
    _assert_covered(swept, pages)
    assert not grew, grew


def _assert_covered(swept, pages) -> None:
    assert len({n for _, n in swept}) >= 0.8 * len({n for _, n, _ in pages}), "sweep too small"
