"""Pure rules of policy versions: the one table of moves, which states are still open, and the
department's peer support privilege profile a notice version shows."""

from dataclasses import dataclass

from peersupport.accounts.models import Role

from .models import PolicyVersion

S = PolicyVersion.Status

# action -> (states it may start from, state it leads to, the role that may take it, audit)
TRANSITIONS = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, Role.BHS_MANAGER),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED, Role.CHIEF),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED, Role.CHIEF),
}


OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})


# --- The department's peer support privilege (what its state's law provides) ----------------
#
# Peer support privilege differs by state: who is covered, whether the supporter must have been
# designated before the incident, whether a supporter who responded to the incident is left
# out, whether family members and retired supporters are covered, and the law's own exceptions.
# A notice version keeps the profile it was drafted with (PolicyVersion.privilege), so an old
# version keeps the rules it was published with. An empty profile ({}) says nothing: the notice
# reads as it did before profiles existed.

# Who may ask (PROGRAM.md's requester types), as the law may cover them.
COVERED_GROUPS = (
    ("sworn", "sworn officers"),
    ("civilian", "civilian employees"),
    ("corrections", "corrections staff"),
    ("family", "family members of employees"),
    ("retiree", "retired employees"),
)
_GROUP_LABELS = dict(COVERED_GROUPS)
STATE_MAX, LAW_MAX, EXCEPTION_MAX, EXCEPTIONS_MAX = 80, 200, 300, 20


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class PrivilegeProfile:
    """The privilege rules of the department's state, in the words the notice shows."""

    state: str
    law: str = ""
    privileged: bool = True
    covered: tuple[str, ...] = ()
    designated_before_incident: bool = False
    responders_excluded: bool = False
    retired_supporters_covered: bool = False
    exceptions: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict | None) -> "PrivilegeProfile | None":
        """The profile a notice version stored, or None for one that states none."""
        if not data or not data.get("state"):
            return None
        return cls(
            state=data["state"],
            law=data.get("law", ""),
            privileged=bool(data.get("privileged", True)),
            covered=tuple(g for g in data.get("covered", ()) if g in _GROUP_LABELS),
            designated_before_incident=bool(data.get("designated_before_incident")),
            responders_excluded=bool(data.get("responders_excluded")),
            retired_supporters_covered=bool(data.get("retired_supporters_covered")),
            exceptions=tuple(data.get("exceptions", ())),
        )

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "law": self.law,
            "privileged": self.privileged,
            "covered": list(self.covered),
            "designated_before_incident": self.designated_before_incident,
            "responders_excluded": self.responders_excluded,
            "retired_supporters_covered": self.retired_supporters_covered,
            "exceptions": list(self.exceptions),
        }

    @property
    def heading(self) -> str:
        return f"Peer support privilege in {self.state}"

    @property
    def excludes_responders(self) -> bool:
        return self.privileged and self.responders_excluded

    def lines(self) -> tuple[str, ...]:
        """The rules in plain words, one sentence each (the exceptions are listed apart)."""
        law = f"{self.state} law" + (f" ({self.law})" if self.law else "")
        if not self.privileged:
            return (
                f"{self.state} has no law that makes what you tell a peer supporter privileged"
                + (f" ({self.law})" if self.law else "")
                + ": a court can order a supporter to tell what they heard. The department "
                "keeps it confidential within the limits above.",
            )
        lines = [
            f"{law} protects what you tell a peer supporter from being disclosed in court and "
            "similar proceedings, within the rules below."
        ]
        covered = [_GROUP_LABELS[g] for g in self.covered]
        left_out = [label for g, label in COVERED_GROUPS if g not in self.covered]
        lines.append(f"It covers {_join(covered)}.")
        if left_out:
            lines.append(f"It does not cover {_join(left_out)}.")
        if self.designated_before_incident:
            lines.append(
                "It covers only a peer supporter the department designated before the incident "
                "you talk about."
            )
        if self.responders_excluded:
            lines.append(
                "It does not cover a peer supporter who responded to the incident you talk "
                "about: ask for a supporter who was not there."
            )
        lines.append(
            "It covers retired peer supporters too."
            if self.retired_supporters_covered
            else "It does not cover a retired peer supporter."
        )
        return tuple(lines)


def privilege_errors(profile: PrivilegeProfile) -> dict[str, str]:
    """What is wrong with a profile, by field (empty when it may be saved)."""
    errors = {}
    if not profile.state.strip():
        errors["privilege_state"] = "Name the state whose law applies, for example “Colorado”."
    elif len(profile.state) > STATE_MAX:
        errors["privilege_state"] = f"Keep the state under {STATE_MAX} characters."
    if len(profile.law) > LAW_MAX:
        errors["privilege_law"] = f"Keep the citation under {LAW_MAX} characters."
    if profile.privileged and not profile.covered:
        errors["privilege_covered"] = (
            "Choose who the law covers, or say that the state has no peer support privilege."
        )
    if len(profile.exceptions) > EXCEPTIONS_MAX:
        errors["privilege_exceptions"] = f"List at most {EXCEPTIONS_MAX} exceptions."
    elif any(len(line) > EXCEPTION_MAX for line in profile.exceptions):
        errors["privilege_exceptions"] = (
            f"Keep each exception under {EXCEPTION_MAX} characters (one a line)."
        )
    return errors
