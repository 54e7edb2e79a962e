"""Every view declares who may use it. Deny by default.

``@roles_required(Role.X, ...)`` lets a signed-in person through when they hold one of the roles,
and answers 403 otherwise (the denial is audited). ``@public`` marks a view that needs no login
(health checks, the sign-in pages). ``@signed_in`` is any signed-in account. ``@machine`` is
for another system, never a person: no sign-in, and the view checks the caller itself (the
metrics endpoint's token or network), so no role or session gets through. The authorization
matrix test reads ``view.allowed_roles`` from every URL, so a view without a declaration fails it.
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied

from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record

PUBLIC = "public"
SIGNED_IN = "signed_in"
MACHINE = "machine"


def _declare(view, roles: frozenset[str]):
    view.allowed_roles = roles
    return view


def roles_required(*roles: str):
    if not roles:
        raise ValueError("roles_required needs at least one role")
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated or not request.user.has_role(*allowed):
                if request.user.is_authenticated:
                    record(
                        actor=request.user,
                        action=AuditAction.ACCESS_DENIED,
                        outcome=Outcome.DENIED,
                        details={"view": request.resolver_match.view_name},
                    )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _declare(wrapper, allowed)

    return decorator


def signed_in(view):
    """Any signed-in account (LoginRequiredMiddleware already sends others to sign in)."""
    return _declare(view, frozenset({SIGNED_IN}))


def public(view):
    return _declare(login_not_required(view), frozenset({PUBLIC}))


def machine(view):
    return _declare(login_not_required(view), frozenset({MACHINE}))
