"""People without an account who asked to be told something (a family member who left a
contact detail): their alerts go through the outbox like every other, but the row keeps only a
reference (``"<prefix><id>"``), never the address. The app that holds the address, encrypted,
registers how to read it (``register_address`` in its ``AppConfig.ready()``); delivery reads it
just before sending, so the address is never written anywhere else, and an address gone since
(the record purged, the person no longer wants it) means the alert is skipped."""

from collections.abc import Callable

_resolvers: dict[str, Callable[[str], str]] = {}


def register_address(prefix: str, resolve: Callable[[str], str]) -> None:
    """``resolve(rest)``: the address for the reference ``prefix + rest``, or "" if none."""
    _resolvers[prefix] = resolve


def is_reference(address: str) -> bool:
    return any(address.startswith(prefix) for prefix in _resolvers)


def resolve(reference: str) -> str:
    for prefix, read in _resolvers.items():
        if reference.startswith(prefix):
            return read(reference.removeprefix(prefix)) or ""
    return ""
