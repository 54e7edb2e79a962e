"""Sessions: idle timeout, absolute lifetime, key rotation at sign-in, ending every session of
an account, Clear-Site-Data on sign-out. With a frozen clock."""

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts import services
from peersupport.audit.models import AuditAction, AuditEvent

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("web:home")


def _login(user) -> Client:
    c = Client()
    resp = c.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert c.session.get(SESSION_KEY) == str(user.pk)
    return c


def _signed_in(c: Client) -> bool:
    resp = c.get(HOME)
    return resp.status_code == 200


def test_idle_timeout(personas, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        c = _login(personas["employee"])
        clock.shift(timedelta(minutes=29))
        assert _signed_in(c)  # and this request renews the idle limit
        clock.shift(timedelta(minutes=29))
        assert _signed_in(c)
        clock.shift(timedelta(minutes=31))
        resp = c.get(HOME)
        assert resp.status_code == 302
        assert resp["Location"].startswith(reverse("account_login"))


def test_the_session_is_written_at_most_once_a_minute(personas, settings):
    """Renewing the idle limit writes the session; within SESSION_RENEW_SECONDS of the last
    renewal a request does not (no commit and fsync per page view)."""
    from django.contrib.sessions.models import Session

    settings.SESSION_RENEW_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        c = _login(personas["employee"])
        assert _signed_in(c)
        key = c.session.session_key
        expiry = Session.objects.get(session_key=key).expire_date
        clock.shift(timedelta(seconds=30))
        assert _signed_in(c)
        assert Session.objects.get(session_key=key).expire_date == expiry
        clock.shift(timedelta(seconds=31))
        assert _signed_in(c)
        assert Session.objects.get(session_key=key).expire_date > expiry


def test_absolute_lifetime(personas, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        c = _login(personas["employee"])
        # Active every 20 minutes, so never idle...
        for _ in range(35):
            clock.shift(timedelta(minutes=20))
            assert _signed_in(c)
        clock.shift(timedelta(minutes=21))  # ...but 12 hours after sign-in it ends.
        resp = c.get(HOME)
        assert resp.status_code == 302
        assert resp["Location"].startswith(reverse("account_login"))
        assert not _signed_in(c)


def test_session_key_rotates_at_sign_in(personas):
    c = Client()
    c.get(reverse("account_login"))
    c.cookies["sessionid"] = "x"  # whatever the visitor held before
    c.session.save()
    before = c.session.session_key
    c.post(reverse("account_login"), {"login": personas["employee"].email, "password": PASSWORD})
    assert c.session.session_key != before


def test_disabling_an_account_ends_its_sessions(personas):
    target = personas["employee"]
    c1, c2 = _login(target), _login(target)
    services.user_set_active(
        actor=personas["sysadmin"], user=target, active=False, reason="left the department"
    )
    assert not _signed_in(c1) and not _signed_in(c2)
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCOUNT_DISABLED, target_id=str(target.pk)
    ).exists()
    # and it cannot sign in again
    resp = Client().post(reverse("account_login"), {"login": target.email, "password": PASSWORD})
    assert SESSION_KEY not in resp.client.session


def test_only_an_administrator_disables_and_not_themselves(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.user_set_active(
            actor=personas["bhs_manager"], user=personas["employee"], active=False, reason="x"
        )
    with pytest.raises(ValidationError, match="your own"):
        services.user_set_active(
            actor=personas["sysadmin"], user=personas["sysadmin"], active=False, reason="x"
        )


def test_password_change_ends_other_sessions(personas):
    target = personas["employee"]
    other = _login(target)
    c = _login(target)
    new = "a-brand-new-long-passphrase-77"
    resp = c.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert resp.status_code == 302
    assert not _signed_in(other)


def test_mfa_change_ends_other_sessions_but_keeps_this_one(personas):
    target = personas["employee"]
    other = _login(target)
    this = _login(target)
    # The change as allauth makes it: an authenticator is added and the signal is sent with
    # the request of the session that made it.
    from allauth.mfa.signals import authenticator_added

    from ..factories import enable_totp

    enable_totp(target)
    request = type("R", (), {})()
    request.user = target
    request.session = this.session
    authenticator_added.send(
        sender=Authenticator,
        request=request,
        user=target,
        authenticator=Authenticator.objects.get(user=target),
    )
    assert not _signed_in(other)
    assert this.get(reverse("accounts:profile")).status_code == 200


def test_administrator_ends_sessions_from_the_admin(personas, client_for):
    target = personas["employee"]
    victim_session = _login(target)
    admin = client_for("sysadmin")
    resp = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_sessions", "_selected_action": [target.pk]},
    )
    assert resp.status_code == 302
    assert not _signed_in(victim_session)
    event = AuditEvent.objects.get(action=AuditAction.SESSIONS_ENDED, target_id=str(target.pk))
    assert event.actor_id == personas["sysadmin"].pk


def test_admin_cannot_edit_is_active_directly_or_delete(personas, client_for):
    target = personas["employee"]
    admin = client_for("sysadmin")
    admin.post(
        reverse("admin:accounts_user_change", args=[target.pk]),
        {"email": target.email, "display_name": "x", "is_active": ""},
    )
    target.refresh_from_db()
    assert target.is_active
    resp = admin.get(reverse("admin:accounts_user_delete", args=[target.pk]))
    assert resp.status_code == 403


def test_sign_out_clears_site_data(personas):
    c = _login(personas["employee"])
    resp = c.post(reverse("account_logout"))
    assert resp["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not _signed_in(c)


def test_rotating_secret_key_with_the_old_one_as_fallback_keeps_sessions(personas, settings):
    """Django checks a session's hash under each of SECRET_KEY_FALLBACKS: ours must take the
    secret it is given, or a rotation signs everyone out whatever the fallbacks say."""
    c = _login(personas["employee"])
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert _signed_in(c)
    # Without the fallback, the old sessions end.
    c2 = _login(personas["employee"])
    settings.SECRET_KEY = "yet-another-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert not _signed_in(c2)


def test_the_session_epoch_still_ends_sessions_under_a_fallback(personas, settings):
    c = _login(personas["employee"])
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    services.user_end_sessions(
        actor=personas["sysadmin"], user=personas["employee"], reason="lost phone"
    )
    assert not _signed_in(c)


# --- The session store and the account lookup: one hand-written query each (issue 21) --------


def test_the_session_store_reads_what_djangos_database_store_reads(personas):
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore

    from peersupport.accounts.sessions import SessionStore

    c = _login(personas["employee"])
    key = c.session.session_key
    assert SessionStore(key).load() == DjangoStore(key).load()
    assert SessionStore(key).load()[SESSION_KEY] == str(personas["employee"].pk)


@pytest.mark.parametrize("key", ["no-such-session-key-at-all", None, "short"])
def test_an_unknown_session_key_loads_nothing_and_is_never_reused(key):
    from peersupport.accounts.sessions import SessionStore

    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None
    store["x"] = 1
    store.save()
    assert store.session_key not in (None, key)


def test_an_expired_session_loads_nothing(personas, settings):
    from peersupport.accounts.sessions import SessionStore

    settings.SESSION_COOKIE_AGE = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        c = _login(personas["employee"])
        key = c.session.session_key
        clock.shift(timedelta(seconds=59))
        assert SessionStore(key).load()[SESSION_KEY] == str(personas["employee"].pk)
        clock.shift(timedelta(seconds=2))
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None
        assert not _signed_in(c)


def test_the_account_of_a_session_is_loaded_in_one_query_as_the_orm_would(personas):
    from django.db import connection
    from django.db.models import QuerySet
    from django.test.utils import CaptureQueriesContext

    from peersupport.accounts.models import User

    user = personas["supporter"]
    orm = QuerySet(User).get(pk=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        fast = User.objects.get(pk=str(user.pk))
    assert len(ctx.captured_queries) == 1
    assert {k: v for k, v in vars(fast).items() if k != "_state"} == {
        k: v for k, v in vars(orm).items() if k != "_state"
    }
    assert fast.last_login == orm.last_login and fast.date_joined.tzinfo is not None
    assert (fast._state.db, fast._state.adding) == ("default", False)
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=10**12)
    with pytest.raises(ValueError, match="expected a number"):
        User.objects.get(pk="1 OR 1=1")
    # Any other lookup is Django's own.
    assert User.objects.get(email=user.email) == user
