"""The roster's concern counts, counted by hand-written SQL (``roster_concern_counts``), say
what the concerns' own filters (``_concerns``) pick, case by case."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Count
from django.utils import timezone

from peersupport.accounts.models import Employee, RoleGrant
from peersupport.roster import selectors
from peersupport.roster.models import SupporterProfile

from .helpers import Availability, Status, make_supporter

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))


def _orm_counts(now) -> dict[str, int]:
    concerns = selectors._concerns(now)
    figures = SupporterProfile.objects.aggregate(
        **{key: Count("pk", filter=q) for key, (_label, q) in concerns.items()}
    )
    return {key: figures[key] for key in selectors.ROSTER_CONCERNS}


@time_machine.travel(NOW, tick=False)
def test_the_hand_written_counts_match_the_concerns_filters(dept):
    with time_machine.travel(NOW - timedelta(days=45), tick=False):
        make_supporter(dept.squad, first="Olga", last="Off", availability=Availability.OFF)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        make_supporter(dept.squad, first="Lena", last="Lately", availability=Availability.OFF)
    away = make_supporter(dept.squad, first="Ari", last="Away", status=Status.INACTIVE)
    later = make_supporter(dept.squad, first="Bo", last="Back", status=Status.INACTIVE)
    SupporterProfile.objects.filter(pk=away.pk).update(inactive_until=NOW.date() - timedelta(1))
    SupporterProfile.objects.filter(pk=later.pk).update(inactive_until=NOW.date() + timedelta(9))
    revoked = make_supporter(dept.squad, first="Rey", last="Revoked")
    RoleGrant.objects.filter(user=revoked.user).update(revoked_at=NOW - timedelta(days=1))
    expired = make_supporter(dept.squad, first="Eve", last="Expired")
    RoleGrant.objects.filter(user=expired.user).update(expires_at=NOW - timedelta(days=1))
    expiring = make_supporter(dept.squad, first="Ed", last="Expiring")
    RoleGrant.objects.filter(user=expiring.user).update(expires_at=NOW + timedelta(days=1))
    left = make_supporter(dept.squad, first="Lou", last="Left")
    Employee.objects.filter(user=left.user).update(status=Employee.Status.SEPARATED)
    locked = make_supporter(dept.squad, first="Lock", last="Ed")
    locked.user.is_active = False
    locked.user.save(update_fields=["is_active"])
    unrecorded = make_supporter(dept.squad, first="No", last="Record")
    Employee.objects.filter(user=unrecorded.user).update(user=None)
    make_supporter(dept.squad, first="Lee", last="Listed")

    retired = make_supporter(dept.squad, first="Ray", last="Retired")
    Employee.objects.filter(user=retired.user).update(status=Employee.Status.RETIRED)

    counts = selectors.roster_concern_counts()
    assert counts == _orm_counts(timezone.now())
    assert counts == {"off": 1, "overdue": 1, "unlisted": 6}


@time_machine.travel(NOW, tick=False)
def test_a_retired_supporter_is_unlisted_only_where_retirees_do_not_serve(dept, settings):
    retired = make_supporter(dept.squad, first="Ray", last="Retired")
    Employee.objects.filter(user=retired.user).update(status=Employee.Status.RETIRED)
    assert selectors.roster_concern_counts()["unlisted"] == 1
    settings.RETIREES_MAY_SERVE = True
    counts = selectors.roster_concern_counts()
    assert counts == _orm_counts(timezone.now())
    assert counts["unlisted"] == 0


def test_no_supporters_count_nothing(db):
    assert selectors.roster_concern_counts() == {"off": 0, "overdue": 0, "unlisted": 0}
