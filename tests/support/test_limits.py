"""The limits on wrong codenames (peersupport/support/limits.py).

The attacks played here: one client sending junk to lock every family member out of the page,
and someone with a database copy (or the database administrator) looking for who tried
codenames."""

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.roster.models import SupporterProfile
from peersupport.support import services
from peersupport.support.models import ContactMethod, RequesterKind

pytestmark = pytest.mark.django_db
CHECK = reverse("support:check")
JUNK = "abacus abdomen abdominal abide abiding ability ablaze"
ATTACKER = "203.0.113.66"
FAMILY = "198.51.100.23"


@pytest.fixture
def codename(personas):
    SupporterProfile.objects.create(
        user=personas["supporter"],
        status=SupporterProfile.Status.ACTIVE,
        availability=SupporterProfile.Availability.AVAILABLE,
    )
    return services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        contact_method=ContactMethod.MESSAGES,
        notice_version="program-default-1",
    ).codename


def _try(address: str, text: str) -> int:
    return Client(REMOTE_ADDR=address).post(CHECK, {"codename": text}).status_code


def test_one_clients_junk_does_not_lock_out_another(codename, settings):
    settings.CODENAME_CHECKS_PER_CLIENT = 5
    statuses = [_try(ATTACKER, JUNK) for _ in range(30)]
    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
    assert _try(ATTACKER, "not even words 1 2 3") == 429  # refused before the form, too
    # The family member elsewhere is not affected, and gets in.
    assert _try(FAMILY, codename) == 302
    # The attacker waits like anyone, even with the right codename.
    assert _try(ATTACKER, codename) == 429
    later = timezone.now() + timezone.timedelta(seconds=settings.CODENAME_LIMIT_WINDOW_SECONDS)
    with time_machine.travel(later):
        assert _try(ATTACKER, codename) == 302


def test_malformed_codenames_do_not_use_up_the_allowance(codename, settings):
    """What cannot be a codename is refused by the form before any lookup (it could never
    match), so a family member fumbling the words is not locked out by their typos."""
    settings.CODENAME_CHECKS_PER_CLIENT = 3
    for typo in ["x" * 500, "", "six words only here and there", "with 7 digits 1 2 3 4"]:
        assert _try(FAMILY, typo) == 400
    for _ in range(3):
        assert _try(FAMILY, JUNK) == 400
    assert _try(FAMILY, codename) == 429


def test_one_client_cannot_exhaust_the_ceiling(codename, settings):
    settings.CODENAME_CHECKS_PER_CLIENT = 5
    settings.CODENAME_CHECKS_PER_MINUTE = 12
    for _ in range(50):
        _try(ATTACKER, JUNK)
    assert _try(FAMILY, codename) == 302
    # Only many clients together reach the ceiling; then everyone waits for the minute.
    for n in range(3):
        for _ in range(5):
            _try(f"192.0.2.{n}", JUNK)
    assert _try(FAMILY, codename) == 429
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=61)):
        assert _try(FAMILY, codename) == 302


def test_ipv6_clients_are_counted_by_their_prefix(codename, settings):
    """Changing the last bits of an IPv6 address does not give a fresh allowance."""
    settings.CODENAME_CHECKS_PER_CLIENT = 3
    for n in range(3):
        assert _try(f"2001:db8:1:2::{n + 1}", JUNK) == 400
    assert _try("2001:db8:1:2::ffff", JUNK) == 429
    assert _try("2001:db8:9:9::1", codename) == 302


def _database_fingerprint() -> dict:
    """Every row of every table, the cache table and sessions included."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        rows[model._meta.db_table] = sorted(map(repr, model._base_manager.values_list()))
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value, expires FROM {table}")  # noqa: S608
        rows["cache"] = sorted(map(repr, cursor.fetchall()))
    return rows


def test_the_limiter_writes_nothing_to_the_database(codename, settings):
    settings.CODENAME_CHECKS_PER_CLIENT = 5
    before = _database_fingerprint()
    for _ in range(20):
        _try(ATTACKER, JUNK)
    _try(ATTACKER, "junk")
    assert _try(ATTACKER, JUNK) == 429  # the limit is in force, yet nothing was written
    assert _database_fingerprint() == before
    # In memory: counters under tags that are not the address, and forgotten with the window.
    counters = caches["codename-limits"]
    kept = repr(list(counters._cache.keys()))
    assert ATTACKER not in kept and ATTACKER.replace(".", "") not in kept
    assert len(counters._cache) == 2  # the attacker's counter and the ceiling's
    later = timezone.now() + timezone.timedelta(seconds=settings.CODENAME_LIMIT_WINDOW_SECONDS)
    with time_machine.travel(later):
        kept_keys = [key.split(":", 2)[-1] for key in list(counters._cache)]
        assert [counters.get(key) for key in kept_keys] == [None, None]
        assert not counters._cache


def test_the_clients_tag_changes_with_the_window(rf):
    """A tag from one window cannot be followed into the next: nothing links a client's tries
    over more than a few minutes."""
    from peersupport.support.limits import _client_key

    request = rf.post(CHECK, REMOTE_ADDR=ATTACKER)
    now_key = _client_key(request)
    assert _client_key(request) == now_key
    assert _client_key(rf.post(CHECK, REMOTE_ADDR=FAMILY)) != now_key
    later = timezone.now() + timezone.timedelta(seconds=settings.CODENAME_LIMIT_WINDOW_SECONDS)
    with time_machine.travel(later):
        later_key = _client_key(request)
    assert later_key.rsplit(":", 1)[-1] != now_key.rsplit(":", 1)[-1]
