"""Who may use the escalation pages (tests/system/test_authorization_matrix.py).

Peer supporters raise from a request they hold or a contact they logged. An escalation page is
for any signed-in account past the door, because the people alerted can include the BHS
manager's own manager, who holds no program role; the selector then lets in only the supporter
who raised it, the people alerted, and the BHS manager and advocacy supervisor (everyone else
404, tests/confidentiality/test_escalations.py). The BHS manager keeps the on-duty roster; the
advocacy supervisor and the coordinator read it.
"""

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import SIGNED_IN

_SUPPORTER = frozenset({Role.PEER_SUPPORTER})
_SIGNED_IN = frozenset({SIGNED_IN})
_BHS = frozenset({Role.BHS_MANAGER})
_ROSTER_READERS = frozenset({Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR, Role.COORDINATOR})


def raised_escalation(supporter):
    """An escalation the supporter raised from a request they hold."""
    from peersupport.confidentiality.services import escalation_raise
    from peersupport.governance.models import ExceptionCategory

    from .support_supporter import held_request

    return escalation_raise(
        actor=supporter,
        category=ExceptionCategory.objects.get(code="danger-to-others"),
        note="Matrix note",
        request=held_request(supporter),
    )


def _held(supporter):
    from .support_supporter import held_request

    return held_request(supporter)


def logged_contact(supporter):
    from .support_supporter import open_followup

    return open_followup(supporter).contact


def duty_row(dept):
    from peersupport.confidentiality.services import duty_assign

    bhs = dept.users["bhs_manager"]
    return duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0)


def _escalation(dept):
    return {"public_id": raised_escalation(dept.users["supporter"]).public_id}


MATRIX = {
    "confidentiality:raise_for_request": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "confidentiality:raise_for_contact": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "confidentiality:escalation_list": {"GET": _SIGNED_IN},
    "confidentiality:escalation": {"GET": _SIGNED_IN},
    "confidentiality:acknowledge": {"GET": _SIGNED_IN, "POST": _SIGNED_IN},
    "confidentiality:resolve": {"GET": _SIGNED_IN, "POST": _SIGNED_IN},
    "confidentiality:duty": {"GET": _ROSTER_READERS, "POST": _BHS},
    "confidentiality:duty_end": {"POST": _BHS},
}
URL_KWARGS = {
    "confidentiality:raise_for_request": lambda dept: {
        "request_id": _held(dept.users["supporter"]).pk
    },
    "confidentiality:raise_for_contact": lambda dept: {
        "contact_id": logged_contact(dept.users["supporter"]).pk
    },
    "confidentiality:escalation": _escalation,
    "confidentiality:acknowledge": _escalation,
    "confidentiality:resolve": _escalation,
    "confidentiality:duty_end": lambda dept: {"assignment_id": duty_row(dept).pk},
}
# Past the sign-in, the escalation decides: its raiser, its recipients and the overseers.
OBJECT_SCOPED = {
    "confidentiality:escalation",
    "confidentiality:acknowledge",
    "confidentiality:resolve",
}
