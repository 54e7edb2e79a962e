"""Who may use the resource directory's pages (tests/system/test_authorization_matrix.py)."""

import itertools

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC, SIGNED_IN

_COORDINATOR = frozenset({Role.COORDINATOR})
_GET_POST = {"GET": _COORDINATOR, "POST": _COORDINATOR}

MATRIX = {
    "resources:list": {"GET": frozenset({SIGNED_IN})},
    "resources:detail": {"GET": frozenset({SIGNED_IN})},
    "resources:public_list": {"GET": frozenset({PUBLIC})},
    "resources:public_detail": {"GET": frozenset({PUBLIC})},
    # The private self-check: no account, answers added up in the browser, nothing posted.
    "resources:self_check": {"GET": frozenset({PUBLIC})},
    "resources:retired": {"GET": _COORDINATOR},
    "resources:create": _GET_POST,
    "resources:edit": _GET_POST,
    "resources:retire": _GET_POST,
    "resources:restore": _GET_POST,
}


_made = itertools.count(1)


def _resource(*, retired: bool = False) -> dict:
    from django.utils import timezone

    from peersupport.resources.models import Category, Resource

    # A new name each time: bench/sweep.py makes every page's object in one database.
    resource = Resource.objects.create(
        name=f"Matrix Test Line {next(_made)}",
        category=Category.CRISIS_LINE,
        description="A line that answers.",
        phone="988",
        retired_at=timezone.now() if retired else None,
    )
    return {"resource_id": resource.pk}


URL_KWARGS = {
    "resources:detail": lambda dept: _resource(),
    "resources:public_detail": lambda dept: _resource(),
    "resources:edit": lambda dept: _resource(),
    "resources:retire": lambda dept: _resource(),
    "resources:restore": lambda dept: _resource(retired=True),
}
