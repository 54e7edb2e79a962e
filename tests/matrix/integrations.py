"""Who may use the integration token pages (integrations/views.py): the system administrator
alone; and the REST API (integrations/api.py and the domain apps' api.py): another system with
a token, never a person (MACHINE: no persona, signed in or not, gets anything with a session;
the tokens themselves are tested in tests/integrations/test_api.py). The API's schema and its
index say only what the API is, so they are public."""

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import MACHINE, PUBLIC

_ADMIN = frozenset({Role.SYSADMIN})
_MACHINE = frozenset({MACHINE})

MATRIX = {
    "integrations:token_list": {"GET": _ADMIN},
    "integrations:token_add": {"GET": _ADMIN, "POST": _ADMIN},
    "integrations:token_made": {"GET": _ADMIN},
    "integrations:token_revoke": {"GET": _ADMIN, "POST": _ADMIN},
    "api:api-root": {"GET": frozenset({PUBLIC})},
    "api:openapi-json": {"GET": frozenset({PUBLIC})},
    "api:unknown": {"GET": _MACHINE},
    "api:resource_list": {"GET": _MACHINE},
    "api:resource": {"GET": _MACHINE},
    "api:training_records": {"GET": _MACHINE},
    "api:training_compliance": {"GET": _MACHINE},
    "api:report": {"GET": _MACHINE},
    "api:oncall_coverage": {"GET": _MACHINE},
    "api:roster_import": {"POST": _MACHINE},
}


def _a_token(dept) -> dict:
    from peersupport.integrations import services

    made, _raw = services.token_create(actor=None, label="HR system", scopes=["roster.import"])
    return {"token_id": made.pk}


def _a_resource(dept) -> dict:
    from ..factories import ResourceFactory

    return {"resource_id": ResourceFactory().pk}


URL_KWARGS = {
    "integrations:token_revoke": _a_token,
    "integrations:token_made": _a_token,
    "api:resource": _a_resource,
    "api:unknown": lambda dept: {"rest": "nothing-here"},
}

# tests/system/test_object_access.py
SHARED = {
    "integrations:token_revoke": "the system administrator keeps every integration token",
    "integrations:token_made": "the system administrator keeps every integration token",
    "api:resource": "the resource directory is public; the API needs a token, never a person",
}
