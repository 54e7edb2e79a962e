from django import forms

from peersupport.outreach.models import EventType
from peersupport.web.gatherings import ScheduleForm, default_session_start
from peersupport.web.picker import PersonField, PersonPickerForm

from .models import Session, TeamRole
from .services import DESCRIPTION_MAX, SUMMARY_MAX

__all__ = ["default_session_start"]


class MemberAddForm(PersonPickerForm, forms.Form):
    member = PersonField(
        pool="cism_member",
        what="the member",
        label="Name",
        help_text="Type part of the name of an active peer supporter (or, as the clinician, the "
        "BHS manager or an advocacy supervisor) and choose them.",
    )
    team_role = forms.ChoiceField(
        choices=TeamRole.choices, widget=forms.RadioSelect, label="Role on the team"
    )


class MemberRoleForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    team_role = forms.ChoiceField(choices=TeamRole.choices, label="Role on the team")


class MemberRemoveForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)


class ActivateForm(forms.Form):
    event_type = forms.ChoiceField(
        choices=EventType.choices, widget=forms.RadioSelect, label="What happened"
    )
    incident_date = forms.DateField(
        label="When", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label="A short description (protected)",
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the coordinator, the BHS manager and the team members called out read "
        "it. No names of the people involved.",
    )


class SessionForm(ScheduleForm):
    kind = forms.ChoiceField(choices=Session.Kind.choices, widget=forms.RadioSelect, label="Kind")
    led_by = forms.CharField(label="Led by", max_length=200)

    field_order = ["kind", "starts_at", "place", "led_by"]


class OutreachForm(forms.Form):
    """The button's own field: an empty POST opens nothing."""

    confirm = forms.ChoiceField(
        choices=[("open", "Open")],
        widget=forms.HiddenInput,
        error_messages={"required": "Press “Open outreach for this incident” to open it."},
    )


class RemindForm(forms.Form):
    """The button's own field: an empty POST reminds nobody."""

    confirm = forms.ChoiceField(
        choices=[("remind", "Remind")],
        widget=forms.HiddenInput,
        error_messages={"required": "Press “Remind those who have not answered” to remind them."},
    )


class StandDownForm(forms.Form):
    summary = forms.CharField(
        label="Summary (protected)",
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the team did and what follows. No names of the people who attended.",
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])

    @property
    def accept(self) -> bool:
        return self.cleaned_data["answer"] == "accept"
