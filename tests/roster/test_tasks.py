"""An inactive period with an end date ends by itself: the worker makes the supporter active
again (availability off until they say otherwise) and tells them; out of training compliance
is not ended by a date."""

from datetime import timedelta

import pytest
from django.utils import timezone

from peersupport.notifications.models import Notification
from peersupport.roster import services
from peersupport.roster.models import SupporterProfile

from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db
Status = SupporterProfile.Status
Reason = SupporterProfile.InactiveReason


def _inactive(personas, reason, until):
    profile = active_supporter(personas["supporter"])
    return services.supporter_set_status(
        actor=personas["coordinator"],
        profile=profile,
        status=Status.INACTIVE,
        reason="test",
        inactive_reason=reason,
        inactive_until=until,
    )


def test_the_end_date_brings_the_supporter_back(personas):
    until = timezone.localdate() + timedelta(days=10)
    profile = _inactive(personas, Reason.LEAVE, until)
    assert services.supporters_inactive_period_end(today=until - timedelta(days=1)) == 0
    assert services.supporters_inactive_period_end(today=until) == 1
    profile.refresh_from_db()
    assert profile.status == Status.ACTIVE
    assert profile.availability != SupporterProfile.Availability.AVAILABLE
    told = Notification.objects.get(key__startswith=f"inactive-ended:{profile.pk}:")
    assert told.user == personas["supporter"]
    assert "active peer supporter again" in told.subject
    # Once only.
    assert services.supporters_inactive_period_end(today=until + timedelta(days=1)) == 0


def test_out_of_compliance_is_not_ended_by_a_date(personas):
    until = timezone.localdate() + timedelta(days=3)
    profile = _inactive(personas, Reason.OUT_OF_COMPLIANCE, until)
    assert services.supporters_inactive_period_end(today=until + timedelta(days=30)) == 0
    profile.refresh_from_db()
    assert profile.status == Status.INACTIVE
