from django import forms

from peersupport.formfields import DateTimeField
from peersupport.web.gatherings import DATETIME, ScheduleForm, default_session_start
from peersupport.web.picker import PersonField, PersonPickerForm

from .models import Attempt, EventType
from .services import DESCRIPTION_MAX, SUMMARY_MAX

# The detail page's suggestion for a new group session (web.gatherings, shared with CISM).
__all__ = ["default_session_start"]


class OpenForm(forms.Form):
    event_type = forms.ChoiceField(
        choices=EventType.choices, widget=forms.RadioSelect, label="What happened"
    )
    event_date = forms.DateField(
        label="When", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label="A short description (protected)",
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the coordinator, the BHS manager and the supporters assigned read it.",
    )


class AddEmployeeForm(PersonPickerForm, forms.Form):
    employee = PersonField(
        pool="employee",
        what="the employee",
        label="The employee's name",
        help_text="Type part of their name and choose them (or type their employee number).",
    )

    def clean_employee(self):
        self.employee = self.cleaned_data["employee"]
        return self.employee


class AddOtherForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    how_to_reach = forms.CharField(
        label="How to reach them", max_length=300, help_text="A phone number, an address."
    )


class AssignForm(PersonPickerForm, forms.Form):
    supporter = PersonField(
        pool="supporter",
        what="the supporter",
        label="Supporter",
        help_text="Type part of an active peer supporter's name and choose them.",
    )
    chain_reason = forms.CharField(
        label="Why this supporter although they are in the person's chain of command",
        max_length=300,
        required=False,
    )


class ResponderForm(PersonPickerForm, forms.Form):
    """A peer supporter who responded to the incident (any supporter, whatever their status:
    one on leave now may be back while the outreach is open)."""

    supporter = PersonField(
        pool="any_supporter",
        what="the supporter",
        label="Peer supporter who responded",
        help_text="Type part of their name and choose them.",
        error_messages={
            "required": "Type the name of the supporter who responded, then choose them."
        },
    )


class TaskForm(forms.Form):
    label = forms.CharField(label="Follow-up", max_length=80)
    due_at = DateTimeField(label="Due", widget=DATETIME)


class GroupSessionForm(ScheduleForm):
    facilitator = forms.CharField(label="Led by", max_length=200)


class CloseForm(forms.Form):
    summary = forms.CharField(
        label="Summary (protected)",
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=Attempt.Outcome.choices, widget=forms.RadioSelect, label="How it went"
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])

    @property
    def accept(self) -> bool:
        return self.cleaned_data["answer"] == "accept"


class PlanStepForm(forms.Form):
    event_type = forms.ChoiceField(choices=EventType.choices, label="Event type")
    label = forms.CharField(label="Step", max_length=80)
    offset_days = forms.IntegerField(label="Days after the event", min_value=1, max_value=1098)
