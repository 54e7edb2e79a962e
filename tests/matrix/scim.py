"""The SCIM endpoint (integrations/scim.py) is for an identity provider, never a person: no
persona, signed in or not, gets anything with a session (401 without a bearer token with the
scim scope). Its tokens, refusals and round trips are in tests/integrations/test_scim*.py."""

from peersupport.accounts.permissions import MACHINE

_ONLY = frozenset({MACHINE})

MATRIX = {
    "scim:service_provider_config": {"GET": _ONLY},
    "scim:schemas": {"GET": _ONLY},
    "scim:schema": {"GET": _ONLY},
    "scim:resource_types": {"GET": _ONLY},
    "scim:resource_type": {"GET": _ONLY},
    "scim:users": {"GET": _ONLY, "POST": _ONLY},
    "scim:user": {"GET": _ONLY, "PUT": _ONLY, "PATCH": _ONLY, "DELETE": _ONLY},
    "scim:groups": {"GET": _ONLY, "POST": _ONLY},
    "scim:group": {"GET": _ONLY, "PUT": _ONLY, "PATCH": _ONLY, "DELETE": _ONLY},
    "scim:unknown": {m: _ONLY for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
}

URL_KWARGS = {
    "scim:schema": lambda dept: {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"},
    "scim:resource_type": lambda dept: {"name": "User"},
    "scim:user": lambda dept: {"scim_id": str(dept.users["employee"].employee.pk)},
    "scim:group": lambda dept: {"scim_id": str(dept.squad.pk)},
    "scim:unknown": lambda dept: {"rest": "Bulk"},
}
