"""Codenames (peersupport/support/codenames.py): the keyed lookup, Argon2 only on a match, the
codename keys and their rotation, SECRET_KEY rotation, and rows made before the lookup existed.

The attacks played here: an outsider guessing codenames (no Argon2 per guess), an operator
rotating SECRET_KEY or the codename key (nobody is cut off), a database copy (a lookup means
nothing without the codename key, kept outside the database)."""

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from django.test import Client, override_settings
from django.urls import reverse

from peersupport.roster.models import SupporterProfile
from peersupport.support import codenames, selectors, services
from peersupport.support.codenames import legacy_hash, lookup_id, normalise
from peersupport.support.forms import CodenameForm
from peersupport.support.models import ContactMethod, RequesterKind, SupportRequest
from peersupport.support.rules import requester_tag

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NOTICE = "program-default-1"
CHECK = reverse("support:check")
STATUS = reverse("support:status")
MY_REQUESTS = reverse("support:my_requests")
OLD_SECRET = "old-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
NEW_SECRET = "new-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
KEY_1 = "codename-key-one-0123456789abcdefghijklmnop"
KEY_2 = "codename-key-two-0123456789abcdefghijklmnop"
# Seven words of the list: well-formed guesses that reach the lookup.
GUESS = "abacus abdomen abdominal abide abiding ability ablaze"


@pytest.fixture
def supporter(personas):
    """Someone to offer requests to, so that asking runs as in real life."""
    return SupporterProfile.objects.create(
        user=personas["supporter"],
        status=SupporterProfile.Status.ACTIVE,
        availability=SupporterProfile.Availability.AVAILABLE,
    )


def _public_request() -> tuple[SupportRequest, str]:
    created = services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        contact_method=ContactMethod.MESSAGES,
        notice_version=NOTICE,
    )
    return created.request, created.codename


def _opens(codename: str, *, address: str = "192.0.2.10") -> bool:
    visitor = Client(REMOTE_ADDR=address)
    resp = visitor.post(CHECK, {"codename": codename})
    if resp.status_code == 302:
        return visitor.get(STATUS).status_code == 200
    assert resp.status_code == 400, resp.status_code
    return False


def _make_legacy(req: SupportRequest, codename: str, *, secret_key: str) -> None:
    """What a request made before the lookup existed holds: a SECRET_KEY-salted raw digest."""
    SupportRequest.objects.filter(pk=req.pk).update(
        codename_lookup="", codename_hash=legacy_hash(codename, secret_key=secret_key)
    )


class Argon2Calls:
    """Counts every Argon2 computation the codename code can make."""

    def __init__(self, monkeypatch):
        self.count = 0
        for owner, name in (
            (codenames, "hash_secret_raw"),
            (PasswordHasher, "hash"),
            (PasswordHasher, "verify"),
        ):
            original = getattr(owner, name)
            monkeypatch.setattr(owner, name, self._counting(original))

    def _counting(self, original):
        def wrapper(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        return wrapper


# --- Lookup and verification -----------------------------------------------------------------


def test_wrong_guesses_never_run_argon2(supporter, monkeypatch, settings):
    settings.CODENAME_CHECKS_PER_CLIENT = 1000
    req, codename = _public_request()
    calls = Argon2Calls(monkeypatch)
    words = codenames.word_list()
    for n in range(40):
        guess = " ".join(words[(n * 7 + i) % len(words)] for i in range(7))
        assert not _opens(guess)
    assert not _opens("not a codename at all")
    assert calls.count == 0
    # The right one: one lookup, one Argon2 verification of that row only.
    assert _opens(codename)
    assert calls.count == 1


def test_a_lookup_without_its_hash_opens_nothing(supporter):
    """A database writer who copies a lookup onto another row, or breaks the hash, gets no
    request: the lookup only finds, Argon2 decides."""
    req, codename = _public_request()
    SupportRequest.objects.filter(pk=req.pk).update(
        codename_hash=codenames.codename_hash("some other codename entirely here now")
    )
    assert selectors.request_for_codename(codename) is None


def test_the_lookup_is_keyed_not_a_plain_hash(supporter):
    """Someone with a backup cannot test guesses against the lookup without the codename key."""
    req, codename = _public_request()
    plain = hashlib.sha256(normalise(codename).encode()).hexdigest()
    assert req.codename_lookup != plain
    assert req.codename_lookup == lookup_id(codename, key=settings_key(0))
    with override_settings(CODENAME_KEYS=[KEY_1]):
        assert lookup_id(codename) != req.codename_lookup


def settings_key(index: int) -> bytes:
    from django.conf import settings

    return settings.CODENAME_KEYS[index].encode()


@pytest.mark.parametrize(
    "typed",
    [
        "{words}",
        "{dashes}",
        "{commas}",
        "  {upper_commas}  ",
        "\u202e{words}\u202c",  # bidirectional overrides are dropped, not matched
    ],
)
def test_codename_separated_by_spaces_dashes_or_commas(supporter, typed):
    _req, codename = _public_request()
    words = codename.split()
    text = typed.format(
        words=codename,
        dashes="-".join(words),
        commas=", ".join(words),
        upper_commas=",".join(words).upper(),
    )
    assert _opens(text)


@pytest.mark.parametrize(
    "typed",
    ["", "one two three", "abacus " * 8, "abacus1 abdomen abdominal abide abiding ability ablaze"],
)
def test_codename_form_refuses_what_cannot_be_a_codename(typed):
    form = CodenameForm({"codename": typed})
    assert not form.is_valid()
    assert form.errors["codename"]


def test_malformed_codename_gets_a_clear_message_and_changes_nothing(supporter):
    req, _codename = _public_request()
    before = list(SupportRequest.objects.values())
    resp = Client().post(CHECK, {"codename": "one, two, 3"})
    assert resp.status_code == 400
    assert "seven words of letters" in resp.content.decode()
    assert list(SupportRequest.objects.values()) == before


# --- SECRET_KEY and codename key rotation ----------------------------------------------------


def test_rotating_secret_key_keeps_codenames_and_requester_tags(supporter, client_for, personas):
    """New rows depend on the codename key only: SECRET_KEY can change with no fallback."""
    _req, codename = _public_request()
    employee = client_for("employee")
    employee.post(
        reverse("support:ask"),
        {
            "contact_method": ContactMethod.MESSAGES,
            "limits_read": "on",
            "notice_version": NOTICE,
            "token": "rotate",
        },
    )
    mine = SupportRequest.objects.get(kind=RequesterKind.EMPLOYEE)
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert _opens(codename)
        # (Sessions are signed with SECRET_KEY: the employee signs in again; their list stays.)
        assert list(selectors.own_requests(personas["employee"])) == [mine]


def test_old_row_without_lookup_opens_and_is_upgraded(supporter, monkeypatch):
    req, codename = _public_request()
    _make_legacy(req, codename, secret_key=OLD_SECRET)
    with override_settings(SECRET_KEY=OLD_SECRET):
        assert _opens(codename)
    req.refresh_from_db()
    # Filled on first use: a lookup under the codename key and a hash with its own salt.
    assert req.codename_lookup == lookup_id(codename)
    assert req.codename_hash.startswith("$argon2id$")
    # From now on a wrong guess costs no Argon2 again, and SECRET_KEY no longer matters.
    calls = Argon2Calls(monkeypatch)
    assert not _opens(GUESS)
    assert calls.count == 0
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert _opens(codename)


def test_old_row_survives_secret_key_rotation_when_the_old_key_is_a_fallback(supporter):
    req, codename = _public_request()
    _make_legacy(req, codename, secret_key=OLD_SECRET)
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert not _opens(codename)  # the operator forgot the fallback: not found, nothing else
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET]):
        assert _opens(codename)
    req.refresh_from_db()
    assert req.codename_lookup and req.codename_hash.startswith("$argon2id$")
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert _opens(codename)


def test_old_rows_cost_argon2_only_for_guesses_of_list_words(supporter, monkeypatch):
    req, codename = _public_request()
    _make_legacy(req, codename, secret_key=OLD_SECRET)
    calls = Argon2Calls(monkeypatch)
    assert not _opens("zzzzz yyyyy xxxxx wwwww vvvvv uuuuu ttttt")
    assert calls.count == 0
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET]):
        assert not _opens(GUESS)
    assert calls.count == 2  # one per SECRET_KEY, and only while such rows remain


def test_codename_key_rotation_with_fallback_keeps_access(supporter):
    with override_settings(CODENAME_KEYS=[KEY_1]):
        req, codename = _public_request()
        assert req.codename_lookup == lookup_id(codename)
    with override_settings(CODENAME_KEYS=[KEY_2]):
        assert not _opens(codename)  # the old key dropped too soon: not found
    with override_settings(CODENAME_KEYS=[KEY_2, KEY_1]):
        assert _opens(codename)
        req.refresh_from_db()
        assert req.codename_lookup == lookup_id(codename)  # moved onto the new key
    with override_settings(CODENAME_KEYS=[KEY_2]):
        assert _opens(codename)  # the old key can now go


def test_requester_tags_follow_key_rotation(client_for, personas):
    employee = client_for("employee")
    user = personas["employee"].pk
    with override_settings(CODENAME_KEYS=[KEY_1]):
        employee.post(
            reverse("support:ask"),
            {
                "contact_method": ContactMethod.MESSAGES,
                "limits_read": "on",
                "notice_version": NOTICE,
                "token": "tags",
            },
        )
    req = SupportRequest.objects.get()
    with override_settings(CODENAME_KEYS=[KEY_2, KEY_1]):
        assert str(req.public_id) in employee.get(MY_REQUESTS).content.decode()
        req.refresh_from_db()
        assert (
            req.requester_tag
            == hmac.new(KEY_2.encode(), f"requester:{user}".encode(), hashlib.sha256).hexdigest()
        )
    with override_settings(CODENAME_KEYS=[KEY_2]):
        assert str(req.public_id) in employee.get(MY_REQUESTS).content.decode()


def test_requester_tag_made_under_an_old_secret_key_is_honoured(client_for, personas):
    employee = client_for("employee")
    employee.post(
        reverse("support:ask"),
        {
            "contact_method": ContactMethod.MESSAGES,
            "limits_read": "on",
            "notice_version": NOTICE,
            "token": "legacy-tag",
        },
    )
    req = SupportRequest.objects.get()
    user = personas["employee"]
    legacy = hmac.new(OLD_SECRET.encode(), f"requester:{user.pk}".encode(), hashlib.sha256)
    SupportRequest.objects.filter(pk=req.pk).update(requester_tag=legacy.hexdigest())
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert not selectors.own_requests(user).exists()  # the old key not listed: not found
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET]):
        assert list(selectors.own_requests(user)) == [req]
        # What the list page does on each visit (test_requester_tags_follow_key_rotation).
        assert services.requester_tags_refresh(user=user) == 1
    req.refresh_from_db()
    assert req.requester_tag == requester_tag(user)  # moved onto the codename key
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert list(selectors.own_requests(user)) == [req]  # the old SECRET_KEY can go


def test_purge_forgets_the_lookup_too(supporter):
    from django.utils import timezone

    req, codename = _public_request()
    services.request_withdraw(request=req)
    SupportRequest.objects.filter(pk=req.pk).update(
        closed_at=timezone.now() - timezone.timedelta(days=400)
    )
    services.purge_expired()
    req.refresh_from_db()
    assert req.codename_lookup == "" and req.codename_hash == ""
    assert not _opens(codename)


# --- Settings --------------------------------------------------------------------------------

PROD = {
    "PEERSUPPORT_ENV": "production",
    "SECRET_KEY": OLD_SECRET,
    "ALLOWED_HOSTS": "peersupport.example.org",
    "AUDIT_HMAC_KEY": "prod-test-audit-key-0123456789abcdefghijklmnop",
    "ENCRYPTION_KEYS": "k1:cHJvZC10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=",
}


def _codename_keys(env: dict) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "PEERSUPPORT_ENV", "CODENAME_KEYS")
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(','.join(settings.CODENAME_KEYS))",
        ],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "peersupport.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_default_codename_key_does_not_depend_on_secret_key():
    first = _codename_keys(PROD)
    rotated = _codename_keys({**PROD, "SECRET_KEY": NEW_SECRET, "SECRET_KEY_FALLBACKS": ""})
    assert first.returncode == 0 and rotated.returncode == 0, first.stderr + rotated.stderr
    assert first.stdout == rotated.stdout and len(first.stdout.strip()) == 64
    other_audit = _codename_keys({**PROD, "AUDIT_HMAC_KEY": "another-audit-key-0123456789abcdef"})
    assert other_audit.stdout != first.stdout


def test_codename_keys_from_the_environment_newest_first():
    result = _codename_keys({**PROD, "CODENAME_KEYS": f"{KEY_2}, {KEY_1}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{KEY_2},{KEY_1}"


def test_short_codename_key_fails_loudly():
    result = _codename_keys({**PROD, "CODENAME_KEYS": "short"})
    assert result.returncode != 0 and "CODENAME_KEYS" in result.stderr
