"""Validity and retention: releases are kept RELEASE_RETENTION_YEARS after they end (or expire)
and then purged with their disclosures."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.releases import services
from peersupport.releases.models import Disclosure, Release

from ..matrix.releases import signed_release
from .helpers import ITEMS, PURPOSE, RECIPIENTS, events

pytestmark = pytest.mark.django_db


# --- Validity and retention ----------------------------------------------------------------------


def test_validity_is_computed(req, supporter):
    today = timezone.localdate()
    release = signed_release(supporter, req, expires_on=today)
    assert release.is_valid_on(today) and not release.is_valid_on(today + timedelta(days=1))
    assert release.ended_on(today) is None
    assert release.ended_on(today + timedelta(days=2)) == today


def make_ended(supporter, *, years_ago: float, disclosed_years_ago: float | None = None):
    """A release that was revoked ``years_ago``."""
    start = timezone.now() - timedelta(days=round(365.25 * years_ago) + 30)
    with time_machine.travel(start, tick=False):
        release = signed_release(supporter, expires_on=None, expiry_event="my return to duty")
        services.disclosure_record(
            actor=supporter,
            release=release,
            disclosed_on=timezone.localdate(),
            recipient=RECIPIENTS[0],
            items=[ITEMS[0]],
            purpose=PURPOSE,
        )
    with time_machine.travel(start + timedelta(days=30), tick=False):
        services.release_revoke(actor=supporter, release=release)
    return release


def test_purge_keeps_releases_for_the_retention_years(supporter):
    assert settings.RELEASE_RETENTION_YEARS == 6
    five = make_ended(supporter, years_ago=5)
    seven = make_ended(supporter, years_ago=7)
    old_but_in_force = None
    start = timezone.now() - timedelta(days=365 * 8)
    with time_machine.travel(start, tick=False):
        old_but_in_force = signed_release(supporter, expires_on=None, expiry_event="retirement")
    assert Disclosure.objects.filter(release=seven).exists()

    assert services.releases_purge() == 1
    assert set(Release.objects.values_list("pk", flat=True)) == {five.pk, old_but_in_force.pk}
    assert not Disclosure.objects.filter(release_id=seven.pk).exists()
    assert Disclosure.objects.filter(release=five).exists()
    (event,) = events(AuditAction.RELEASES_PURGED)
    assert event.details == {"releases": 1, "disclosures": 1, "retention_years": 6}
    # Idempotent.
    assert services.releases_purge() == 0
    # And the five-year-old one goes once it is past six years too.
    assert services.releases_purge(now=timezone.now() + timedelta(days=366 * 2)) == 1
    assert list(Release.objects.values_list("pk", flat=True)) == [old_but_in_force.pk]


def test_an_expired_release_is_kept_six_years_from_its_expiry(req, supporter):
    today = timezone.localdate()
    start = timezone.now() - timedelta(days=365 * 7)
    with time_machine.travel(start, tick=False):
        release = signed_release(supporter, expires_on=timezone.localdate() + timedelta(days=400))
    # It expired about five years and eleven months ago: kept.
    assert release.ended_on(today) < today
    assert services.releases_purge() == 0
    assert services.releases_purge(now=timezone.now() + timedelta(days=60)) == 1
