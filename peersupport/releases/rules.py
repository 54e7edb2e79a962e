"""Pure rules of releases: the one table of moves a release can make, and how lines are cleaned."""

from collections.abc import Iterable

from peersupport.audit.models import AuditAction

from .models import ReleaseStatus

# action -> (the statuses it may start from, the audit action)
TRANSITIONS = {
    "revoke": (frozenset({ReleaseStatus.VALID}), AuditAction.RELEASE_REVOKED),
    "end": (frozenset({ReleaseStatus.VALID}), AuditAction.RELEASE_ENDED),
}


def clean_lines(lines: Iterable[str]) -> list[str]:
    """Non-empty lines, trimmed, each once, in the order given."""
    seen, out = set(), []
    for line in lines:
        text = " ".join(str(line).split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out
