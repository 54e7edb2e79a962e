"""The scopes a token can be given. The kernel names SCIM provisioning's; a domain app that
offers part of the API registers its own scopes in its ``AppConfig.ready`` (the kernel never
imports a domain app), so the token page lists exactly what the API serves."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    name: str
    label: str
    description: str = ""


_scopes: dict[str, Scope] = {}

SCIM = "scim"


def register_scope(name: str, *, label: str, description: str = "") -> Scope:
    """Idempotent for the same name (an app's ``ready`` may run twice in tests)."""
    scope = Scope(name=name, label=label, description=description)
    _scopes[name] = scope
    return scope


def scopes() -> list[Scope]:
    return sorted(_scopes.values(), key=lambda s: s.name)


def scope_names() -> set[str]:
    return set(_scopes)


register_scope(
    SCIM,
    label="SCIM provisioning",
    description="Create, change and separate employee records and units from the identity "
    "provider (Entra ID, Okta) at /scim/v2/.",
)
