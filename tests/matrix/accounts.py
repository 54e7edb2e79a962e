"""Who may use the two-person rule's pages (tests/system/test_authorization_matrix.py).

Only the approvers (a BHS manager, the Chief) see what waits for their approval and decide it;
past the role check the selector keeps out the one who asked and the one who would receive the
grant (404, tests/accounts/test_two_person.py). The system administrator asks on the Roles
page, declared with the kernel's URLs.
"""

from peersupport.accounts.models import Role

_APPROVERS = frozenset({Role.BHS_MANAGER, Role.CHIEF})
_SYSADMIN = frozenset({Role.SYSADMIN})


def _waiting_request(dept):
    """A grant the system administrator asked for a newcomer: both personas may decide it."""
    from peersupport.accounts.services import role_request

    from ..factories import UserFactory

    return role_request(
        actor=dept.users["sysadmin"],
        user=UserFactory(),
        role=Role.PEER_SUPPORTER,
        reason="Matrix",
    )


MATRIX = {
    "accounts:role_requests": {"GET": _APPROVERS},
    "accounts:role_request_decide": {"GET": _APPROVERS, "POST": _APPROVERS},
    # The HR roster import (docs/hr-import.md): the system administrator's alone.
    "accounts:roster_import": {"GET": _SYSADMIN, "POST": _SYSADMIN},
    "accounts:roster_import_confirm": {"POST": _SYSADMIN},
}

URL_KWARGS = {
    "accounts:role_request_decide": lambda dept: {"request_id": _waiting_request(dept).pk},
}
