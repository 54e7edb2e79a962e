"""Training forms. They validate what was typed; the services decide and write."""

import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone

from peersupport.accounts.models import Role, User, person_name
from peersupport.accounts.selectors import role_holder_ids
from peersupport.formfields import IdChoiceField
from peersupport.roster.models import SupporterProfile

from .compliance import Status as ComplianceStatus
from .models import Course, CourseKind, Enrolment
from .rules import ELIGIBLE, MAX_REPEATS, REPEAT_MONTHS, REPEAT_WEEKS, DayPlan
from .selectors import BOARD_SORTS, BOARD_STATUSES

HOURS = {"min_value": Decimal(0), "max_digits": 5, "decimal_places": 2}


class CourseForm(forms.Form):
    kind = forms.ChoiceField(choices=CourseKind.choices)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    hours = forms.DecimalField(label="Hours credited for the whole course", **HOURS)
    days = forms.IntegerField(min_value=1, max_value=30, initial=1)
    is_active = forms.BooleanField(label="Offered (new sessions can be scheduled)", required=False)

    @staticmethod
    def defaults(kind: str) -> dict:
        if kind == CourseKind.INITIAL:
            return {
                "hours": settings.TRAINING_INITIAL_HOURS,
                "days": settings.TRAINING_INITIAL_DAYS,
            }
        if kind == CourseKind.UPDATE:
            return {"hours": settings.TRAINING_QUARTER_HOURS, "days": 1}
        return {"hours": settings.TRAINING_WORKSHOP_HOURS, "days": 1}


def _instructors():
    holders = role_holder_ids(Role.PEER_SUPPORTER, Role.COORDINATOR, Role.BHS_MANAGER)
    return User.objects.filter(pk__in=holders).order_by("display_name", "email")


def _instructor_options(users) -> list[tuple[int, str]]:
    """``str(user)`` of each instructor, read as values: one option per supporter."""
    return [
        (pk, name or email) for pk, name, email in users.values_list("pk", "display_name", "email")
    ]


class SessionForm(forms.Form):
    """What a session is: the course, the place, the places and the instructor. Its days are
    the rows of a ``DayFormSet`` beside it."""

    course = IdChoiceField(queryset=Course.objects.filter(is_active=True))
    place = forms.CharField(max_length=200)
    capacity = forms.IntegerField(label="Places", min_value=1, max_value=500, initial=20)
    instructor = IdChoiceField(
        queryset=User.objects.none(),
        options=_instructor_options,
        required=False,
        help_text="An instructor with an account may record attendance.",
    )
    instructor_name = forms.CharField(
        label="Or an instructor from outside", max_length=200, required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = _instructors()

    @staticmethod
    def initial_for(session) -> dict:
        return {
            "course": session.course_id,
            "place": session.place,
            "capacity": session.capacity,
            "instructor": session.instructor_id,
            "instructor_name": session.instructor_name,
            "notes": session.notes,
        }


DAY_START, DAY_END, DAY_HOURS = datetime.time(8), datetime.time(17), Decimal(8)
# Rows offered for a new session: enough for the five-day initial course.
NEW_SESSION_ROWS = 5
MAX_DAYS = 30


class DayForm(forms.Form):
    """One day of a session. A row without a date is not a day (the spare rows of the form)."""

    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label="End", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    hours = forms.DecimalField(
        label="Hours credited",
        required=False,
        help_text="Without breaks.",
        min_value=Decimal("0.25"),
        max_value=Decimal(24),
        max_digits=4,
        decimal_places=2,
    )

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("date"):
            return data
        for name, missing in (
            ("start_time", "Give the start."),
            ("end_time", "Give the end."),
            ("hours", "Give the hours credited."),
        ):
            if data.get(name) is None:
                self.add_error(name, missing)
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        return data

    def plan(self) -> DayPlan | None:
        data = self.cleaned_data
        if not data.get("date"):
            return None
        return DayPlan(
            starts_at=timezone.make_aware(
                datetime.datetime.combine(data["date"], data["start_time"])
            ),
            ends_at=timezone.make_aware(datetime.datetime.combine(data["date"], data["end_time"])),
            hours=data["hours"],
        )


class BaseDayFormSet(forms.BaseFormSet):
    @classmethod
    def get_default_prefix(cls):
        return "days"

    def clean(self):
        if any(self.errors):
            return
        dates = [f.cleaned_data["date"] for f in self.forms if f.cleaned_data.get("date")]
        if not dates:
            raise forms.ValidationError("Give the date of at least one day.")
        repeated = sorted({d for d in dates if dates.count(d) > 1})
        if repeated:
            raise forms.ValidationError(f"{repeated[0]:%-d %B %Y} is given twice: one row per day.")

    def day_plans(self) -> list[DayPlan]:
        return [plan for form in self.forms if (plan := form.plan()) is not None]

    @classmethod
    def initial_for(cls, session=None, *, rows: int = NEW_SESSION_ROWS) -> list[dict]:
        days = list(session.days.all()) if session is not None else []
        initial = [
            {
                "date": day.date,
                "start_time": timezone.localtime(day.starts_at).time(),
                "end_time": timezone.localtime(day.ends_at).time(),
                "hours": day.hours,
            }
            for day in days
        ]
        spare = {"start_time": DAY_START, "end_time": DAY_END, "hours": DAY_HOURS}
        return initial + [spare] * max(rows - len(initial), 1 if days else 0)


DayFormSet = forms.formset_factory(
    DayForm,
    formset=BaseDayFormSet,
    extra=0,
    max_num=MAX_DAYS,
    absolute_max=MAX_DAYS,
    validate_max=True,
)


class RepeatForm(forms.Form):
    """A new session that repeats: scheduled as that many separate sessions in one step."""

    QUARTER = "quarter"
    repeat = forms.ChoiceField(
        label="Repeats",
        required=False,
        choices=[
            ("", "Does not repeat"),
            (QUARTER, "Every quarter (every 3 months)"),
            (REPEAT_MONTHS, "Every few months"),
            (REPEAT_WEEKS, "Every few weeks"),
        ],
    )
    every = forms.IntegerField(
        label="Every how many weeks or months",
        required=False,
        min_value=1,
        max_value=52,
        help_text="Not needed for every quarter.",
    )
    times = forms.IntegerField(
        label="How many sessions in all",
        required=False,
        min_value=2,
        max_value=MAX_REPEATS,
        help_text="Counting the first, for example 4 for a year of quarterly sessions.",
    )

    def clean(self):
        data = super().clean()
        repeat = data.get("repeat")
        if not repeat or self.errors:
            return data
        if data.get("times") is None:
            self.add_error("times", "Say how many sessions in all.")
        if repeat != self.QUARTER and data.get("every") is None:
            self.add_error("every", "Say every how many weeks or months.")
        return data

    def plan(self) -> dict | None:
        """The keywords of ``rules.repeat_days``, or None for a session that does not repeat."""
        data = self.cleaned_data
        if not data.get("repeat"):
            return None
        if data["repeat"] == self.QUARTER:
            return {"unit": REPEAT_MONTHS, "every": 3, "times": data["times"]}
        return {"unit": data["repeat"], "every": data["every"], "times": data["times"]}


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


_STATUS_LABELS = {value: label.lower() for value, label in SupporterProfile.Status.choices}


def _person_options(profiles) -> list[tuple[int, str]]:
    """ "Name (status)" of each person who may be enrolled (``SupporterProfile.name``), read as
    values: the select lists everyone in the program, a few hundred people at most."""
    rows = profiles.values_list(
        "pk",
        "status",
        "user__employee__preferred_name",
        "user__employee__first_name",
        "user__employee__last_name",
        "user__display_name",
        "user__email",
    )
    options = []
    for pk, status, preferred, first, last, display_name, email in rows:
        name = person_name(preferred, first, last, display_name, email)
        options.append((pk, f"{name} ({_STATUS_LABELS[status]})"))
    return options


class EnrolPersonForm(forms.Form):
    """Whom the coordinator enrols in ``session``: anyone in the program who holds no place
    on it yet (enrolled or waiting)."""

    person = IdChoiceField(
        queryset=SupporterProfile.objects.none(),
        options=_person_options,
        label="Supporter or candidate",
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        holding = Enrolment.objects.filter(
            session=session, status__in=[Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED]
        ).values("user_id")
        self.fields["person"].queryset = (
            SupporterProfile.objects.filter(status__in=ELIGIBLE)
            .exclude(user_id__in=holding)
            .select_related("user__employee")
            .order_by("user__employee__last_name", "user__employee__first_name", "pk")
        )


class AttendanceForm(forms.Form):
    """One hours field per person who may be credited for the day, and a reason for changes."""

    reason = forms.CharField(
        label="Reason for changing hours already recorded",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, people, day, recorded, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people
        for user in people:
            field = forms.DecimalField(
                label=str(getattr(getattr(user, "employee", None), "full_name", "") or user),
                required=False,
                max_value=None,
                **HOURS,
            )
            name = f"hours_{user.pk}"
            field.initial = recorded.get(user.pk, day.hours)
            self.fields[name] = field
        self.order_fields([f"hours_{u.pk}" for u in people] + ["reason"])

    def hours_by_user(self) -> dict[int, Decimal]:
        return {
            user.pk: self.cleaned_data[f"hours_{user.pk}"]
            for user in self.people
            if self.cleaned_data.get(f"hours_{user.pk}") is not None
        }


def _person_name(user) -> str:
    return str(getattr(getattr(user, "employee", None), "full_name", "") or user)


class SessionAttendanceForm(forms.Form):
    """Every day of a session on one page: one hours field per person and day that has begun,
    filled with the day's hours (present) unless hours are already recorded."""

    reason = forms.CharField(
        label="Reason for changing hours already recorded",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, people, days, recorded, **kwargs):
        super().__init__(*args, **kwargs)
        self.people, self.days = people, days
        order = []
        for user in people:
            for day in days:
                name = f"hours_{day.pk}_{user.pk}"
                field = forms.DecimalField(
                    label=f"Hours for {_person_name(user)} on {day.date:%-d %B}",
                    required=False,
                    **HOURS,
                )
                field.initial = recorded.get((day.pk, user.pk), day.hours)
                self.fields[name] = field
                order.append(name)
        self.order_fields([*order, "reason"])

    def rows(self):
        """(person's name, [bound field per day]) for the table."""
        return [
            (_person_name(user), [self[f"hours_{day.pk}_{user.pk}"] for day in self.days])
            for user in self.people
        ]

    def hours_by_day(self) -> dict[int, dict[int, Decimal]]:
        hours: dict[int, dict[int, Decimal]] = {}
        for day in self.days:
            for user in self.people:
                value = self.cleaned_data.get(f"hours_{day.pk}_{user.pk}")
                if value is not None:
                    hours.setdefault(day.pk, {})[user.pk] = value
        return hours


class BoardFilterForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    status = forms.ChoiceField(
        label="Compliance", required=False, choices=[("", "All"), *ComplianceStatus.choices]
    )
    roster_status = forms.ChoiceField(
        label="Supporter status",
        required=False,
        choices=[("", "All")] + [(s, SupporterProfile.Status(s).label) for s in BOARD_STATUSES],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("risk", "Most at risk first"),
            ("name", "Name"),
            ("hours", "Fewest update hours first"),
            ("unit", "Unit"),
        ],
    )

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "risk"
        return sort if sort in BOARD_SORTS else "risk"


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
