"""Who may use the selection pages and the roster's lifecycle pages
(tests/system/test_authorization_matrix.py).

Any employee nominates and follows their own candidacy; the coordinator runs the pipeline (rounds,
interviews, the panel's decision, skipping a level, withdrawing); a panelist scores an interview
they sit on; a supervisor answers a request in whose chain of command they are; the BHS manager
overrides a decline and recommends; the Chief approves. The coordinator, the BHS manager and the
Chief see the board and every candidacy, and keep the supporter roster. Score and endorse are
object-scoped: past the role check only the panel and the chain get in
(tests/system/test_object_access.py).
"""

from datetime import timedelta

from peersupport.accounts.models import Role

_EMPLOYEE = frozenset({Role.EMPLOYEE})
_COORD = frozenset({Role.COORDINATOR})
_BHS = frozenset({Role.BHS_MANAGER})
_CHIEF = frozenset({Role.CHIEF})
_PANEL = frozenset({Role.PANELIST})
_SUPERVISOR = frozenset({Role.SUPERVISOR})
_STAFF = frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF})
_IN_PIPELINE = frozenset(
    {
        Role.EMPLOYEE,
        Role.PANELIST,
        Role.SUPERVISOR,
        Role.COORDINATOR,
        Role.BHS_MANAGER,
        Role.CHIEF,
    }
)


def _both(roles):
    return {"GET": roles, "POST": roles}


MATRIX = {
    "selection:tasks": {"GET": _IN_PIPELINE},
    "selection:nominate": _both(_EMPLOYEE),
    "selection:mine": {"GET": _EMPLOYEE},
    "selection:answer": {"POST": _EMPLOYEE},
    "selection:withdraw_own": {"POST": _EMPLOYEE},
    "selection:board": {"GET": _STAFF},
    "selection:rounds": _both(_COORD),
    "selection:candidacy": {"GET": _STAFF},
    "selection:schedule": _both(_COORD),
    "selection:score": _both(_PANEL),
    "selection:decide": _both(_COORD),
    "selection:endorse": _both(_SUPERVISOR),
    "selection:skip": _both(_COORD),
    "selection:override": _both(_BHS),
    "selection:recommend": _both(_BHS),
    "selection:approve": _both(_CHIEF),
    "selection:withdraw": _both(_COORD),
    # The roster's lifecycle pages (the roster app, next to selection).
    "roster:manage": {"GET": _STAFF},
    "roster:set_status": _both(_STAFF),
    "roster:activate": _both(_STAFF),
}


def _nominee():
    from ..factories import EmployeeFactory, UserFactory

    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    return user


def interview_candidacy(panelist):
    """A candidacy whose interview ``panelist`` sits on, not yet scored."""
    from django.utils import timezone

    from peersupport.selection.models import Candidacy, Interview, Panelist

    candidacy = Candidacy.objects.create(nominee=_nominee(), stage=Candidacy.Stage.INTERVIEW)
    interview = Interview.objects.create(
        candidacy=candidacy,
        at=timezone.now() + timedelta(days=1),
        place="Room 1",
        rubric=["Listening"],
        score_max=5,
        scheduled_by=panelist,
    )
    Panelist.objects.create(interview=interview, user=panelist)
    return candidacy


def chain_candidacy(supervisor):
    """A candidacy whose request to serve is with ``supervisor`` (an employee) now."""
    from peersupport.selection.models import Candidacy, ChainStep

    candidacy = Candidacy.objects.create(nominee=_nominee(), stage=Candidacy.Stage.CHAIN)
    ChainStep.objects.create(candidacy=candidacy, position=0, supervisor=supervisor.employee)
    return candidacy


def _candidacy(dept):
    return {"candidacy_id": interview_candidacy(dept.users["panelist"]).pk}


def _profile(dept):
    from .roster import _profile as supporter_profile

    return {"profile_id": supporter_profile(dept).pk}


URL_KWARGS = {
    name: _candidacy
    for name in (
        "selection:candidacy",
        "selection:schedule",
        "selection:score",
        "selection:decide",
        "selection:skip",
        "selection:override",
        "selection:recommend",
        "selection:approve",
        "selection:withdraw",
    )
}
URL_KWARGS["selection:endorse"] = lambda dept: {
    "candidacy_id": chain_candidacy(dept.users["supervisor"]).pk
}
URL_KWARGS["roster:set_status"] = _profile
URL_KWARGS["roster:activate"] = _profile
OBJECT_SCOPED = {"selection:score", "selection:endorse"}


# For tests/system/test_object_access.py: two panelists, each on their own panel; two supervisors,
# each in their own candidate's chain.
def _as_panelist(user):
    from ..factories import EmployeeFactory, grant

    EmployeeFactory(user=user, work_email=user.email)
    grant(user, Role.PANELIST)
    user.forget_roles()
    return interview_candidacy(user)


def _as_supervisor(user):
    from peersupport.accounts.models import Unit

    from ..factories import EmployeeFactory

    unit = Unit.objects.create(name=f"Unit of {user.pk}", kind=Unit.Kind.UNIT)
    EmployeeFactory(user=user, unit=unit, work_email=user.email)
    unit.supervisor = user.employee
    unit.save(update_fields=["supervisor"])
    user.forget_roles()
    return chain_candidacy(user)


OWNED = {
    "selection:score": (_as_panelist, "candidacy_id"),
    "selection:endorse": (_as_supervisor, "candidacy_id"),
}
