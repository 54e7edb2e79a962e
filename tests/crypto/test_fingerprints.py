"""A fingerprint per key id: a wrong key under a known id is refused at start-up and never
writes; a new key id is recorded when it first writes; the right key starts and works."""

import base64
import os
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection, transaction

from peersupport.accounts.models import FamilyMember
from peersupport.crypto import fingerprints
from peersupport.crypto.checks import check_stored_key_ids
from peersupport.crypto.fingerprints import KeyMismatch, fingerprint
from peersupport.crypto.models import KeyFingerprint

from ..factories import EmployeeFactory

pytestmark = pytest.mark.django_db

RIGHT = os.urandom(32)
WRONG = os.urandom(32)


def _entry(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    fingerprints.forget()
    yield
    fingerprints.forget()


@pytest.fixture
def employee():
    return EmployeeFactory()


def _relative(employee, name="Ana Ruiz"):
    return FamilyMember.objects.create(employee=employee, relationship="spouse", name=name)


def test_a_new_key_id_is_recorded_when_it_first_writes(settings, employee):
    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)
    assert not KeyFingerprint.objects.filter(key_id="k2027").exists()
    _relative(employee)
    row = KeyFingerprint.objects.get(key_id="k2027")
    assert row.fingerprint == fingerprint(RIGHT)
    # The stored mark is not the key in any spelling.
    for spelling in (RIGHT.hex(), base64.b64encode(RIGHT).decode()):
        assert spelling not in row.fingerprint
    assert check_stored_key_ids() == []


def test_the_right_key_starts_and_reads(settings, employee):
    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)
    person = _relative(employee)
    fingerprints.forget()  # as a freshly started process
    assert check_stored_key_ids() == []
    call_command("check", databases=["default"], stdout=StringIO())
    assert FamilyMember.objects.get(pk=person.pk).name == "Ana Ruiz"
    _relative(employee, "Second")  # and writes
    assert KeyFingerprint.objects.filter(key_id="k2027").count() == 1


def test_a_wrong_key_under_a_known_id_is_refused_at_start_up(settings, employee):
    from peersupport import wsgi  # gunicorn and runserver load it; it checks on import

    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)
    _relative(employee)
    settings.ENCRYPTION_KEYS = _entry("k2027", WRONG)
    fingerprints.forget()

    errors = check_stored_key_ids()
    assert [e.id for e in errors] == ["crypto.E002"]
    assert "k2027" in errors[0].msg
    assert base64.b64encode(WRONG).decode() not in errors[0].msg
    assert WRONG.hex() not in errors[0].msg
    # migrate and `check --database` run the check: they stop.
    with pytest.raises(SystemCheckError, match="k2027"):
        call_command("check", databases=["default"], stdout=StringIO(), stderr=StringIO())
    with pytest.raises(ImproperlyConfigured, match="k2027"):
        wsgi._refuse_to_start_without_keys()
    with pytest.raises(CommandError, match="k2027"):
        call_command("check_keys", stdout=StringIO())


def test_a_wrong_key_never_writes(settings, employee):
    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)
    _relative(employee)
    settings.ENCRYPTION_KEYS = _entry("k2027", WRONG)
    fingerprints.forget()
    before = FamilyMember.objects.count()
    with pytest.raises(KeyMismatch, match="k2027"), transaction.atomic():
        _relative(employee, "Written under the wrong key")
    assert FamilyMember.objects.count() == before
    assert KeyFingerprint.objects.get(key_id="k2027").fingerprint == fingerprint(RIGHT)


def test_a_wrong_retired_key_is_refused_too(settings, employee):
    """The mismatch of a key that only decrypts (not the current one) stops start-up as well."""
    settings.ENCRYPTION_KEYS = _entry("k2026", RIGHT)
    _relative(employee)
    settings.ENCRYPTION_KEYS = f"{_entry('k2027', os.urandom(32))},{_entry('k2026', WRONG)}"
    errors = check_stored_key_ids()
    assert [e.id for e in errors] == ["crypto.E002"]
    assert "k2026" in errors[0].msg and "k2027" not in errors[0].msg


def test_a_first_write_rolled_back_is_recorded_by_the_next_process(settings, employee):
    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        _relative(employee)
        raise Undo
    assert not KeyFingerprint.objects.filter(key_id="k2027").exists()
    fingerprints.forget()  # another process, or this one restarted
    _relative(employee)
    assert KeyFingerprint.objects.get(key_id="k2027").fingerprint == fingerprint(RIGHT)


def test_many_values_ask_once(settings, employee, django_assert_num_queries):
    settings.ENCRYPTION_KEYS = _entry("k2027", RIGHT)
    _relative(employee)
    with django_assert_num_queries(1):  # the INSERT, no fingerprint query
        _relative(employee, "Second")


def test_before_migrations_nothing_is_checked(settings):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE crypto_keyfingerprint")
    fingerprints.forget()
    assert fingerprints.mismatched_key_ids({"k": RIGHT}) == []
    fingerprints.ensure_writable("k", RIGHT)  # nothing to compare with, nothing to record
