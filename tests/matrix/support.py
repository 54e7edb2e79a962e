"""The requester's side of the support app."""

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC

EMP = frozenset({Role.EMPLOYEE})


def _own_request(dept):
    from peersupport.governance.notice import current_notice
    from peersupport.support.models import ContactMethod, RequesterKind
    from peersupport.support.services import request_create

    created = request_create(
        requester=dept.users["employee"],
        kind=RequesterKind.EMPLOYEE,
        contact_method=ContactMethod.MESSAGES,
        notice_version=current_notice().version,
    )
    return {"public_id": created.request.public_id}


MATRIX = {
    "support:ask": {"GET": EMP, "POST": EMP},
    "support:my_requests": {"GET": EMP},
    # Every employee may open the URL; only the one who asked finds the request (else 404).
    "support:my_request": {"GET": EMP, "POST": EMP},
    "support:public_ask": {"GET": frozenset({PUBLIC}), "POST": frozenset({PUBLIC})},
    "support:codename": {"GET": frozenset({PUBLIC}), "POST": frozenset({PUBLIC})},
    "support:check": {"GET": frozenset({PUBLIC}), "POST": frozenset({PUBLIC})},
    "support:status": {"GET": frozenset({PUBLIC}), "POST": frozenset({PUBLIC})},
    "support:leave": {"POST": frozenset({PUBLIC})},
}
URL_KWARGS = {"support:my_request": _own_request}
OBJECT_SCOPED = {"support:my_request", "support:status"}
