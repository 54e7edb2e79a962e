"""Pure rules of outreach: which experience fits which kind of event."""

from .models import EventType

AREAS = {
    EventType.LINE_OF_DUTY_INJURY: ["injury_illness"],
    EventType.LINE_OF_DUTY_ILLNESS: ["injury_illness"],
    EventType.FAMILY_TRAGEDY: ["family_tragedy", "grief_loss"],
    EventType.CRITICAL_INCIDENT: ["critical_incidents"],
    EventType.LINE_OF_DUTY_DEATH: ["grief_loss", "critical_incidents"],
}
