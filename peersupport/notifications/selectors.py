"""Reads of a person's alert settings: the channels they chose per kind and their quiet hours.
A person reads and changes only their own (the page passes ``request.user``)."""

from dataclasses import dataclass

from . import kinds
from .models import PREFERENCE_CHANNELS, AlertPhone, AlertPreference, QuietHours


def channels_for(user, kind: str) -> set[str]:
    """The channels ``user`` wants alerts of ``kind`` on: every channel unless they chose."""
    preference = AlertPreference.objects.filter(user=user, kind=kind).first()
    return preference.channels() if preference is not None else set(PREFERENCE_CHANNELS)


def alert_phone_of(user) -> str:
    """The number ``user`` gave for text-message alerts, or ""."""
    row = AlertPhone.objects.filter(user=user).first()
    return row.phone if row is not None else ""


def quiet_hours_of(user) -> QuietHours | None:
    return QuietHours.objects.filter(user=user).first()


@dataclass(frozen=True)
class KindSetting:
    kind: kinds.Kind
    channels: frozenset[str]


@dataclass(frozen=True)
class AlertSettings:
    kinds: list[KindSetting]
    quiet_hours: QuietHours | None
    phone: str = ""


def alert_settings(user) -> AlertSettings:
    """What the settings page shows ``user``: the kinds relevant to their roles, each with the
    channels they chose (or the default, every channel), and their quiet hours."""
    chosen = {p.kind: p.channels() for p in AlertPreference.objects.filter(user=user)}
    return AlertSettings(
        kinds=[
            KindSetting(kind=k, channels=frozenset(chosen.get(k.name, PREFERENCE_CHANNELS)))
            for k in kinds.kinds_for(user.roles)
        ],
        quiet_hours=quiet_hours_of(user),
        phone=alert_phone_of(user),
    )
