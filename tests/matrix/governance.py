"""Who may use the policy pages (tests/test_authorization_matrix.py).

The BHS manager, the Chief and the coordinator read every policy document and its history; the
BHS manager drafts, edits and submits; only the Chief approves or returns; peer supporters read
the program policy in force and acknowledge it; the coordinator and the BHS manager see who has
not acknowledged.
"""

from peersupport.accounts.models import Role

_READERS = frozenset({Role.BHS_MANAGER, Role.CHIEF, Role.COORDINATOR})
_READERS_AND_SUPPORTERS = _READERS | {Role.PEER_SUPPORTER}
_BHS = frozenset({Role.BHS_MANAGER})
_CHIEF = frozenset({Role.CHIEF})


def _program_policy(dept) -> dict:
    """The approved program policy (installed by the data migration, again after a flush)."""
    from django.utils import timezone

    from peersupport.governance import models
    from peersupport.governance.defaults import install_defaults

    install_defaults(
        ExceptionCategory=models.ExceptionCategory,
        PolicyDocument=models.PolicyDocument,
        PolicyVersion=models.PolicyVersion,
        today=timezone.localdate(),
    )
    version = models.PolicyVersion.objects.get(document__kind="program_policy", number=1)
    return {"version_id": version.pk}


MATRIX = {
    "governance:list": {"GET": _READERS},
    "governance:current": {"GET": _READERS_AND_SUPPORTERS},
    "governance:version": {"GET": _READERS_AND_SUPPORTERS},
    "governance:draft": {"GET": _BHS, "POST": _BHS},
    "governance:edit": {"GET": _BHS, "POST": _BHS},
    "governance:submit": {"POST": _BHS},
    "governance:approve": {"POST": _CHIEF},
    "governance:return": {"POST": _CHIEF},
    "governance:acknowledge": {"POST": frozenset({Role.PEER_SUPPORTER})},
    "governance:acknowledgements": {"GET": frozenset({Role.COORDINATOR, Role.BHS_MANAGER})},
}
URL_KWARGS = {
    "governance:draft": lambda dept: {"kind": "program_policy"},
    "governance:version": _program_policy,
    "governance:edit": _program_policy,
    "governance:submit": _program_policy,
    "governance:approve": _program_policy,
    "governance:return": _program_policy,
}
