"""Who may use the CISM pages (tests/system/test_authorization_matrix.py).

The coordinator and the BHS manager keep the team and run every activation; a member (a peer
supporter, or the BHS manager or an advocacy supervisor as the clinician) sees only their own
open call-outs (their objects only: OWNED below, tests/system/test_object_access.py).
"""

from peersupport.accounts.models import Role

_STAFF = frozenset({Role.COORDINATOR, Role.BHS_MANAGER})
_STAFF_GET_POST = {"GET": _STAFF, "POST": _STAFF}
_MEMBERS = frozenset({Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR})


def _coordinator():
    from ..factories import UserFactory, grant

    user = UserFactory()
    grant(user, Role.COORDINATOR)
    user.forget_roles()
    return user


def activation(coordinator=None):
    """An active activation with the team as it stands (one peer at least)."""
    from django.utils import timezone

    from peersupport.cism import services
    from peersupport.cism.models import TeamMember

    coordinator = coordinator or _coordinator()
    if not TeamMember.objects.exists():
        member(_peer(), coordinator)
    return services.activation_start(
        actor=coordinator,
        event_type="critical_incident",
        incident_date=timezone.localdate(),
        description="Matrix incident",
    )


def _peer():
    from peersupport.accounts.models import Role

    from ..factories import EmployeeFactory, UserFactory, grant
    from .support_supporter import active_supporter

    user = UserFactory()
    grant(user, Role.PEER_SUPPORTER)
    EmployeeFactory(user=user, work_email=user.email)
    user.forget_roles()
    active_supporter(user)
    return user


def member(user, coordinator=None, team_role="peer"):
    from peersupport.cism import services
    from peersupport.cism.models import TeamMember

    found = TeamMember.objects.filter(user=user).first()
    return found or services.member_add(
        actor=coordinator or _coordinator(), user=user, team_role=team_role
    )


def callout_of(user):
    """A call-out of ``user`` (made an active peer supporter first when they are not one)."""
    from peersupport.accounts.models import Role
    from peersupport.roster.models import SupporterProfile

    from ..factories import EmployeeFactory, grant
    from .support_supporter import active_supporter

    if not SupporterProfile.objects.filter(user=user).exists():
        if not user.role_grants.filter(role=Role.PEER_SUPPORTER).exists():
            grant(user, Role.PEER_SUPPORTER)
        if not hasattr(user, "employee"):
            EmployeeFactory(user=user, work_email=user.email)
        user.forget_roles()
        active_supporter(user)
    member(user)
    return activation().callouts.get(member=user)


def _session(dept):
    from django.utils import timezone

    from peersupport.cism import services

    session = services.session_schedule(
        actor=dept.users["coordinator"],
        activation=activation(dept.users["coordinator"]),
        kind="defusing",
        starts_at=timezone.now(),
        place="Room B",
        led_by="Team lead",
    )
    return {"session_id": session.pk}


def _public_id(dept):
    return {"public_id": activation(dept.users["coordinator"]).public_id}


MATRIX = {
    "cism:board": {"GET": _STAFF},
    "cism:team": _STAFF_GET_POST,
    "cism:member_role": _STAFF_GET_POST,
    "cism:member_remove": {"POST": _STAFF},
    "cism:activate": _STAFF_GET_POST,
    "cism:export": {"GET": _STAFF},
    "cism:detail": {"GET": _STAFF},
    "cism:session_add": _STAFF_GET_POST,
    "cism:open_outreach": {"POST": _STAFF},
    "cism:remind": {"POST": _STAFF},
    "cism:stand_down": _STAFF_GET_POST,
    "cism:attendance": _STAFF_GET_POST,
    "cism:mine": {"GET": _MEMBERS},
    "cism:callout": {"GET": _MEMBERS, "POST": _MEMBERS},
}
URL_KWARGS = {
    "cism:detail": _public_id,
    "cism:session_add": _public_id,
    "cism:open_outreach": _public_id,
    "cism:remind": _public_id,
    "cism:stand_down": _public_id,
    "cism:attendance": _session,
    "cism:callout": lambda dept: {"callout_id": callout_of(dept.users["supporter"]).pk},
}
# Past the role check the call-out decides: its member gets it, everyone else 404.
OBJECT_SCOPED = {"cism:callout"}
# For tests/system/test_object_access.py.
OWNED = {
    "cism:callout": (callout_of, "callout_id"),
}
SHARED = {
    "cism:detail": "the coordinator and the BHS manager run every CISM activation",
    "cism:session_add": "the coordinator and the BHS manager run every CISM activation",
    "cism:open_outreach": "the coordinator and the BHS manager run every CISM activation",
    "cism:remind": "the coordinator and the BHS manager run every CISM activation",
    "cism:stand_down": "the coordinator and the BHS manager run every CISM activation",
    "cism:attendance": "the coordinator and the BHS manager run every CISM activation",
}
