import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from . import periods


class PeriodForm(forms.Form):
    """The period picker. Validates only: a readable period that is over."""

    period = forms.CharField(max_length=10)

    def __init__(
        self,
        data,
        *,
        closed: periods.Period | None,
        allowed_kinds=(periods.YEAR, periods.QUARTER, periods.MONTH),
        today: datetime.date | None = None,
    ):
        super().__init__(data)
        self.allowed_kinds = allowed_kinds
        self.closed = closed
        self.today = today  # the day the figures were built; today's date if not given

    def clean_period(self):
        try:
            period = periods.parse(self.cleaned_data["period"])
        except periods.PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if period.kind not in self.allowed_kinds:
            raise forms.ValidationError(
                "The program report is for a month or a quarter; choose one of those."
            )
        today = self.today or timezone.localdate()
        if not period.is_over(today):
            latest = periods.latest_over(period.kind, today)
            raise forms.ValidationError(
                f"{period} is not over yet: reports show periods that have ended, so that two "
                f"exports never differ by a few records. The latest is {latest}."
            )
        if not periods.is_closed(period, self.closed):
            last = period.months()[-1]
            grace = settings.REPORTS_PERIOD_GRACE_DAYS
            closes = last.last_day + datetime.timedelta(days=grace + 1)
            latest = (
                f" The latest closed is {periods.latest_closed(period.kind, self.closed)}."
                if self.closed is not None
                else ""
            )
            raise forms.ValidationError(
                f"{period} is still open for contacts and other records dated in it: its "
                f"figures are published when it closes, on {closes:%-d %B %Y} or sooner if "
                f"the coordinator closes it.{latest}"
            )
        return period


def choices(today, first_year: int, closed=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's options, newest first: years, quarters and months that are closed."""
    first_year = min(first_year, today.year - 1)
    years = [periods.Period(y) for y in range(today.year, first_year - 1, -1)]
    groups = {periods.YEAR: [], periods.QUARTER: [], periods.MONTH: []}
    for year in years:
        for node in [year, *reversed(year.children())]:
            if periods.is_closed(node, closed):
                groups[node.kind].append((node.key, str(node)))
            for month in reversed(node.children()) if node.kind == periods.QUARTER else []:
                if periods.is_closed(month, closed):
                    groups[periods.MONTH].append((month.key, str(month)))
    return [
        ("Months", groups[periods.MONTH]),
        ("Quarters", groups[periods.QUARTER]),
        ("Years", groups[periods.YEAR]),
    ]


class ClosePeriodForm(forms.Form):
    """The coordinator closes a month, a quarter or a year: one that is over and still open."""

    period = forms.CharField(max_length=10)

    def __init__(self, data, *, closed: periods.Period | None):
        super().__init__(data)
        self.closed = closed

    def clean_period(self):
        try:
            period = periods.parse(self.cleaned_data["period"])
        except periods.PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not period.is_over(timezone.localdate()):
            raise forms.ValidationError(f"{period} is not over yet: it cannot be closed.")
        if periods.is_closed(period, self.closed):
            raise forms.ValidationError(f"{period} is already closed.")
        return period
