"""The demo department's personas (one sign-in per role) and the refusal to run in production.

Every demo account signs in with ``settings.DEMO_PASSWORD``; every account that holds more than
the plain employee role also has a TOTP authenticator on ``settings.DEMO_TOTP_SECRET``. Both are
published, which is why nothing in the demo runs in production.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from peersupport.accounts.models import Role, User

EMAIL_DOMAIN = "demo.peersupport.test"  # .test is reserved: nothing can ever be delivered there


@dataclass(frozen=True)
class Persona:
    key: str
    email: str
    label: str
    role: Role  # the role the persona is there to exercise
    granted: Role | None  # the role granted to it; None when the role follows from the records


def _persona(key: str, local: str, role: Role, *, derived: bool = False) -> Persona:
    return Persona(
        key=key,
        email=f"{local}@{EMAIL_DOMAIN}",
        label=role.label,
        role=role,
        granted=None if derived else role,
    )


PERSONAS: tuple[Persona, ...] = (
    _persona("employee", "employee", Role.EMPLOYEE, derived=True),
    _persona("supporter", "supporter", Role.PEER_SUPPORTER),
    _persona("coordinator", "coordinator", Role.COORDINATOR),
    _persona("bhs_manager", "bhs.manager", Role.BHS_MANAGER),
    _persona("advocacy_supervisor", "advocacy", Role.ADVOCACY_SUPERVISOR),
    _persona("chief", "chief", Role.CHIEF),
    _persona("supervisor", "supervisor", Role.SUPERVISOR, derived=True),
    _persona("panelist", "panelist", Role.PANELIST),
    _persona("committee_member", "committee", Role.COMMITTEE_MEMBER),
    _persona("sysadmin", "sysadmin", Role.SYSADMIN),
)
PERSONA_EMAILS = tuple(p.email for p in PERSONAS)


class DemoRefused(ImproperlyConfigured):
    """The demo department would publish a known password; it is never loaded in production."""


def demo_refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoRefused(
            "The demo department is refused in production: its accounts share a published "
            "password and TOTP secret. Run it with PEERSUPPORT_ENV=development."
        )


def persona_accounts() -> list[tuple[Persona, User | None]]:
    """Each persona with its account, if the demo department is loaded."""
    users = {u.email: u for u in User.objects.filter(email__in=PERSONA_EMAILS)}
    return [(p, users.get(p.email)) for p in PERSONAS]
