"""Encrypted values bound to their row (v2, crypto.fields.RowBound): a database administrator
who moves a ciphertext from one row to another of the same model and field is caught on read,
with an error naming the field and the row, never the value."""

import base64
import json
import os
from io import StringIO

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection, transaction

from peersupport.crypto.fields import DecryptionError, encrypt, encrypted_fields, is_row_bound
from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import Candidacy, CandidacyEvent, ChainStep, Nomination

from ..factories import CandidacyFactory, NominationFactory

pytestmark = pytest.mark.django_db


def _raw(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM roster_nomination WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _set_raw(pk, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE roster_nomination SET reason = %s WHERE id = %s", [value, pk])


@pytest.fixture
def two():
    return (
        NominationFactory(reason="First reason, about Ana."),
        NominationFactory(reason="Second reason, about Ben."),
    )


def test_values_are_stored_bound_to_their_row(two):
    first, second = two
    assert _raw(first.pk).startswith("v2:test1:")
    assert first.row_id != second.row_id
    assert Nomination.objects.get(pk=first.pk).reason == "First reason, about Ana."


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(two):
    first, second = two
    _set_raw(second.pk, _raw(first.pk))  # the insider's move
    moved = Nomination.objects.get(pk=second.pk)
    with pytest.raises(DecryptionError) as exc:
        moved.reason  # noqa: B018
    assert f"selection.Nomination.reason of row {second.pk}" in str(exc.value)
    assert "another row" in str(exc.value)
    assert "Ana" not in str(exc.value)
    assert Nomination.objects.get(pk=first.pk).reason == "First reason, about Ana."


def test_a_value_bound_to_no_row_is_refused(two):
    """A v1 value (bound to model and field only: from before, or a backup) could be copied
    into any row; in a row-bound model it is refused."""
    first, _ = two
    _set_raw(first.pk, str(encrypt("Planted", aad=b"selection.nomination.reason")))
    with pytest.raises(DecryptionError, match=f"of row {first.pk}.*not bound to its row"):
        Nomination.objects.get(pk=first.pk).reason  # noqa: B018


def test_rotate_keys_rebinds_a_value_bound_to_no_row(two, settings):
    first, _ = two
    _set_raw(first.pk, str(encrypt("From before", aad=b"selection.nomination.reason")))
    new = f"new:{base64.b64encode(os.urandom(32)).decode()}"
    settings.ENCRYPTION_KEYS = f"{new},{settings.ENCRYPTION_KEYS}"
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "selection.Nomination.reason: 2 re-encrypted under new" in out.getvalue()
    assert _raw(first.pk).startswith("v2:new:")
    assert Nomination.objects.get(pk=first.pk).reason == "From before"


def test_bulk_create_binds_each_row():
    candidacy = CandidacyFactory()
    made = CandidacyEvent.objects.bulk_create(
        CandidacyEvent(candidacy=candidacy, action="x", to_stage="nominated", label="x", reason=r)
        for r in ("one", "two")
    )
    rows = CandidacyEvent.objects.filter(pk__in=[e.pk for e in made]).order_by("pk")
    assert [e.reason for e in rows] == ["one", "two"]


def test_update_and_bulk_update_are_refused_with_a_clear_message(two):
    first, second = two
    with pytest.raises(FieldError, match="bound to its row"), transaction.atomic():
        Nomination.objects.filter(pk=first.pk).update(reason="Overwritten")
    first.reason = "Changed"
    with pytest.raises(FieldError, match="bound to its row"), transaction.atomic():
        Nomination.objects.bulk_update([first], ["reason"])
    assert Nomination.objects.get(pk=first.pk).reason == "First reason, about Ana."


def test_dumpdata_writes_the_row_bound_ciphertext_never_the_plaintext(two):
    first, _ = two
    out = StringIO()
    call_command("dumpdata", "selection.nomination", stdout=out)
    dumped = {o["pk"]: o["fields"] for o in json.loads(out.getvalue())}
    assert dumped[first.pk]["reason"].startswith("v2:test1:")
    assert dumped[first.pk]["row_id"] == str(first.row_id)
    assert "Ana" not in out.getvalue()


def test_every_model_with_encrypted_fields_is_row_bound():
    """A new model with an encrypted field must be RowBound (and its migration made with
    crypto.migration_ops.bind_to_rows)."""
    unbound = {model._meta.label for model, _ in encrypted_fields() if not is_row_bound(model)}
    assert unbound == set()
    for model in (Candidacy, Nomination, ChainStep, CandidacyEvent, SupporterProfile):
        assert is_row_bound(model), model


def test_loaddata_of_row_bound_values_is_refused_not_encrypted_twice(two, tmp_path):
    first, _ = two
    out = StringIO()
    call_command("dumpdata", "selection.nomination", "--pks", str(first.pk), stdout=out)
    fixture = tmp_path / "nomination.json"
    fixture.write_text(out.getvalue())
    raw = _raw(first.pk)
    with pytest.raises(FieldError, match="bound to its row"), transaction.atomic():
        call_command("loaddata", str(fixture), stdout=StringIO())
    assert _raw(first.pk) == raw
