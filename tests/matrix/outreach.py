"""Who may use the outreach pages (tests/system/test_authorization_matrix.py).

The coordinator and the BHS manager open and run outreaches; the coordinator keeps the
follow-up plans (the BHS manager reads them); peer supporters see the people they are assigned
to, answer, and record attempts (their objects only: tests/outreach/test_outreach.py and
tests/system/test_object_access.py).
"""

from peersupport.accounts.models import Role

_STAFF = frozenset({Role.COORDINATOR, Role.BHS_MANAGER})
_STAFF_GET_POST = {"GET": _STAFF, "POST": _STAFF}
_SUPPORTER = frozenset({Role.PEER_SUPPORTER})
_COORDINATOR = frozenset({Role.COORDINATOR})


def open_outreach(dept, **kwargs):
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.outreach import services
    from peersupport.outreach.defaults import install_defaults
    from peersupport.outreach.models import PlanStep

    install_defaults(PlanStep=PlanStep)
    if dept is None:
        return None
    return services.outreach_open(
        actor=dept.users["coordinator"],
        event_type=kwargs.get("event_type", "critical_incident"),
        event_date=timezone.localdate() - timedelta(days=1),
        description="Matrix outreach",
    )


def person(dept):
    from peersupport.outreach import services

    outreach = open_outreach(dept)
    return services.person_add(
        actor=dept.users["coordinator"],
        outreach=outreach,
        name="Matrix Person",
        how_to_reach="555 0100",
    )


def assigned(supporter, coordinator, dept=None, *, accept=True):
    """An assignment of ``supporter`` (an active peer supporter) to a new affected person."""
    from types import SimpleNamespace

    from peersupport.outreach import services

    from .support_supporter import active_supporter

    active_supporter(supporter)
    fake = SimpleNamespace(users={"coordinator": coordinator})
    who = person(fake)
    assignment = services.assignment_make(actor=coordinator, person=who, supporter=supporter)
    if accept:
        services.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    return assignment


def _session(dept):
    from django.utils import timezone

    from peersupport.outreach import services

    session = services.group_session_schedule(
        actor=dept.users["coordinator"],
        outreach=open_outreach(dept),
        starts_at=timezone.now(),
        place="Room B",
        facilitator="Clinician",
    )
    return {"session_id": session.pk}


def _plan_step():
    from peersupport.outreach.models import PlanStep

    open_outreach(None)  # installs the default plans
    return PlanStep.objects.create(event_type="ld_injury", label="Matrix step", offset_hours=4000)


def _assignment(dept):
    return assigned(dept.users["supporter"], dept.users["coordinator"])


MATRIX = {
    "outreach:board": {"GET": _STAFF},
    "outreach:open": _STAFF_GET_POST,
    "outreach:plans": {"GET": _STAFF, "POST": _COORDINATOR},
    "outreach:plan_step_remove": {"POST": _COORDINATOR},
    "outreach:detail": {"GET": _STAFF},
    "outreach:person_add": _STAFF_GET_POST,
    "outreach:session_add": _STAFF_GET_POST,
    "outreach:close": _STAFF_GET_POST,
    "outreach:responder_add": _STAFF_GET_POST,
    "outreach:responder_remove": {"POST": _STAFF},
    "outreach:assign": _STAFF_GET_POST,
    "outreach:task_add": _STAFF_GET_POST,
    "outreach:person_resume": _STAFF_GET_POST,
    "outreach:attendance": _STAFF_GET_POST,
    "outreach:mine": {"GET": _SUPPORTER},
    "outreach:assignment": {"GET": _SUPPORTER},
    "outreach:assignment_answer": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "outreach:attempt": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "outreach:remind": {"POST": _STAFF},
}
URL_KWARGS = {
    "outreach:plan_step_remove": lambda dept: {"step_id": _plan_step().pk},
    "outreach:detail": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:person_add": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:session_add": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:close": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:responder_add": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:responder_remove": lambda dept: {"public_id": open_outreach(dept).public_id},
    "outreach:assign": lambda dept: {"person_id": person(dept).pk},
    "outreach:task_add": lambda dept: {"person_id": person(dept).pk},
    "outreach:person_resume": lambda dept: {"person_id": person(dept).pk},
    "outreach:attendance": _session,
    "outreach:assignment": lambda dept: {"assignment_id": _assignment(dept).pk},
    "outreach:assignment_answer": lambda dept: {"assignment_id": _assignment(dept).pk},
    "outreach:attempt": lambda dept: {"task_id": _assignment(dept).person.tasks.first().pk},
    "outreach:remind": lambda dept: {"task_id": person(dept).tasks.first().pk},
}
# Past the role check the assignment decides: its supporter gets it, everyone else 404.
OBJECT_SCOPED = {"outreach:assignment", "outreach:assignment_answer", "outreach:attempt"}
