from django import forms
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holder_ids
from peersupport.formfields import DateTimeField, IdChoiceField
from peersupport.governance.models import ExceptionCategory
from peersupport.resources.validators import validate_phone

from .models import Duty
from .services import NOTE_MAX


class CategoryChoice(IdChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}: {obj.explanation}" if obj.explanation else obj.name


class RaiseForm(forms.Form):
    category = CategoryChoice(
        queryset=ExceptionCategory.objects.filter(active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Which limit of confidentiality, or which question",
        error_messages={"required": "Choose the category that fits best."},
    )
    note = forms.CharField(
        label="A short note for the BHS manager",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened and what is needed now. Protected: only the people alerted "
        "and the BHS manager can read it; the alerts themselves never contain it.",
        error_messages={"required": "Write a short note: what happened and what is needed."},
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="What was done",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Protected, like the note.",
        error_messages={"required": "Say what was done."},
    )


class DutyUserChoice(IdChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class DutyForm(forms.Form):
    duty = forms.ChoiceField(choices=Duty.choices, label="Duty")
    user = DutyUserChoice(
        queryset=User.objects.none(),
        label="Person",
        error_messages={"invalid_choice": "Choose someone who holds the role of this duty."},
    )
    rank = forms.IntegerField(
        min_value=0,
        max_value=9,
        initial=0,
        label="Position",
        help_text="0: on duty. 1, 2, ...: the backups, alerted in that order.",
    )
    phone = forms.CharField(
        required=False,
        max_length=32,
        validators=[validate_phone],
        label="Phone for text alerts (optional)",
        help_text="Text alerts go through the department's SMS gateway; they never say what "
        "the escalation is about.",
    )
    starts_at = DateTimeField(
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = DateTimeField(
        required=False,
        label="Until (optional)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query when the options are read: the holders as a subquery, not a list first.
        holders = role_holder_ids(Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR)
        self.fields["user"].queryset = User.objects.filter(pk__in=holders).order_by("email")
        self.fields["starts_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must be after the start.")
        return data
