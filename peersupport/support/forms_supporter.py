"""Forms of the supporter's and the coordinator's pages. They validate; they change nothing.

Every action is a form with a required field (the pressed button's value, or a confirmation),
so an empty or forged POST is refused with 400 and never moves anything.
"""

from django import forms
from django.utils import timezone

from peersupport.formfields import (
    FastCheckboxSelectMultiple,
    FastRadioSelect,
    IdMultipleChoiceField,
    PlainTextField,
)
from peersupport.governance.notice import current_notice
from peersupport.resources.selectors import resources_active

from .models import Contact
from .services import MESSAGE_MAX


class OfferAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[("accept", "Accept"), ("pass", "Pass")],
        error_messages={
            "required": "Choose to accept or to pass.",
            "invalid_choice": "Choose to accept or to pass.",
        },
    )

    @property
    def accept(self) -> bool:
        return self.cleaned_data["answer"] == "accept"


class ActionForm(forms.Form):
    """A button that says what it does: ``<button name="action" value="...">``."""

    expected = ""
    action = forms.CharField(error_messages={"required": "Use the button on the page."})

    def clean_action(self):
        action = self.cleaned_data["action"]
        if action != self.expected:
            raise forms.ValidationError("Use the button on the page.")
        return action


class FollowUpDoneForm(ActionForm):
    expected = "done"


class DebriefAskForm(ActionForm):
    expected = "debrief"


class DebriefHandledForm(ActionForm):
    expected = "handled"


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label="The support is finished: close this request",
        error_messages={"required": "Tick the box to confirm that you are closing the request."},
    )


class SupporterMessageForm(forms.Form):
    body = PlainTextField(
        label="Your message",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only the person who asked can read it. It is encrypted and deleted with the "
        "request.",
        error_messages={
            "required": "Write a message first.",
            "max_length": f"Keep a message under {MESSAGE_MAX} characters.",
        },
    )


class ContactForm(forms.Form):
    """A de-identified contact: no name and deliberately no free-text field anywhere."""

    date = forms.DateField(
        label="Date of the contact",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date of the contact.",
            "invalid": "Enter the date as year-month-day, for example 2025-03-31.",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Duration in minutes",
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="From 1 to 1440 (a full day).",
        error_messages={
            "required": "Give the duration in minutes.",
            "invalid": "Give the duration as a whole number of minutes.",
            "min_value": "A contact lasts at least 1 minute.",
            "max_value": "A contact cannot last more than 1440 minutes (a full day).",
        },
    )
    mode = forms.ChoiceField(
        label="How you talked",
        choices=Contact.Mode.choices,
        widget=FastRadioSelect,
        error_messages={"required": "Choose how you talked."},
    )
    requester_type = forms.ChoiceField(
        label="The person is",
        choices=Contact.RequesterType.choices,
        widget=FastRadioSelect,
        error_messages={"required": "Choose who the person is, or “Unknown or not said”."},
    )
    topics = forms.MultipleChoiceField(
        label="What it was about",
        choices=Contact.Topic.choices,
        widget=FastCheckboxSelectMultiple,
        help_text="Tick every topic that came up.",
        error_messages={"required": "Choose at least one topic."},
    )
    limits_explained = forms.BooleanField(
        label="I explained these limits before the discussion",
        error_messages={
            "required": "Confirm that you explained the limits of confidentiality before the "
            "discussion. A contact cannot be logged without it."
        },
    )
    notice_version = forms.CharField(widget=forms.HiddenInput)
    referrals = IdMultipleChoiceField(
        label="Referrals made",
        queryset=resources_active(),
        required=False,
        widget=FastCheckboxSelectMultiple,
        help_text="The services from the resource directory you pointed the person to.",
        error_messages={"invalid_choice": "Choose referrals from the list."},
    )
    follow_up_on = forms.DateField(
        label="Follow up on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="You will be reminded on this day.",
        error_messages={"invalid": "Enter the date as year-month-day, for example 2025-03-31."},
    )

    def __init__(self, *args, notice=None, **kwargs):
        """``notice``: the confidentiality notice the page shows (default: the current one),
        whose version the form carries."""
        notice = notice or current_notice()
        self.notice = notice
        kwargs.setdefault(
            "initial", {"date": timezone.localdate(), "notice_version": notice.version}
        )
        super().__init__(*args, **kwargs)
        # A fresh queryset per form, so a resource added or retired since start-up shows.
        self.fields["referrals"].queryset = resources_active()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("A contact cannot be in the future.")
        return day

    def clean_follow_up_on(self):
        day = self.cleaned_data["follow_up_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("A follow-up date cannot be in the past.")
        return day

    def clean(self):
        cleaned = super().clean()
        current = self.notice.version  # read for this request, as the page shows it
        if cleaned.get("notice_version") != current:
            # The page showed an older notice than the one in force: show the current one and
            # ask again, so the contact records the version the supporter actually confirmed.
            self.data = self.data.copy()
            self.data["notice_version"] = current
            self.add_error(
                "limits_explained",
                "The limits of confidentiality have changed since this page was opened. Read "
                "them again and confirm.",
            )
        return cleaned
