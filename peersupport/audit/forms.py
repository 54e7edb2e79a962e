import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from peersupport.formfields import FastSelect, FixedChoiceField

from .models import AuditAction

# Dates far outside the program's life would overflow on the way to the database (the day
# after 9999-12-31, or midnight of year 1 east of UTC); they are refused as bad input.
FIRST_YEAR, LAST_YEAR = 1900, 9998
MONTH_FORMAT = re.compile(r"(\d{4})-(\d{2})")


class MonthField(forms.CharField):
    """A calendar month written YYYY-MM (what ``<input type="month">`` sends), cleaned to its
    first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": "Enter a month as YYYY-MM, for example 2026-12."}

    def to_python(self, value) -> date | None:
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH_FORMAT.fullmatch(value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return date(int(match[1]), int(match[2]), 1)


class ActionSelect(FastSelect):
    """The select of every action the program records: the same on every view of the log but
    for which option is selected, so each way it is written is kept (a few: the actions asked
    for). Writing its 126 options was a tenth of the page's time."""

    _written: dict = {}

    def render(self, name, value, attrs=None, renderer=None):
        key = (
            name,
            tuple(self.format_value(value)),
            tuple(sorted((attrs or {}).items())),
            tuple(sorted(self.attrs.items())),
        )
        html = self._written.get(key)
        if html is None:
            if len(self._written) >= 256:  # every action once, and then some bad input
                self._written.clear()
            html = self._written[key] = super().render(name, value, attrs, renderer)
        return html


class AuditDaysForm(forms.Form):
    """Filters of the counts by day: what and when, never who. The log is read a month at a
    time; without ``month`` the newest month with a matching entry is shown."""

    action = FixedChoiceField(
        required=False,
        choices=[("", "Any action"), *AuditAction.choices],
        label="Action",
        # One option per action the program records: rendered in Python, not by two template
        # includes per option (half the page's time), and kept once written.
        widget=ActionSelect,
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    month = MonthField(required=False, label="Month")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise ValidationError("The start date must not be after the end date.")
        for name in ("since", "until", "month"):
            value = cleaned.get(name)
            if value and not FIRST_YEAR <= value.year <= LAST_YEAR:
                self.add_error(name, f"Enter a date from {FIRST_YEAR} to {LAST_YEAR}.")
        return cleaned


class AuditFilterForm(AuditDaysForm):
    """Filters of the timed entries, which may also be looked up by who."""

    actor = forms.CharField(required=False, max_length=254, label="Who (e-mail contains)")

    field_order = ["actor", "action", "since", "until", "month"]
