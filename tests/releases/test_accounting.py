"""The accounting of releases and disclosures: what the person sees of their own, what the BHS
manager reads and filters, nobody else; query counts that do not grow with the releases, and
selectors that answer 404 to outsiders."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance.notice import current_notice
from peersupport.releases import selectors, services
from peersupport.support import services as support_services
from peersupport.support.models import ContactMethod, RequesterKind

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from ..matrix.releases import signed_release
from ..matrix.support_supporter import held_request
from .helpers import ITEMS, PURPOSE, RECIPIENTS, D, other_supporter

pytestmark = pytest.mark.django_db


# --- The person's accounting -------------------------------------------------------------------


def employee_request_held_by(supporter, employee):
    created = support_services.request_create(
        requester=employee,
        kind=RequesterKind.EMPLOYEE,
        name="Emery Employee",
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    offer = created.request.offers.get(answer="pending")
    assert offer.supporter == supporter
    return support_services.offer_answer(actor=supporter, offer=offer, accept=True)


def test_the_employee_sees_their_releases_and_disclosures(personas, supporter, client_for):
    employee = personas["employee"]
    req = employee_request_held_by(supporter, employee)
    release = signed_release(supporter, req, person_name="Emery Employee")
    services.disclosure_record(
        actor=supporter,
        release=release,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[1],
        items=[ITEMS[1]],
        purpose=PURPOSE,
    )
    services.disclosure_record(
        actor=personas["bhs_manager"],
        release=release,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[0],
        items=ITEMS,
        purpose=PURPOSE,
    )
    before = AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).count()
    url = reverse("support:my_request", kwargs={"public_id": req.public_id})
    body = client_for("employee").get(url).content.decode()
    assert "Your releases of information" in body and release.number in body
    for shown in (RECIPIENTS[1], ITEMS[1], PURPOSE, "Your peer supporter", "The BHS manager"):
        assert shown in body, shown
    # Who disclosed is shown as a role, not a name.
    assert f"{supporter} (peer supporter)" not in body and "(BHS manager)" not in body
    assert supporter.email not in body and personas["bhs_manager"].email not in body
    # Reading one's own accounting is not audited: the event would say who sought help.
    assert AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).count() == before
    # Another employee's page shows nothing of it.
    other = UserFactory(email="other.employee@pd.example.org")
    EmployeeFactory(user=other, work_email=other.email)
    assert signed_in_client(other).get(url).status_code == 404


def test_the_codename_page_shows_the_accounting(supporter):
    created = support_services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name="Fran Family",
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    req = support_services.offer_answer(
        actor=supporter, offer=created.request.offers.get(), accept=True
    )
    release = signed_release(supporter, req, person_name="Fran Family")
    services.release_revoke(actor=supporter, release=release)
    visitor = Client()
    visitor.post(reverse("support:check"), {"codename": created.codename})
    body = visitor.get(reverse("support:status")).content.decode()
    assert f"Release {release.number}: revoked" in body
    assert "Nothing has been disclosed under it." in body


def test_a_request_without_releases_shows_no_section(personas, supporter, client_for):
    req = employee_request_held_by(supporter, personas["employee"])
    url = reverse("support:my_request", kwargs={"public_id": req.public_id})
    assert "Your releases of information" not in client_for("employee").get(url).content.decode()


# --- The BHS manager's accounting ----------------------------------------------------------------


def test_the_bhs_manager_reads_every_release_and_filters(dept, client_for, req, supporter):
    other, _ = other_supporter(dept)
    mine = signed_release(supporter, req)
    theirs = signed_release(other, held_request(other), disclosers=D.SUPPORTER)
    services.disclosure_record(
        actor=supporter,
        release=mine,
        disclosed_on=timezone.localdate(),
        recipient=RECIPIENTS[0],
        items=[ITEMS[0]],
        purpose=PURPOSE,
    )
    services.release_revoke(actor=other, release=theirs)
    bhs = client_for("bhs_manager")
    url = reverse("releases:accounting")
    page = bhs.get(url)
    assert page.status_code == 200
    assert [r.pk for r, _ in page.context["rows"]] == [theirs.pk, mine.pk]
    body = page.content.decode()
    assert body.count("Pat Quill") == 1  # only where the person named the BHS manager
    assert "Not shown to you" in body
    event = AuditEvent.objects.filter(action=AuditAction.RELEASE_VIEWED).last()
    assert event.details == {"part": "accounting", "releases": [theirs.pk, mine.pk]}

    def shown(**query):
        resp = bhs.get(url, query)
        assert resp.status_code == 200, resp.context["form"].errors
        return [r.pk for r, _ in resp.context["rows"]]

    assert shown(status="revoked") == [theirs.pk]
    assert shown(status="valid") == [mine.pk]
    assert shown(supporter=other.pk) == [theirs.pk]
    assert shown(disclosed_only="on") == [mine.pk]
    assert shown(signed_from=(timezone.localdate() + timedelta(days=1)).isoformat()) == []
    for bad in ({"status": "lost"}, {"supporter": "x"}, {"signed_from": "2025-13-01"}):
        assert bhs.get(url, bad).status_code == 400
    assert bhs.get(url, {"page": "9999"}).status_code == 200
    for persona in ("supporter", "coordinator", "chief", "sysadmin"):
        assert client_for(persona).get(url).status_code == 403


def test_query_counts_do_not_grow_with_releases(
    client_for, supporter, django_assert_max_num_queries
):
    for _ in range(3):
        release = signed_release(supporter)
        services.disclosure_record(
            actor=supporter,
            release=release,
            disclosed_on=timezone.localdate(),
            recipient=RECIPIENTS[0],
            items=[ITEMS[0]],
            purpose=PURPOSE,
        )
    bhs = client_for("bhs_manager")
    bhs.get(reverse("releases:accounting"))  # warm the session and role caches
    with django_assert_max_num_queries(30) as few:
        bhs.get(reverse("releases:accounting"))
    for _ in range(5):
        signed_release(supporter)
    with django_assert_max_num_queries(len(few.captured_queries)):
        bhs.get(reverse("releases:accounting"))


def test_selectors_answer_404_to_outsiders(dept, personas, req, supporter):
    from django.http import Http404

    release = signed_release(supporter, req)
    other, _ = other_supporter(dept)
    for viewer in (other, personas["employee"], personas["coordinator"]):
        with pytest.raises(Http404):
            selectors.release_for_viewer(viewer, release.pk)
    with pytest.raises(Http404):
        selectors.release_for_viewer(supporter, release.pk + 1000)
