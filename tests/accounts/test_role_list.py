"""The Roles page's grants: one page at a time, by role, and those ending soon."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant

from ..factories import UserFactory, grant

pytestmark = pytest.mark.django_db

ROLES = reverse("accounts:role_list")


def _grants(resp) -> list[tuple[str, str]]:
    return [(g.user.email, g.role) for g in resp.context["page"]]


@pytest.fixture
def grants(personas):
    soon = UserFactory(email="soon@pd.example.org")
    later = UserFactory(email="later@pd.example.org")
    gone = UserFactory(email="gone@pd.example.org")
    RoleGrant.objects.filter(pk=grant(soon, Role.PANELIST).pk).update(
        expires_at=timezone.now() + timedelta(days=10)
    )
    RoleGrant.objects.filter(pk=grant(later, Role.PANELIST).pk).update(
        expires_at=timezone.now() + timedelta(days=90)
    )
    ended = grant(gone, Role.PANELIST)
    ended.revoked_at = timezone.now() - timedelta(days=1)
    ended.revoke_reason = "Panel over"
    ended.save()


def test_by_role(client_for, grants):
    resp = client_for("sysadmin").get(ROLES, {"role": Role.PANELIST})
    assert sorted(_grants(resp)) == [
        ("later@pd.example.org", "panelist"),
        ("panelist@pd.example.org", "panelist"),
        ("soon@pd.example.org", "panelist"),
    ]
    assert '<h2 id="current">Current grants: Interview panelist</h2>' in resp.content.decode()


def test_ending_within_30_days(client_for, grants):
    resp = client_for("sysadmin").get(ROLES, {"show": "expiring"})
    assert _grants(resp) == [("soon@pd.example.org", "panelist")]


def test_all_grants_include_the_ended_ones(client_for, grants):
    for query in ({"show": "all", "role": Role.PANELIST}, {"ended": "1", "role": Role.PANELIST}):
        resp = client_for("sysadmin").get(ROLES, query)
        assert ("gone@pd.example.org", "panelist") in _grants(resp)
        assert "Revoked" in resp.content.decode()


@pytest.mark.parametrize(
    "query", [{"role": "employee"}, {"role": "<b>"}, {"show": "x", "page": "-1"}]
)
def test_unknown_filters_show_the_current_grants(client_for, grants, query):
    resp = client_for("sysadmin").get(ROLES, query)
    assert resp.status_code == 200
    assert (resp.context["show"], resp.context["role"]) == ("current", "")
    assert ("gone@pd.example.org", "panelist") not in _grants(resp)


def test_the_filters_are_refused_to_others(client_for, grants):
    assert client_for("coordinator").get(ROLES, {"show": "all"}).status_code == 403
