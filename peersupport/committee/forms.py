"""Forms of the committee pages. They parse and validate what was typed; the rules (who may,
when, how many) are the services'."""

from django import forms
from django.conf import settings

from peersupport.formfields import DateTimeField, FastSelect

from .models import CommitteeSeat, Membership

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SeatForm(forms.Form):
    kind = forms.ChoiceField(label="How it is filled", choices=CommitteeSeat.Kind.choices)
    name = forms.CharField(
        max_length=120,
        help_text="As the committee page lists it, for example “Fraternal Order of Police”.",
        error_messages={"required": "Name the seat."},
    )
    appointed_by = forms.CharField(
        label="Organisation or office",
        required=False,
        max_length=200,
        help_text="Appointed: the organisation that names the member. Ex officio: the office "
        "whose holder sits. Leave empty for an elected seat.",
    )
    term_months = forms.IntegerField(
        label="Term in months",
        min_value=1,
        max_value=120,
        initial=settings.COMMITTEE_TERM_MONTHS,
        error_messages={"required": "Give the length of a term in months."},
    )
    order = forms.IntegerField(
        label="Place in the list",
        min_value=0,
        max_value=32767,
        initial=0,
        help_text="Lower numbers come first.",
    )


class AppointForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address of the member's account",
        error_messages={"required": "Give the e-mail address of the person's account."},
    )
    term_start = forms.DateField(
        label="Term starts", widget=_DATE, error_messages={"required": "Give the start date."}
    )
    term_end = forms.DateField(
        label="Term ends",
        widget=_DATE,
        required=False,
        help_text="The first day they no longer hold the seat. Empty: the seat's term length "
        "(ex officio: while in office).",
    )


class EndForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[
            (Membership.EndReason.RESIGNED, "Resigned"),
            (Membership.EndReason.REMOVED, "Removed"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose resigned or removed."},
    )
    note = forms.CharField(
        label="For the record",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say briefly what happened, for the record."},
    )


class ElectionForm(forms.Form):
    seats = forms.IntegerField(
        label="Seats to fill",
        min_value=1,
        max_value=50,
        error_messages={"required": "Say how many seats the election fills."},
    )
    nominations_open_at = DateTimeField(label="Nominations open", widget=_DATETIME)
    nominations_close_at = DateTimeField(label="Nominations close", widget=_DATETIME)
    voting_open_at = DateTimeField(label="Voting opens", widget=_DATETIME)
    voting_close_at = DateTimeField(
        label="Voting closes",
        widget=_DATETIME,
        help_text="The worker counts the ballots and publishes the results when voting closes.",
    )
    rerun_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class StandForm(forms.Form):
    statement = forms.CharField(
        label="A few words for the voters (optional)",
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NominateForm(forms.Form):
    nominee = forms.TypedChoiceField(
        label="Supporter you nominate",
        coerce=int,
        widget=FastSelect,  # one option per supporter: grows with the program
        error_messages={"required": "Choose the supporter you nominate."},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nominee"].choices = [("", "Choose a supporter"), *choices]


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", "Accept"), ("no", "Decline")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Accept or decline."},
    )


class BallotForm(forms.Form):
    choices = forms.TypedMultipleChoiceField(
        label="Your choices",
        coerce=int,
        required=False,  # the service says "choose at least one", with the other rules
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose among the candidates listed."},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices"].choices = [(c.pk, str(c.user)) for c in candidates]


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Why the election is voided",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the election is voided, for the record."},
    )


class CountForm(forms.Form):
    count_code = forms.CharField(
        label="Count code",
        max_length=100,
        strip=True,
        help_text="The 52 letters and digits shown when the election was opened, in groups of "
        "four; dashes, spaces and case do not matter.",
        error_messages={"required": "Enter the count code shown when the election was opened."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    witness = forms.CharField(
        label="Witness to the count (optional)",
        max_length=120,
        required=False,
        strip=True,
        help_text="The name and role of a person watching, for example a committee member. "
        "If a tie has to be settled by a drawing of lots, it is published with the drawing.",
    )
