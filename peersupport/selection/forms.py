"""Forms of the selection pipeline. They validate; the services decide and write."""

from django import forms

from peersupport.accounts.models import User
from peersupport.formfields import DateTimeField, FastCheckboxSelectMultiple, IdMultipleChoiceField
from peersupport.web.picker import PersonField, PersonPickerForm

from .models import Interview

LONG = {"rows": 4}


class NominationForm(PersonPickerForm, forms.Form):
    nominee = PersonField(
        pool="colleague",
        what="your colleague",
        label="Your colleague's name",
        help_text="Type part of their name and choose them from the people found (or type "
        "their work e-mail or employee number).",
    )
    reason = forms.CharField(
        label="Why you nominate them",
        max_length=2000,
        widget=forms.Textarea(attrs=LONG),
        help_text="What makes them someone colleagues would trust (2,000 characters at most).",
    )
    hide_from_nominee = forms.BooleanField(
        label="Do not tell my colleague that I nominated them",
        required=False,
        help_text="The program coordinator and the BHS manager still see who nominated whom.",
    )


class AnswerForm(forms.Form):
    """The nominee's answer and, when they accept, the short interest form."""

    answer = forms.ChoiceField(
        choices=[("accept", "I accept the nomination"), ("decline", "I decline")],
        widget=forms.RadioSelect,
    )
    motivation = forms.CharField(
        label="Why would you like to be a peer supporter?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=LONG),
    )
    experience = forms.CharField(
        label="Experience you would bring (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=LONG),
        help_text="Life or work experience that helps you understand colleagues.",
    )
    availability_note = forms.CharField(
        label="When could you usually be reached? (optional)", required=False, max_length=300
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "accept" and not cleaned.get("motivation", "").strip():
            self.add_error("motivation", "Say why you want to be a supporter.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs=LONG))


class RoundForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For example “Spring 2027 nominations”.")
    opens_on = forms.DateField(label="Opens on", widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label="Closes on", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "A round closes on or after the day it opens.")
        return cleaned


class ScheduleForm(forms.Form):
    at = DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(max_length=200, help_text="Room and building, or a video link.")
    panelists = IdMultipleChoiceField(
        queryset=User.objects.none(),
        widget=FastCheckboxSelectMultiple,
        help_text="Accounts holding the interview panelist role.",
    )

    def __init__(self, *args, panelists=None, **kwargs):
        super().__init__(*args, **kwargs)
        if panelists is not None:
            self.fields["panelists"].queryset = panelists


class ScoreForm(forms.Form):
    """One field per criterion of the interview's rubric, plus the protected notes."""

    def __init__(self, *args, interview: Interview, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(n), str(n)) for n in range(1, interview.score_max + 1)]
        self.criteria = list(interview.rubric)
        for i, criterion in enumerate(self.criteria):
            self.fields[f"c{i}"] = forms.TypedChoiceField(
                label=criterion, choices=choices, coerce=int, widget=forms.RadioSelect
            )
        self.fields["notes"] = forms.CharField(
            label="Your notes",
            max_length=2000,
            widget=forms.Textarea(attrs=LONG),
            help_text="Kept encrypted; read only by the coordinator and the BHS manager, never "
            "by the candidate.",
        )

    def scores(self) -> dict[str, int]:
        return {c: self.cleaned_data[f"c{i}"] for i, c in enumerate(self.criteria)}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="The panel's decision", choices=Interview.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="The panel's reasons", max_length=2000, widget=forms.Textarea(attrs=LONG)
    )


class YesNoForm(forms.Form):
    """Endorse/decline, recommend/not, approve/refuse: a choice and a comment."""

    choice = forms.ChoiceField(widget=forms.RadioSelect)
    comment = forms.CharField(max_length=2000, widget=forms.Textarea(attrs=LONG))

    def __init__(self, *args, yes: str, no: str, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [("yes", yes), ("no", no)]
        self.fields["choice"].label = label

    @property
    def yes(self) -> bool:
        return self.cleaned_data["choice"] == "yes"
