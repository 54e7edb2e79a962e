"""The limits of confidentiality, as shown before any request is sent and before a contact is
logged. Everything reads it through ``current_notice()``: the Chief-approved version of the
notice in force, and every request and contact records the version.
"""

from dataclasses import dataclass

from .models import PolicyDocument
from .rules import PrivilegeProfile
from .selectors import current_version


@dataclass(frozen=True)
class Notice:
    version: str
    intro: str
    exceptions: tuple[str, ...]
    closing: str
    # What the department's state law provides (shown after the closing), or None: the notice
    # then reads as it did before privilege profiles existed.
    privilege: PrivilegeProfile | None = None


_DEFAULT = Notice(
    version="program-default-1",
    intro=(
        "What you tell a peer supporter stays between you and them. No one above you or your "
        "family member in the department, and no one who runs this service, can see that you "
        "asked for help. There are exceptions, which the supporter must act on:"
    ),
    exceptions=(
        "Danger to yourself.",
        "Danger to others.",
        "Suspected child abuse.",
        "Narcotic offenses.",
        "Domestic violence.",
        "Elder abuse.",
        "Disclosure required by law.",
        "You ask for disclosure and sign a release saying what goes to whom.",
    ),
    closing=(
        "In any of these the supporter raises it with the Behavioral Health Services manager or "
        "the advocacy supervisor, and no one else. If you are in crisis now, call or text 988."
    ),
)


def current_notice() -> Notice:
    """The confidentiality notice in force: the current approved version in the database, or
    the built-in default above when none is approved. A database error (a lock timeout, say) is
    raised, never answered with the built-in notice: the notice shown must be the one in force."""
    version = current_version(PolicyDocument.Kind.CONFIDENTIALITY_NOTICE)
    if version is None:
        return _DEFAULT
    return Notice(
        version=version.label,
        intro=version.intro,
        exceptions=version.exception_lines(),
        closing=version.closing,
        privilege=PrivilegeProfile.from_json(version.privilege),
    )
