"""The second agency sees nothing of the first (issue 23, step 3d; docs/design/agencies.md
§5.3): the canary of every page.

Agency A is the test department with an object behind every URL that takes one (each app's
``URL_KWARGS`` in tests/matrix/ builds it, as the authorization matrix does). A's canaries are
then read from the database itself: every text a person typed or the program stored in a row
of an agency-owned or derived model of A (names, e-mails, descriptions, notes, titles,
labels...), so a new field or model joins without anyone remembering to add it; a text agency
B also has (a default exception category seeded in both) is no canary.

Agency B (tests/system/conftest.py) gets a person for every persona. As each of them, every
page of the matrix they may open is read, and every page of A's objects they may reach by
address, and the person picker is asked for the first letters of A's people: no A canary in
any answer. The same crawl as A's own people finds A's canaries (the search works).
"""

import html
from pathlib import Path

import pytest
from django.db import models
from django.urls import reverse

from peersupport.accounts.models import Employee, Role, Unit
from peersupport.accounts.permissions import PUBLIC
from peersupport.notifications.models import Notification
from peersupport.tenancy import using_agency

from ..conftest import PERSONA_ROLE, PERSONAS, signed_in_client
from .test_agency_scoping import DERIVED, OWNED, _product_models
from .test_authorization_matrix import ALL_URLS, MATRIX, URL_KWARGS, _allowed, _url_for

pytestmark = pytest.mark.django_db

# Fields that hold no text a person could be found or recognised by.
NOT_TEXT = {
    "key",  # a token's hash
    "row_id",
}


def _texts_of(agency) -> set[str]:
    """Every text stored in the agency's rows of its owned and derived models."""
    models_ = _product_models()
    found: set[str] = set()
    with using_agency(agency):
        for label in sorted(OWNED | set(DERIVED)):
            model = models_[label]
            fields = [
                f
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField)
                and not f.choices
                and f.name not in NOT_TEXT
            ]
            if not fields:
                continue
            for row in model.objects.all():
                for f in fields:
                    value = getattr(row, f.attname)
                    if isinstance(value, str):
                        found.add(value.strip())
    return found


def _vocabulary() -> str:
    """The product's own words (its templates and code): a text of A that is also one of them
    (a unit named "Training unit", a page's own label) proves nothing when a page shows it."""
    root = Path(__file__).resolve().parents[2] / "peersupport"
    return "\n".join(
        path.read_text(errors="replace")
        for path in sorted(root.rglob("*"))
        if path.suffix in {".py", ".html", ".txt", ".md"} and "migrations" not in path.parts
    )


def _canaries(a, b, b_people) -> set[str]:
    theirs = _texts_of(b) | {
        text for user in b_people for text in (user.email, user.display_name) if text
    }
    words = _vocabulary()
    # Texts the product writes from its own words: an escalation recipient's reason is the
    # ladder's "Holds the <role> role" (confidentiality/services.py), the same in every agency.
    words += "\n".join(f"Holds the {role.label} role" for role in Role)
    return {
        text
        for text in _texts_of(a)
        if len(text) >= 6
        and not text.isdigit()
        and text not in theirs
        and not any(text in mine for mine in theirs)
        and text not in words
    }


def _leaks(body: str, canaries: set[str]) -> set[str]:
    return {c for c in canaries if c in body or html.escape(c) in body}


def _b_people(agency_b) -> dict:
    """One person of B for each persona of A."""
    people = {"sysadmin": agency_b["sysadmin"], "bhs_manager": agency_b["bhs"]}
    for name, role in PERSONAS.items():
        if name in people:
            continue
        people[name] = agency_b.person(role, f"b-{name}@b.example.org", last_name="Numbat")
    with using_agency(agency_b.agency):
        Unit.objects.filter(pk=agency_b.hq.pk).update(supervisor=people["supervisor"].employee)
    return people


def _plain_urls() -> list[str]:
    """The matrix's pages that take no argument and answer GET."""
    routes = {name: route for route, name, _ in ALL_URLS}
    return sorted(
        name for name, methods in MATRIX.items() if "GET" in methods and "<" not in routes[name]
    )


def _read(client, url) -> tuple[int, str]:
    response = client.get(url)
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "pdf" in kind or "image" in kind:
        return response.status_code, ""  # binary: their text is tested where they are made
    return response.status_code, content.decode(errors="replace")


def _crawl(clients: dict, a_object_urls: dict, canaries: set[str]) -> dict:
    """What each person found of ``canaries`` on every page they may open."""
    found: dict[tuple[str, str], set[str]] = {}
    for persona, client in clients.items():
        roles = frozenset({PERSONA_ROLE[persona]})
        for name in _plain_urls():
            if not _allowed(persona, MATRIX[name]["GET"], roles | {Role.EMPLOYEE}):
                continue
            _status, body = _read(client, reverse(name))
            if leaks := _leaks(body, canaries):
                found[(persona, name)] = leaks
        for name, url in a_object_urls.items():
            if not _allowed(persona, MATRIX[name]["GET"], roles | {Role.EMPLOYEE}):
                continue
            _status, body = _read(client, url)
            if leaks := _leaks(body, canaries):
                found[(persona, url)] = leaks
    return found


def test_nobody_in_agency_b_sees_anything_of_agency_a(dept, personas, client_for, agency_b):
    a = agency_b.agency.__class__.objects.get(is_default=True)
    # A's objects behind every address that takes one, and their addresses.
    # (Not the public ones: a public object's page is anyone's, and a calendar feed's address
    # is its owner's secret, the only key it has.)
    a_object_urls = {
        name: _url_for(name, dept)
        for name in sorted(URL_KWARGS)
        if "GET" in MATRIX.get(name, {}) and PUBLIC not in MATRIX[name]["GET"]
    }
    b_people = _b_people(agency_b)
    canaries = _canaries(a, agency_b.agency, b_people.values())
    assert len(canaries) >= 50, sorted(canaries)  # A's rows were read
    b_clients = {name: signed_in_client(user) for name, user in b_people.items()}
    leaks = _crawl(b_clients, a_object_urls, canaries)
    # The person picker, asked for the first letters of A's people, in every pool.
    with using_agency(a):
        a_names = {e.last_name for e in Employee.objects.all() if len(e.last_name) >= 4}
    a_names |= {u.email for u in personas.values()}
    for persona in ("employee", "sysadmin", "bhs_manager", "coordinator"):
        for pool in ("colleague", "account", "employee", "supporter"):
            for name in a_names:
                url = f"{reverse('web:person_search')}?pool={pool}&field=q&q={name[:4]}"
                _status, body = _read(b_clients[persona], url)
                if hit := _leaks(body, canaries):
                    leaks[(persona, f"picker {pool} {name[:4]}")] = hit
    # What was queued for B's people to read.
    for n in Notification.objects.filter(user__in=b_people.values()):
        text = " ".join(str(v) for v in (n.subject, n.body, n.link) if v)
        if hit := _leaks(text, canaries):
            leaks[("outbox", n.pk)] = hit
    assert not leaks, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(leaks.items(), key=str))
    # Control: A's own people find A's canaries on the same pages.
    a_clients = {name: client_for(name) for name in PERSONAS}
    seen = _crawl(a_clients, a_object_urls, canaries)
    assert len(set().union(*seen.values())) >= 20, seen
