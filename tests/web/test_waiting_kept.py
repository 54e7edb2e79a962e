""" "Waiting for you" is kept per person while nothing audited changed, for at most
WAITING_KEEP_SECONDS (peersupport/web/waiting.py): an offer made through the product shows on
the next view, another person never gets someone else's list, and a change no audit records
shows once the seconds are over."""

import pytest
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.web import waiting

from ..factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep(settings):
    settings.WAITING_KEEP_SECONDS = 30
    waiting.forget_kept()
    yield
    waiting.forget_kept()


@pytest.fixture
def asked(monkeypatch):
    """Counts how often the sources are asked, per person."""
    calls: list[int] = []
    original = waiting._waiting_for

    def counting(user):
        calls.append(user.pk)
        return original(user)

    monkeypatch.setattr(waiting, "_waiting_for", counting)
    return calls


def _offers_shown(client) -> bool:
    return "offered to you" in client.get(reverse("web:home")).content.decode()


def test_a_second_view_asks_no_source(personas, client_for, asked):
    client = client_for("supporter")
    client.get(reverse("web:home"))
    client.get(reverse("web:home"))
    assert asked == [personas["supporter"].pk]


def test_an_audited_write_shows_on_the_next_view(personas, client_for, asked):
    supporter = personas["supporter"]
    client = client_for("supporter")
    assert not _offers_shown(client)
    OfferFactory(supporter=supporter)
    # The factory bypasses the services: nothing audited, the list is still the kept one...
    assert not _offers_shown(client)
    # ...until any audited write, as every service that offers a request makes.
    record(actor=None, action=AuditAction.UNIT_UPDATED, details={})
    assert _offers_shown(client)
    assert asked == [supporter.pk, supporter.pk]


def test_what_changes_unaudited_shows_once_the_seconds_are_over(personas, client_for, monkeypatch):
    client = client_for("supporter")
    assert not _offers_shown(client)
    OfferFactory(supporter=personas["supporter"])
    later = waiting.time.monotonic() + 31
    monkeypatch.setattr(waiting.time, "monotonic", lambda: later)
    assert _offers_shown(client)


def test_each_person_and_role_set_has_its_own_list(personas, client_for, asked):
    supporter = personas["supporter"]
    OfferFactory(supporter=supporter)
    assert _offers_shown(client_for("supporter"))
    assert not _offers_shown(client_for("coordinator"))
    assert sorted(asked) == sorted([supporter.pk, personas["coordinator"].pk])
    # A role ended: another role set, asked again (and no offers for someone not a supporter).
    supporter.role_grants.filter(role=Role.PEER_SUPPORTER).update(revoked_at="2000-01-01T00:00Z")
    former = type(supporter).objects.get(pk=supporter.pk)
    assert Role.PEER_SUPPORTER not in former.roles
    assert not any("offered" in item.label for item in waiting.waiting_for(former))
    assert len(asked) == 3


def test_off_when_set_to_zero(personas, client_for, asked, settings):
    settings.WAITING_KEEP_SECONDS = 0
    client = client_for("supporter")
    client.get(reverse("web:home"))
    client.get(reverse("web:home"))
    assert asked == [personas["supporter"].pk] * 2


def test_the_same_roles_in_another_agency_are_another_list(personas, asked, settings):
    """Issue 23: the kept list is the agency's too. The same person with the same roles asks
    again in another agency: the sources are asked again, not answered from the first's."""
    from peersupport.accounts.models import Agency
    from peersupport.tenancy import using_agency

    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    supporter = personas["supporter"]
    roles = supporter.roles
    waiting.waiting_for(supporter)
    waiting.waiting_for(supporter)
    assert asked == [supporter.pk]
    other = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    with using_agency(other):
        supporter.__dict__["roles"] = roles  # the same roles there
        waiting.waiting_for(supporter)
    assert asked == [supporter.pk, supporter.pk]
