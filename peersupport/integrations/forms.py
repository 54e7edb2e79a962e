"""The form of the system administrator's token page (integrations/views.py). The label, the
scopes and the expiry are checked by the service (services.token_create), which names what is
wrong; the form turns the day chosen into the moment the token stops working."""

import datetime

from django import forms
from django.utils import timezone

from .registry import scopes

# The furthest a token's expiry may be set: a token that must outlive it is made again then.
# (A day near 9999-12-31 could not even be turned into a moment.)
LONGEST = datetime.timedelta(days=3 * 365)


class TokenForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        label="Name of the system that will use it",
        help_text="For this page and the audit log, such as “Training unit records”.",
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )
    expires_on = forms.DateField(
        required=False,
        label="Works until (optional)",
        help_text="The token stops working at the end of this day. Leave empty for a token "
        "that works until it is revoked.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s.name, f"{s.label} ({s.name})") for s in scopes()]

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day is not None and day < today:
            raise forms.ValidationError("Choose today or a later day.")
        if day is not None and day > today + LONGEST:
            latest = today + LONGEST
            raise forms.ValidationError(
                f"Choose a day at most three years ahead (by {latest:%d %b %Y}); leave it empty "
                "for a token that works until it is revoked."
            )
        return day

    @property
    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        after = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(after)
