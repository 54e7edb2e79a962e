"""Pure rules of outreach: which experience fits which event, and the chain-of-command check."""

from peersupport.accounts.models import User
from peersupport.accounts.selectors import chain_of_command

from .models import AffectedPerson, EventType

AREAS = {
    EventType.LINE_OF_DUTY_INJURY: ["injury_illness"],
    EventType.LINE_OF_DUTY_ILLNESS: ["injury_illness"],
    EventType.FAMILY_TRAGEDY: ["family_tragedy", "grief_loss"],
    EventType.CRITICAL_INCIDENT: ["critical_incidents"],
    EventType.LINE_OF_DUTY_DEATH: ["grief_loss", "critical_incidents"],
}


def in_chain_of_command(supporter: User, person: AffectedPerson) -> bool:
    anchor = person.anchor_employee
    supporter_employee = getattr(supporter, "employee", None)
    if anchor is None or supporter_employee is None:
        return False
    return any(boss.pk == supporter_employee.pk for boss in chain_of_command(anchor))
