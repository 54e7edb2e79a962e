"""What the roster does when the kernel says an employee has left the department."""

from peersupport.accounts.services import SEPARATION_REASON

from .models import SupporterProfile

Status = SupporterProfile.Status

# A separated supporter leaves the program as one who leaves active status does. One still
# serving (active, or inactive on leave) retires from it: it may be nominated again if the
# department rehires them. One not yet serving (a candidate, or appointed and in training) can
# only be removed from the lifecycle (rules.TRANSITIONS).
SEPARATED_TO = {
    Status.ACTIVE: Status.RETIRED,
    Status.INACTIVE: Status.RETIRED,
    Status.CANDIDATE: Status.REMOVED,
    Status.APPOINTED: Status.REMOVED,
}


def supporter_separated(sender, *, employee, user, actor, **kwargs) -> None:
    """``accounts.alerts.employee_separated``: move the supporter's profile through the
    lifecycle's own service, which sets them off, re-offers their open requests
    (``supporter_left_active``) and ends their peer-supporter role."""
    from .services import _set_status

    if user is None:
        return
    profile = SupporterProfile.objects.filter(user=user).first()
    if profile is None or profile.status not in SEPARATED_TO:
        return
    _set_status(
        actor=actor, profile=profile, status=SEPARATED_TO[profile.status], reason=SEPARATION_REASON
    )
