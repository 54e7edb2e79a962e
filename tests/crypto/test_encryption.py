"""Encrypted fields: AES-256-GCM with a key id per value, key rotation, clear errors."""

import base64
import os
from io import StringIO

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from peersupport.accounts.models import FamilyMember
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.crypto import stored
from peersupport.crypto.fields import (
    DecryptionError,
    EncryptedJSONField,
    decrypt,
    encrypt,
    encrypted_fields,
)
from peersupport.crypto.keyring import parse_keys

from ..factories import EmployeeFactory


def _key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


OLD = _key("old")
NEW = _key("new")


def _raw_name(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM accounts_familymember WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _pks() -> list[int]:
    return list(FamilyMember.objects.values_list("pk", flat=True))


def _set_raw_name(pk, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_familymember SET name = %s WHERE id = %s", [value, pk])


@pytest.fixture
def relative(db):
    return FamilyMember.objects.create(
        employee=EmployeeFactory(), relationship=FamilyMember.Relationship.SPOUSE, name="Ana Ruiz"
    )


def test_value_is_encrypted_at_rest_and_read_back(relative):
    raw = _raw_name(relative.pk)
    assert raw.startswith("v2:test1:")
    assert "Ana" not in raw
    assert FamilyMember.objects.get(pk=relative.pk).name == "Ana Ruiz"


def test_same_plaintext_never_gives_the_same_ciphertext(relative):
    other = FamilyMember.objects.create(
        employee=relative.employee, relationship="child", name="Ana Ruiz"
    )
    assert _raw_name(relative.pk) != _raw_name(other.pk)


def test_unread_value_is_saved_unchanged(relative):
    raw = _raw_name(relative.pk)
    loaded = FamilyMember.objects.get(pk=relative.pk)
    loaded.relationship = "parent"
    loaded.save()
    assert _raw_name(relative.pk) == raw


def test_encrypted_field_cannot_be_searched(relative):
    with pytest.raises(FieldError, match="encrypted"):
        list(FamilyMember.objects.filter(name="Ana Ruiz"))
    with pytest.raises(FieldError, match="encrypted"):
        list(FamilyMember.objects.filter(name__icontains="Ana"))
    assert FamilyMember.objects.filter(name__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[:-4] + ("AAAA" if raw[-4:] != "AAAA" else "BBBB"), "altered"),
        (lambda raw: raw[: len("v2:test1:") + 10], "truncated"),
        (lambda raw: "Ana Ruiz", "not an encrypted value"),
        (lambda raw: raw.replace("v2:test1:", "v2:gone:"), "'gone', which is not in"),
    ],
)
def test_damaged_ciphertext_names_field_and_row(relative, damage, message):
    _set_raw_name(relative.pk, damage(_raw_name(relative.pk)))
    loaded = FamilyMember.objects.get(pk=relative.pk)
    with pytest.raises(DecryptionError) as exc:
        loaded.name  # noqa: B018
    assert f"accounts.FamilyMember.name of row {relative.pk}" in str(exc.value)
    assert message in str(exc.value)
    assert "Ana" not in str(exc.value)


@pytest.mark.django_db
def test_ciphertext_does_not_decrypt_in_another_field():
    sealed = encrypt("secret", aad=b"accounts.familymember.name")
    with pytest.raises(DecryptionError, match="altered"):
        decrypt(sealed, aad=b"support.request.contact", where="support.Request.contact of row 1")


@pytest.mark.django_db
def test_json_field_round_trip(settings):
    field = EncryptedJSONField()
    value = {"phone": "555-0100", "times": ["evening"], "n": 3}
    plain = field.to_plain(value)
    sealed = encrypt(plain, aad=b"x.y.z")
    assert field.from_plain(decrypt(sealed, aad=b"x.y.z", where="x")) == value


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "holds no key"),
        ("nocolon", "id:base64key"),
        ("bad id!:AAAA", "id:base64key"),
        ("k1:c2hvcnQ=", "not 32 bytes"),
        ("k1:!!!notbase64!!!", "not 32 bytes"),
        (f"{OLD},{OLD}", "appears twice"),
    ],
    # Named, not shown: OLD is a new random key in each process, and parallel workers must
    # collect the same test ids.
    ids=["empty", "no-colon", "bad-id", "short", "not-base64", "twice"],
)
def test_malformed_keys_fail_loudly(spec, message):
    with pytest.raises(ImproperlyConfigured, match=message) as exc:
        parse_keys(spec)
    assert "ENCRYPTION_KEYS" in str(exc.value)


def test_first_key_is_current_and_urlsafe_base64_is_accepted():
    key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    ring = parse_keys(f"a:{key}\nb:{base64.b64encode(os.urandom(32)).decode()}")
    assert ring.current_id == "a" and set(ring.keys) == {"a", "b"}


def _fields_listed_in_the_threat_model() -> set[str]:
    """The first column of the table under "Protected fields" in docs/threat-model.md:
    `app.Model.field` starts a model, a bare `field` after it names another of its fields."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "threat-model.md").read_text()
    section = text.split("## Protected fields", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        model = ""
        for name in re.findall(r"`([^`]+)`", line.split(" | ", 1)[0]):
            if name.count(".") == 2:
                model, _, field = name.rpartition(".")
            else:
                field = name
            listed.add(f"{model}.{field}")
    return listed


def test_every_protected_field_is_encrypted():
    """The table in docs/threat-model.md and the code list the same encrypted fields."""
    names = {f"{m._meta.label}.{f.name}" for m, f in encrypted_fields()}
    listed = _fields_listed_in_the_threat_model()
    assert {"accounts.FamilyMember.name", "selection.Nomination.reason"} <= listed
    assert listed == names


# --- Rotation and missing keys ---------------------------------------------------------------


@pytest.mark.django_db
def test_rotate_keys_moves_everything_to_the_current_key(settings):
    settings.ENCRYPTION_KEYS = OLD
    employee = EmployeeFactory()
    people = [
        FamilyMember.objects.create(employee=employee, relationship="child", name=f"Child {i}")
        for i in range(7)
    ]
    assert all(_raw_name(p.pk).startswith("v2:old:") for p in people)

    settings.ENCRYPTION_KEYS = f"{NEW},{OLD}"
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "3", stdout=out)
    assert "accounts.FamilyMember.name: 7 re-encrypted under new" in out.getvalue()
    assert all(_raw_name(p.pk).startswith("v2:new:") for p in people)
    event = AuditEvent.objects.filter(action=AuditAction.KEYS_ROTATED).latest("seq")
    assert event.details["reencrypted"]["accounts.FamilyMember.name"] == 7

    # Nothing left to do; the old key can be retired and every value still reads.
    again = StringIO()
    call_command("rotate_keys", stdout=again)
    assert "accounts.FamilyMember.name: 0 re-encrypted" in again.getvalue()
    settings.ENCRYPTION_KEYS = NEW
    assert sorted(FamilyMember.objects.values_list("pk", flat=True)) == [p.pk for p in people]
    assert [FamilyMember.objects.get(pk=p.pk).name for p in people] == [
        f"Child {i}" for i in range(7)
    ]


@pytest.mark.django_db
def test_rotate_keys_resumes_after_an_interruption(settings, monkeypatch):
    settings.ENCRYPTION_KEYS = OLD
    employee = EmployeeFactory()
    for i in range(6):
        FamilyMember.objects.create(employee=employee, relationship="child", name=f"C{i}")
    settings.ENCRYPTION_KEYS = f"{NEW},{OLD}"

    real = stored.replace_value
    calls = {"n": 0}

    def dies_after_four(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    from peersupport.crypto.management.commands import rotate_keys

    monkeypatch.setattr(rotate_keys, "replace_value", dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_keys", "--batch-size", "2", stdout=StringIO())
    moved = sum(
        _raw_name(pk).startswith("v2:new:")
        for pk in FamilyMember.objects.values_list("pk", flat=True)
    )
    assert moved == 4  # two whole batches committed, the third rolled back

    monkeypatch.setattr(rotate_keys, "replace_value", real)
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    assert "2 re-encrypted" in out.getvalue()
    assert all(
        _raw_name(pk).startswith("v2:new:")
        for pk in FamilyMember.objects.values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "other"), [("k_1", "kx1"), ("K1", "k1")])
def test_rotate_keys_matches_the_key_id_exactly(settings, current, other):
    """A value under ``kx1`` is not "under ``k_1``": the key id is not a pattern (``_`` is a
    wildcard to LIKE, and SQLite's LIKE ignores case)."""
    settings.ENCRYPTION_KEYS = _key(other)
    person = FamilyMember.objects.create(
        employee=EmployeeFactory(), relationship="child", name="Child"
    )
    assert _raw_name(person.pk).startswith(f"v2:{other}:")
    rows = stored.rows_not_under(
        current, FamilyMember, FamilyMember._meta.get_field("name"), after_pk=0, batch=10
    )
    assert [pk for pk, _, _ in rows] == [person.pk]


@pytest.mark.django_db
def test_rotate_keys_moves_a_value_under_a_look_alike_key_id(settings):
    settings.ENCRYPTION_KEYS = _key("kx1")
    person = FamilyMember.objects.create(
        employee=EmployeeFactory(), relationship="child", name="Child"
    )
    settings.ENCRYPTION_KEYS = f"{_key('k_1')},{settings.ENCRYPTION_KEYS}"
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "accounts.FamilyMember.name: 1 re-encrypted under k_1" in out.getvalue()
    assert _raw_name(person.pk).startswith("v2:k_1:")
    assert FamilyMember.objects.get(pk=person.pk).name == "Child"


@pytest.mark.django_db
def test_rotate_keys_reports_undecryptable_values(settings, relative):
    settings.ENCRYPTION_KEYS = f"{NEW},test1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
    _set_raw_name(relative.pk, _raw_name(relative.pk)[:-3] + "xyz")
    err = StringIO()
    with pytest.raises(CommandError, match="1 value"):
        call_command("rotate_keys", stdout=StringIO(), stderr=err)
    assert f"row {relative.pk}" in err.getvalue()


@pytest.mark.django_db
def test_missing_key_is_reported_with_its_id(settings, relative):
    settings.ENCRYPTION_KEYS = NEW  # test1, which encrypted the row, is gone
    with pytest.raises(CommandError, match="test1") as exc:
        call_command("check_keys", stdout=StringIO())
    assert "accounts.FamilyMember.name" in str(exc.value)

    from peersupport.crypto.checks import check_stored_key_ids

    errors = check_stored_key_ids()
    assert [e.id for e in errors] == ["crypto.E001"]
    assert "test1" in errors[0].msg


@pytest.mark.django_db
def test_check_keys_lists_usage_and_retirable_keys(settings, relative):
    settings.ENCRYPTION_KEYS = f"{NEW},test1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=,{OLD}"
    out = StringIO()
    call_command("check_keys", stdout=out)
    text = out.getvalue()
    assert "current key: new" in text
    assert "accounts.FamilyMember.name: test1: 1" in text
    assert "no value uses old any more" in text


def test_generate_key_prints_a_usable_entry():
    out = StringIO()
    call_command("generate_key", "--id", "k2027", stdout=out)
    ring = parse_keys(out.getvalue().strip())
    assert ring.current_id == "k2027" and len(ring.keys["k2027"]) == 32
