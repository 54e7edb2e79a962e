"""Every GET page of the authorization matrix, as every demo persona who may open it, timed in
one process (bench/pages.py runs it on each engine and size before the load with wrk).

What is measured is the CPU time of one request through the whole Django stack (middleware,
view, template) with Django's test client: ``time.process_time()`` around each request, the
median of at least ``MIN_REQUESTS`` after one warm-up request and one whose queries are
counted (what a page keeps between requests, such as the navigation or a rendered PDF, is warm,
as in production). The database's
own work is in that time for SQLite (same process) and not for PostgreSQL (another process),
so the PostgreSQL ratios understate database-bound pages; the wrk figures of pages.py include
it. The *floor* is the supporter's home page, measured at the start and at the end of the sweep
(the lower of the two); *healthz* passes every middleware and answers with one query. Each
page's ratio is its median over the floor's; a page over ``FLAG`` times the floor is flagged.

The pages' objects (someone's request, a session, a candidacy) are made by the authorization
matrix's own ``URL_KWARGS`` (tests/matrix/), with the demo personas standing in for the test
personas, so the sweep follows the matrix as pages are added.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

FLAG = 10.0
MIN_REQUESTS = 3
MAX_REQUESTS = 30
BUDGET_SECONDS = 0.15  # CPU per page beyond the minimum requests


@dataclass
class Row:
    persona: str
    name: str
    url: str
    status: int
    requests: int
    median_ms: float
    queries: int


class DemoDepartment:
    """The shape of tests.conftest.Department the matrix's URL_KWARGS use, over the demo
    department's personas."""

    def __init__(self):
        from demo.personas import persona_accounts

        self.users = {p.key: user for p, user in persona_accounts() if user is not None}
        employee = self.users["supervisor"].employee
        self.squad = employee.unit
        self.precinct = self.squad.parent or self.squad
        self.hq = self.precinct
        # The factories number what they make from 0, as the demo loader's names may too
        # ("Service 1"): start them far away.
        import factory

        from tests import factories

        for value in vars(factories).values():
            made = isinstance(value, type) and issubclass(value, factory.Factory)
            if made and value._meta.model is not None:
                value.reset_sequence(900_000, force=True)


def _client(user):
    from tests.conftest import signed_in_client

    client = signed_in_client(user)
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    return client


def _time(client, url: str) -> tuple[int, int, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    samples = []
    spent = 0.0
    status = 0
    with CaptureQueriesContext(connection) as counted:
        status = client.get(url).status_code
    queries = len(counted.captured_queries)
    while len(samples) < MIN_REQUESTS or (spent < BUDGET_SECONDS and len(samples) < MAX_REQUESTS):
        before = time.process_time()
        response = client.get(url)
        took = time.process_time() - before
        status = response.status_code
        samples.append(took)
        spent += took
    return status, len(samples), statistics.median(samples) * 1000, queries


def run(log=print) -> dict:
    """Sweep the matrix; returns the floor, healthz and one row per page that answered 200."""
    import logging

    from django.db import IntegrityError, transaction
    from django.test import Client
    from django.urls import reverse

    from tests.system.test_authorization_matrix import MATRIX, _allowed, _url_for

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    dept = DemoDepartment()
    clients = {name: _client(user) for name, user in dept.users.items()}
    home = reverse("web:home")
    floor_before = _time(clients["supporter"], home)[2]
    anonymous = Client(HTTP_HOST="127.0.0.1")
    healthz = _time(anonymous, "/healthz")[2]
    urls = {}
    for name in sorted(MATRIX):
        if "GET" not in MATRIX[name]:
            continue
        try:
            with transaction.atomic():
                urls[name] = _url_for(name, dept)
        except Exception as exc:  # noqa: BLE001 - a page whose object cannot be made here
            log(f"sweep: no URL for {name}: {type(exc).__name__}: {exc}")
    rows: list[Row] = []
    skipped: list[tuple[str, str, str]] = []  # (page, persona, why)
    unmade = {name: "no URL" for name in MATRIX if "GET" in MATRIX[name] and name not in urls}
    for persona, user in dept.users.items():
        roles = frozenset(user.roles)
        for name, url in urls.items():
            if not _allowed(persona, MATRIX[name]["GET"], roles):
                continue
            try:
                status, count, median, queries = _time(clients[persona], url)
            except IntegrityError:
                skipped.append((name, persona, "IntegrityError"))
                continue
            if status != 200:
                skipped.append((name, persona, str(status)))
                continue
            rows.append(Row(persona, name, url, status, count, median, queries))
    floor_after = _time(clients["supporter"], home)[2]
    floor = min(floor_before, floor_after)
    log(
        f"sweep: {len(rows)} pages, floor {floor:.1f} ms, {len(skipped)} not 200 for their "
        f"persona, {len(unmade)} without an object"
    )
    return {
        "floor_ms": floor,
        "floor_spread": [floor_before, floor_after],
        "healthz_ms": healthz,
        "skipped": [list(x) for x in skipped],
        "unmade": sorted(unmade),
        "rows": [row.__dict__ for row in rows],
    }


def section(sweep: dict) -> str:
    """The Markdown table of one engine and size: every page, slowest first."""
    floor = sweep["floor_ms"]
    rows = sorted(sweep["rows"], key=lambda r: -r["median_ms"])
    flagged = [r for r in rows if r["median_ms"] / floor > FLAG]
    lines = [
        f"Every GET page of the authorization matrix as each persona who may open it, in one "
        f"process (bench/sweep.py): {len(rows)} pages. Floor (supporter's home page) "
        f"{floor:.2f} ms CPU per request (start {sweep['floor_spread'][0]:.2f}, end "
        f"{sweep['floor_spread'][1]:.2f}); /healthz {sweep['healthz_ms']:.2f} ms "
        f"({sweep['healthz_ms'] / floor:.2f}× the floor). **{len(flagged)} over {FLAG:.0f}× the "
        f"floor.**",
        "",
        "<details><summary>Every page, slowest first</summary>",
        "",
        "| page | as | CPU ms | × floor | queries | requests |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for r in rows:
        ratio = r["median_ms"] / floor
        mark = " **over 10×**" if ratio > FLAG else ""
        lines.append(
            f"| `{r['name']}` | {r['persona']} | {r['median_ms']:.1f} | {ratio:.1f}{mark} | "
            f"{r['queries']} | {r['requests']} |"
        )
    lines += ["", "</details>", ""]
    skipped = sweep.get("skipped") or []
    if skipped or sweep.get("unmade"):
        lines += [
            "<details><summary>Not measured: pages that did not answer 200 to a persona who "
            "may open them (a redirect, a page for another state of the object), and pages "
            "whose object the sweep could not make</summary>",
            "",
            "| page | as | answer |",
            "|---|---|---|",
            *(f"| `{name}` | {persona} | {why} |" for name, persona, why in sorted(skipped)),
            *(f"| `{name}` | anyone | no object made |" for name in sweep.get("unmade", [])),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)
