"""The person's own releases, from their request page (issue 19 item 3): they revoke one after a
confirmation, and download its PDF with the accounting of disclosures; with their account or
with their codename. Another person's release is 404 and stays as it was."""

import pytest
from django.test import Client
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance.notice import current_notice
from peersupport.releases.models import Release, ReleaseStatus
from peersupport.support import services as support
from peersupport.support.models import ContactMethod, RequesterKind

from ..matrix.releases import own_release, signed_release

pytestmark = pytest.mark.django_db


def _codename_release(supporter):
    created = support.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        contact_method=ContactMethod.MESSAGES,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    offer = created.request.offers.get(answer="pending", supporter=supporter)
    req = support.offer_answer(actor=supporter, offer=offer, accept=True)
    return signed_release(supporter, req), created.codename


def _opened_with(codename) -> Client:
    visitor = Client()
    assert visitor.post(reverse("support:check"), {"codename": codename}).status_code == 302
    return visitor


def test_the_employee_revokes_their_release_after_confirming(dept, client_for, supporter):
    release = own_release(dept.users["employee"], supporter)
    client = client_for("employee")
    page = client.get(reverse("support:my_request", args=[release.request.public_id]))
    revoke_url = reverse("releases:mine_revoke", args=[release.pk])
    assert revoke_url in page.content.decode()
    assert reverse("releases:mine_pdf", args=[release.pk]) in page.content.decode()
    confirm = client.get(revoke_url)
    assert confirm.status_code == 200 and "Revoke release" in confirm.content.decode()
    refused = client.post(revoke_url, {})
    assert refused.status_code == 400 and "Error:" in refused.content.decode()
    release.refresh_from_db()
    assert release.revoked_at is None
    done = client.post(revoke_url, {"confirm": "on"})
    assert done.status_code == 302
    assert done["Location"] == reverse("support:my_request", args=[release.request.public_id])
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED and release.revoked_by is None
    event = AuditEvent.objects.filter(action=AuditAction.RELEASE_REVOKED).get()
    # Like a withdrawal: the log does not say who asked.
    assert event.actor_id is None and event.details == {"by": "person"}
    again = client.post(revoke_url, {"confirm": "on"})
    assert again.status_code == 400 and "already revoked" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.RELEASE_REVOKED).count() == 1


def test_the_employee_downloads_the_pdf_with_the_accounting(dept, client_for, supporter):
    from peersupport.releases import services

    release = own_release(dept.users["employee"], supporter)
    services.disclosure_record(
        actor=supporter,
        release=release,
        recipient=release.recipients[0],
        items=[release.items[0]],
        purpose=release.purpose,
        disclosed_on=release.signed_on,
    )
    resp = client_for("employee").get(reverse("releases:mine_pdf", args=[release.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action=AuditAction.RELEASE_PDF, actor_id=None).count() == 1


def test_another_employees_release_is_404_and_unchanged(dept, client_for, supporter):
    release = own_release(dept.users["employee"], supporter)
    other = client_for("supervisor")  # an employee too, with requests of their own
    own_release(dept.users["supervisor"], supporter)
    for url in ("releases:mine_pdf", "releases:mine_revoke"):
        assert other.get(reverse(url, args=[release.pk])).status_code == 404
    assert other.post(reverse("releases:mine_revoke", args=[release.pk]), {"confirm": "on"})
    release.refresh_from_db()
    assert release.revoked_at is None


def test_with_a_codename_the_person_revokes_and_downloads(supporter):
    release, codename = _codename_release(supporter)
    visitor = _opened_with(codename)
    page = visitor.get(reverse("support:status")).content.decode()
    revoke_url = reverse("releases:codename_revoke", args=[release.pk])
    pdf_url = reverse("releases:codename_pdf", args=[release.pk])
    assert revoke_url in page and pdf_url in page
    assert visitor.get(pdf_url)["Content-Type"] == "application/pdf"
    assert visitor.get(revoke_url).status_code == 200
    done = visitor.post(revoke_url, {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("support:status")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED


def test_with_a_codename_another_requests_release_is_404(supporter):
    mine, codename = _codename_release(supporter)
    theirs, _ = _codename_release(supporter)
    visitor = _opened_with(codename)
    assert visitor.get(reverse("releases:codename_pdf", args=[theirs.pk])).status_code == 404
    url = reverse("releases:codename_revoke", args=[theirs.pk])
    assert visitor.post(url, {"confirm": "on"}).status_code == 404
    # Without a codename opened in this browser, nothing at all.
    assert Client().get(reverse("releases:codename_pdf", args=[mine.pk])).status_code == 404
    assert not Release.objects.filter(revoked_at__isnull=False).exists()
