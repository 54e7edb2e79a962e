"""Who may use the policy pages (tests/system/test_authorization_matrix.py).

The BHS manager, the Chief and the coordinator read every policy document and its history; the
BHS manager drafts, edits and submits; only the Chief approves or returns; peer supporters read
the program policy in force and acknowledge it; the coordinator and the BHS manager see who has
not acknowledged. Whoever may read a version may download it as a PDF; the notice in force is a
public PDF, like the page requesters read it on. The BHS manager keeps the exception categories;
the coordinator and the Chief read them.
"""

import itertools

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC

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
    "governance:acknowledgements_remind": {"POST": frozenset({Role.COORDINATOR, Role.BHS_MANAGER})},
    "governance:version_pdf": {"GET": _READERS_AND_SUPPORTERS},
    "governance:notice_pdf": {"GET": frozenset({PUBLIC})},
    "governance:categories": {"GET": _READERS},
    "governance:category_create": {"GET": _BHS, "POST": _BHS},
    "governance:category_edit": {"GET": _BHS, "POST": _BHS},
    "governance:category_retire": {"GET": _BHS, "POST": _BHS},
    "governance:category_restore": {"GET": _BHS, "POST": _BHS},
}


_made = itertools.count(1)


def _category(*, retired: bool = False) -> dict:
    from peersupport.governance.models import ExceptionCategory

    # A new code each time: bench/sweep.py makes every page's object in one database.
    n = next(_made)
    category = ExceptionCategory.objects.create(
        code=f"matrix-{'retired' if retired else 'active'}-{n}",
        name=f"Matrix {'retired' if retired else 'active'} category {n}",
        action="Escalate.",
        active=not retired,
        order=900,
    )
    return {"category_id": category.pk}


URL_KWARGS = {
    "governance:draft": lambda dept: {"kind": "program_policy"},
    "governance:version": _program_policy,
    "governance:edit": _program_policy,
    "governance:submit": _program_policy,
    "governance:approve": _program_policy,
    "governance:return": _program_policy,
    "governance:version_pdf": _program_policy,
    "governance:category_edit": lambda dept: _category(),
    "governance:category_retire": lambda dept: _category(),
    "governance:category_restore": lambda dept: _category(retired=True),
}
