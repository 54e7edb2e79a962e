"""Integration tokens (peersupport/integrations): shown once, hashed at rest, scoped, revocable,
expiring, audited, rate limited; every way of being refused looks the same to the caller."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.integrations import services
from peersupport.integrations.models import ApiToken, secret_hash
from peersupport.integrations.registry import SCIM

from ..factories import UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    user = UserFactory()
    grant(user, Role.SYSADMIN)
    return user


def test_a_token_is_shown_once_and_kept_only_as_a_hash(admin):
    made, raw = services.token_create(actor=admin, label="Entra ID", scopes=[SCIM])
    secret = raw[len(services.PREFIX) + 13 :]  # after "psk_", the key and "_"
    row = ApiToken.objects.get()
    assert row.secret_hash == secret_hash(secret)
    assert secret not in str(ApiToken.objects.values().get())
    assert services.authenticate(raw, SCIM) == made
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert event.details == {"key": made.key, "scopes": [SCIM]}
    assert secret not in str(event.details)


def test_every_refusal_looks_the_same(admin):
    made, raw = services.token_create(actor=admin, label="Entra ID", scopes=[SCIM])
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert services.authenticate(tampered, SCIM) is None
    assert services.authenticate(raw, "no-such-scope") is None
    assert services.authenticate("", SCIM) is None
    assert services.authenticate("psk_zz_nope", SCIM) is None
    services.token_revoke(actor=admin, token_id=made.pk)
    assert services.authenticate(raw, SCIM) is None
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1
    # Revoking twice is one revocation.
    services.token_revoke(actor=admin, token_id=made.pk)
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


def test_a_token_expires(admin):
    soon = timezone.now() + datetime.timedelta(days=1)
    _made, raw = services.token_create(actor=admin, label="Okta", scopes=[SCIM], expires_at=soon)
    assert services.authenticate(raw, SCIM) is not None
    with time_machine.travel(soon + datetime.timedelta(seconds=1)):
        assert services.authenticate(raw, SCIM) is None


def test_bad_input_changes_nothing(admin):
    for label, scopes in (("", [SCIM]), ("Okta", []), ("Okta", ["nonsense"])):
        with pytest.raises(ValidationError):
            services.token_create(actor=admin, label=label, scopes=scopes)
    past = timezone.now() - datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError):
        services.token_create(actor=admin, label="Okta", scopes=[SCIM], expires_at=past)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATED).exists()


def test_last_use_is_written_at_most_once_a_minute(admin, django_assert_num_queries):
    _made, raw = services.token_create(actor=admin, label="Okta", scopes=[SCIM])
    with django_assert_num_queries(2):  # the lookup and the first last_used_at
        services.authenticate(raw, SCIM)
    with django_assert_num_queries(1):
        services.authenticate(raw, SCIM)


@override_settings(API_RATE_LIMIT=3)
def test_calls_over_the_limit_wait(admin):
    made, _raw = services.token_create(actor=admin, label="Okta", scopes=[SCIM])
    other, _ = services.token_create(actor=admin, label="Other", scopes=[SCIM])
    with time_machine.travel(datetime.datetime(2026, 12, 31, 23, 59, 10, tzinfo=datetime.UTC)):
        assert [services.throttled(made) for _ in range(3)] == [0, 0, 0]
        assert 0 < services.throttled(made) <= 60
        assert services.throttled(other) == 0  # counted per token
    with time_machine.travel(datetime.datetime(2027, 1, 1, 0, 0, 5, tzinfo=datetime.UTC)):
        assert services.throttled(made) == 0  # a new minute (and a new year)
