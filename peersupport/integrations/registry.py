"""The scopes a token can be given. The kernel names SCIM provisioning's; a domain app that
offers part of the API registers its own scopes in its ``AppConfig.ready`` (the kernel never
imports a domain app), so the token page lists exactly what the API serves."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    name: str
    label: str
    description: str = ""
    # A scope that reads people's records by name or changes them: making a token that holds
    # one alerts the BHS managers (alerts.py), as no person of the program could read as much.
    names_people: bool = False


_scopes: dict[str, Scope] = {}

SCIM = "scim"
# The kernel's own scopes that name or change people: marked here as well, so the mark holds
# whichever module registers them.
_KERNEL_NAMES_PEOPLE = frozenset({SCIM, "roster.import"})


def register_scope(
    name: str, *, label: str, description: str = "", names_people: bool = False
) -> Scope:
    """Idempotent for the same name (an app's ``ready`` may run twice in tests). Mark with
    ``names_people`` a scope that reads people's records by name or changes them."""
    names_people = names_people or name in _KERNEL_NAMES_PEOPLE
    scope = Scope(name=name, label=label, description=description, names_people=names_people)
    _scopes[name] = scope
    return scope


def scopes() -> list[Scope]:
    return sorted(_scopes.values(), key=lambda s: s.name)


def scope_names() -> set[str]:
    return set(_scopes)


def naming_people(names) -> list[str]:
    """Those of the scope ``names`` that read people's records by name or change them."""
    return sorted(n for n in set(names or ()) if n in _scopes and _scopes[n].names_people)


register_scope(
    SCIM,
    label="SCIM provisioning",
    description="Create, change and separate employee records and units from the identity "
    "provider (Entra ID, Okta) at /scim/v2/.",
    names_people=True,
)
