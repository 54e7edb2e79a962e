"""Disclosures under a release (PROGRAM.md rule 6): nothing is disclosed outside a release in
force, to someone not named, of items not covered or for another purpose; every refusal writes
nothing but a DENIED audit event, and audit details never hold names or content."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent, Outcome
from peersupport.releases import services
from peersupport.releases.models import Disclosure, Release, ReleaseStatus

from ..matrix.releases import signed_release
from .helpers import ITEMS, PURPOSE, RECIPIENTS, D, detail_url, events

pytestmark = pytest.mark.django_db


# --- Disclosures ---------------------------------------------------------------------------------


def disclose_url(release) -> str:
    return reverse("releases:disclose", kwargs={"release_id": release.pk})


def disclose(client, release, **overrides):
    data = {
        "disclosed_on": timezone.localdate().isoformat(),
        "recipient": RECIPIENTS[0],
        "items": [ITEMS[0]],
        "purpose_confirmed": "on",
    }
    data.update(overrides)
    return client.post(disclose_url(release), {k: v for k, v in data.items() if v is not None})


def test_the_supporter_records_a_disclosure(client_for, req, supporter):
    release = signed_release(supporter, req)
    form = client_for("supporter").get(disclose_url(release))
    assert form.status_code == 200
    resp = disclose(client_for("supporter"), release)
    assert resp.status_code == 302 and resp["Location"] == detail_url(release)
    disclosure = Disclosure.objects.get()
    assert disclosure.release == release and disclosure.recipient == RECIPIENTS[0]
    assert disclosure.items == [ITEMS[0]] and disclosure.purpose == PURPOSE
    assert disclosure.by == supporter and disclosure.by_role == Disclosure.ByRole.SUPPORTER
    (event,) = events(AuditAction.DISCLOSURE_RECORDED)
    assert event.details == {
        "disclosure": disclosure.pk,
        "items": 1,
        "recipient_index": 0,
        "by_role": "supporter",
    }
    page = client_for("supporter").get(detail_url(release)).content.decode()
    assert "Accounting of disclosures" in page and f"{supporter} (peer supporter)" in page


def test_the_bhs_manager_records_a_disclosure_where_the_person_named_them(
    client_for, personas, req, supporter
):
    release = signed_release(supporter, req, disclosers=D.SUPPORTER_AND_BHS)
    resp = disclose(client_for("bhs_manager"), release, recipient=RECIPIENTS[1], items=ITEMS)
    assert resp.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.by == personas["bhs_manager"] and disclosure.by_role == "bhs_manager"
    assert disclosure.items == ITEMS


def test_the_bhs_manager_may_not_disclose_where_the_person_did_not_name_them(
    client_for, personas, req, supporter
):
    release = signed_release(supporter, req, disclosers=D.SUPPORTER)
    bhs = client_for("bhs_manager")
    assert bhs.get(disclose_url(release)).status_code == 404
    resp = disclose(bhs, release)
    assert resp.status_code == 400
    assert "it names only the person&#x27;s peer supporter" in resp.content.decode()
    assert not Disclosure.objects.exists()
    (event,) = events(AuditAction.DISCLOSURE_REFUSED)
    assert event.outcome == Outcome.DENIED and event.actor_id == personas["bhs_manager"].pk
    assert event.details["reasons"] == ["discloser_not_named"]


def refused(supporter, release, *, reason, **overrides):
    """Try a disclosure through the service; it must be refused for ``reason`` and leave only
    one DENIED audit event behind."""
    kwargs = {
        "disclosed_on": timezone.localdate(),
        "recipient": RECIPIENTS[0],
        "items": [ITEMS[0]],
        "purpose": PURPOSE,
        **overrides,
    }
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.disclosure_record(actor=supporter, release=release, **kwargs)
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == AuditAction.DISCLOSURE_REFUSED and event.outcome == Outcome.DENIED
    assert reason in event.details["reasons"], event.details
    assert event.target_id == str(release.pk)
    return exc.value


def test_a_disclosure_to_someone_not_named_is_refused(req, supporter):
    release = signed_release(supporter, req)
    error = refused(
        supporter, release, reason="recipient_not_named", recipient="Lt. Sam Hale, Internal Affairs"
    )
    assert "does not name this recipient" in " ".join(error.messages)


def test_a_disclosure_of_items_not_covered_is_refused(req, supporter):
    release = signed_release(supporter, req)
    error = refused(
        supporter, release, reason="items_not_covered", items=[ITEMS[0], "My medical history"]
    )
    assert "does not cover" in " ".join(error.messages)
    refused(supporter, release, reason="no_items", items=[])


def test_a_disclosure_for_another_purpose_is_refused(req, supporter):
    release = signed_release(supporter, req)
    refused(supporter, release, reason="purpose_differs", purpose="For a promotion board")


def test_disclosure_dates_are_checked(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, signed_on=today - timedelta(days=3))
    refused(supporter, release, reason="date_in_future", disclosed_on=today + timedelta(days=1))
    refused(supporter, release, reason="date_before_signed", disclosed_on=today - timedelta(days=4))
    ok = services.disclosure_record(
        actor=supporter,
        release=release,
        disclosed_on=today - timedelta(days=3),
        recipient=RECIPIENTS[0],
        items=ITEMS,
        purpose=PURPOSE,
    )
    assert ok.disclosed_on == today - timedelta(days=3)


def test_a_disclosure_under_an_expired_release_is_refused(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, expires_on=today + timedelta(days=10))
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert release.status_on() == ReleaseStatus.VALID  # the expiry day itself is covered
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        release.refresh_from_db()
        assert release.status == ReleaseStatus.EXPIRED
        assert not Release.objects.with_status(ReleaseStatus.VALID).exists()
        assert Release.objects.with_status(ReleaseStatus.EXPIRED).get() == release
        error = refused(supporter, release, reason="release_expired")
        assert "it expired" in " ".join(error.messages)


def test_a_disclosure_under_a_revoked_release_is_refused(req, supporter):
    release = signed_release(supporter, req)
    services.release_revoke(actor=supporter, release=release)
    error = refused(supporter, release, reason="release_revoked")
    assert "revoked" in " ".join(error.messages)


def test_a_disclosure_after_the_expiry_event_is_refused(req, supporter):
    release = signed_release(supporter, req, expires_on=None, expiry_event="my return to duty")
    services.release_end(actor=supporter, release=release)
    refused(supporter, release, reason="release_ended")


def test_refusals_through_the_page_say_why_and_are_audited(client_for, req, supporter):
    release = signed_release(supporter, req)
    client = client_for("supporter")
    resp = disclose(client, release, recipient="Someone Else", items=["Everything"])
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "does not name this recipient" in body and "does not cover" in body
    assert "There is a problem" in body and "Nothing was saved." in body
    (event,) = events(AuditAction.DISCLOSURE_REFUSED)
    assert event.details["reasons"] == ["items_not_covered", "recipient_not_named"]
    # A form that does not parse is not a disclosure attempt: re-shown, nothing written.
    resp = disclose(client, release, disclosed_on="yesterday-ish", purpose_confirmed=None)
    assert resp.status_code == 400
    assert "Confirm that the disclosure was for the purpose" in resp.content.decode()
    assert not Disclosure.objects.exists()
    # A revoked release: the form page sends the supporter back with the reason.
    services.release_revoke(actor=supporter, release=release)
    resp = client.get(disclose_url(release))
    assert resp.status_code == 302 and resp["Location"] == detail_url(release)


def test_audit_details_never_hold_names_or_content(client_for, req, supporter):
    release = signed_release(supporter, req, expiry_event="my return to full duty")
    disclose(client_for("supporter"), release)
    disclose(client_for("supporter"), release, recipient="Lt. Sam Hale")
    client_for("supporter").get(detail_url(release))
    client_for("supporter").get(reverse("releases:pdf", kwargs={"release_id": release.pk}))
    client_for("bhs_manager").get(reverse("releases:accounting"))
    services.release_revoke(actor=supporter, release=release)
    text = json.dumps(
        list(AuditEvent.objects.filter(action__startswith="release.").values("details"))
    )
    for secret in ("Pat Quill", "Lee Park", "Sam Hale", "return-to-duty", "full duty", "EAP"):
        assert secret not in text
