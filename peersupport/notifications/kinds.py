"""The kinds of alert, one per message template: ``"support/followups_due"`` is both the template
``templates/messages/support/followups_due.txt`` and the kind a person chooses channels for.

Each app declares its kinds in ``peersupport/<app>/alerts.py`` as a plain dict::

    KINDS = {
        "training/session_soon": {
            "label": "A training session you are enrolled in is soon",
            "urgent": False,
            "roles": ["peer_supporter"],
        },
    }

``label`` is what the alert settings page shows; ``urgent`` kinds (someone must act within the
hour) cannot be switched off entirely and are never held for quiet hours or gathered with
others; ``roles`` (values of ``accounts.models.Role``) says whose settings page lists the kind,
and no ``roles`` lists it for everyone; ``"accounts": False`` marks a kind sent to people without
an account (notifications.recipients), which no settings page lists. ``autodiscover``
(``NotificationsConfig.ready()``) collects every installed app's ``alerts.KINDS`` without naming
any app, as the admin does.
"""

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

from peersupport.accounts.models import Role

# The message that gathers several alerts into one (services.deliver); not a kind anyone
# chooses channels for: each alert in it was already allowed on that channel.
COMBINED_MESSAGE = "notifications/waiting"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    urgent: bool
    roles: frozenset[str]  # empty: everyone
    accounts: bool = True  # False: sent only to people without an account

    def concerns(self, roles) -> bool:
        """Is this kind relevant to someone holding ``roles``?"""
        return self.accounts and (not self.roles or bool(self.roles & set(roles)))


_kinds: dict[str, Kind] = {}
KEYS = {"label", "urgent", "roles", "accounts"}


def register_kinds(kinds: dict, *, source: str) -> None:
    """Add ``kinds`` (an ``alerts.KINDS`` dict) to the registry; ``source`` names where they
    came from for the error message. Refuses a malformed entry or a kind declared twice."""
    valid_roles = {r.value for r in Role}
    for name, spec in kinds.items():
        topic, _, rest = name.partition("/")
        problem = ""
        if not (topic and rest) or "/" in rest:
            problem = "a kind is a template name, <topic>/<name>"
        elif name in _kinds and _kinds[name] != _make(name, spec):
            problem = "declared twice"
        elif not isinstance(spec.get("label"), str) or not spec["label"].strip():
            problem = "needs a label"
        elif not isinstance(spec.get("urgent"), bool):
            problem = "needs urgent: True or False"
        elif not set(spec.get("roles", ())) <= valid_roles or isinstance(spec.get("roles"), str):
            problem = f"roles must be a list of {sorted(valid_roles)}"
        elif not isinstance(spec.get("accounts", True), bool):
            problem = "accounts must be True or False"
        elif set(spec) - KEYS:
            problem = f"unknown keys {sorted(set(spec) - KEYS)}"
        if problem:
            raise ImproperlyConfigured(f"{source}: alert kind {name!r}: {problem}.")
        _kinds[name] = _make(name, spec)


def _make(name: str, spec: dict) -> Kind:
    return Kind(
        name=name,
        label=spec.get("label", ""),
        urgent=spec.get("urgent", False),
        roles=frozenset(spec.get("roles", ())),
        accounts=spec.get("accounts", True),
    )


def autodiscover() -> None:
    """Register the ``KINDS`` of every installed app's ``alerts`` module."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "alerts"):
            module = import_module(f"{config.name}.alerts")
            register_kinds(getattr(module, "KINDS", {}), source=f"{config.name}.alerts")


def kind(name: str) -> Kind | None:
    return _kinds.get(name)


def is_urgent(name: str) -> bool:
    found = _kinds.get(name)
    return bool(found and found.urgent)


def all_kinds() -> list[Kind]:
    """Every declared kind, by topic then label."""
    return sorted(_kinds.values(), key=lambda k: (k.name.split("/")[0], k.label))


def kinds_for(roles) -> list[Kind]:
    """The kinds relevant to someone holding ``roles``, as the settings page lists them."""
    return [k for k in all_kinds() if k.concerns(roles)]
