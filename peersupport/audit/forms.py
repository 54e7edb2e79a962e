from django import forms
from django.core.exceptions import ValidationError

from .models import AuditAction


class AuditDaysForm(forms.Form):
    """Filters of the counts by day: what and when, never who."""

    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditAction.choices], label="Action"
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise ValidationError("The start date must not be after the end date.")
        return cleaned


class AuditFilterForm(AuditDaysForm):
    """Filters of the timed entries, which may also be looked up by who."""

    actor = forms.CharField(required=False, max_length=254, label="Who (e-mail contains)")

    field_order = ["actor", "action", "since", "until"]
