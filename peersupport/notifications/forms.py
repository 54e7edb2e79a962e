"""The form of a person's alert settings (the page is peersupport/web/alert_settings.py)."""

from django import forms

from .rules import clean_phone
from .selectors import AlertSettings

CHANNEL_LABELS = {"email": "E-mail", "sms": "Text message", "push": "Notification on this device"}
URGENT_HELP = "Urgent: someone may need you within the hour, so at least one channel stays on."


def field_name(kind: str) -> str:
    """A kind's form field name: ``support/followups_due`` -> ``kind-support-followups_due``."""
    return "kind-" + kind.replace("/", "-")


class AlertSettingsForm(forms.Form):
    quiet_start = forms.TimeField(
        required=False,
        label="Quiet hours start",
        help_text="24-hour time, such as 22:00.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        required=False,
        label="Quiet hours end",
        help_text="Such as 07:00. An end before the start runs past midnight.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    phone = forms.CharField(
        required=False,
        max_length=32,
        label="Your number for text messages (optional)",
        help_text="Only for the alerts you tick \u201cText message\u201d for. Kept encrypted; "
        "leave empty to remove it.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, data=None, *, current: AlertSettings, channels: list[str]):
        quiet = current.quiet_hours
        initial = {
            "quiet_start": quiet.start if quiet else None,
            "quiet_end": quiet.end if quiet else None,
            "phone": current.phone,
        }
        super().__init__(data, initial=initial)
        self.kinds = [setting.kind for setting in current.kinds]
        choices = [(c, CHANNEL_LABELS.get(c, c)) for c in channels]
        for setting in current.kinds:
            name = field_name(setting.kind.name)
            self.fields[name] = forms.MultipleChoiceField(
                choices=choices,
                required=False,
                label=setting.kind.label,
                help_text=URGENT_HELP if setting.kind.urgent else "",
                widget=forms.CheckboxSelectMultiple,
            )
            self.initial[name] = [c for c in channels if c in setting.channels]
        # As the page shows them: each kind, then the quiet hours.
        self.order_fields([*(field_name(k.name) for k in self.kinds), "phone", "quiet_start"])

    def kind_fields(self):
        return [self[field_name(k.name)] for k in self.kinds]

    def clean(self):
        data = super().clean()
        for kind in self.kinds:
            name = field_name(kind.name)
            if kind.urgent and name in data and not data[name]:
                self.add_error(name, "This alert is urgent: keep at least one channel on.")
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if "quiet_start" in data and "quiet_end" in data:
            if (start is None) != (end is None):
                missing = "quiet_end" if end is None else "quiet_start"
                self.add_error(missing, "Give both the start and the end, or neither.")
            elif start is not None and start == end:
                self.add_error("quiet_end", "The end must differ from the start.")
        if data.get("phone"):
            try:
                data["phone"] = clean_phone(" ".join(data["phone"].split()))
            except ValueError as exc:
                self.add_error("phone", str(exc))
        return data

    def choices(self) -> dict[str, set[str]]:
        """Kind -> the channels ticked (once valid)."""
        return {k.name: set(self.cleaned_data[field_name(k.name)]) for k in self.kinds}


class WebhookForm(forms.Form):
    """An endpoint for another system (the system administrator's webhooks page). The address
    and events are checked by the service (webhooks.check_url), which names what is wrong."""

    label = forms.CharField(
        max_length=80,
        label="Name of the receiving system",
        help_text="For this page and the audit log, such as “Training unit records”.",
    )
    url = forms.CharField(
        max_length=500,
        label="Address",
        help_text="Where each event is sent (POST), starting with https://.",
        widget=forms.URLInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        required=False,
        label="Events to send",
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="A disabled endpoint gets nothing, and what still waits for it is dropped.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        from .webhooks import events

        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(e.name, f"{e.label} ({e.name})") for e in events()]
        if not editing:
            del self.fields["active"]
