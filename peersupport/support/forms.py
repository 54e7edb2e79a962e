"""Forms of the requester's side: asking (signed in or not), codename check, replies."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from peersupport.accounts.models import Employee, Language
from peersupport.formfields import (
    FastCheckboxSelectMultiple,
    FastRadioSelect,
    IdMultipleChoiceField,
    PlainTextField,
)
from peersupport.governance.notice import current_notice
from peersupport.roster.models import ExperienceArea

from .codenames import looks_like_a_codename, normalise
from .models import ContactMethod, RequesterKind
from .rules import ALERTABLE

PHONE_CHARS = set("0123456789+-() .")


class AskForm(forms.Form):
    """What everyone fills in. The public form adds who is asking (family or anonymous).

    What the requester types is a ``PlainTextField``: bidirectional-override characters are
    dropped, so the supporter reads it in the order it was written."""

    supporter = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = PlainTextField(
        label="Your name (optional)",
        required=False,
        max_length=120,
        help_text="Only the supporter who takes your request sees it. You may leave it empty.",
    )
    contact_method = forms.ChoiceField(
        label="How should the supporter reach you?",
        choices=ContactMethod.choices,
        widget=FastRadioSelect,
    )
    contact_detail = PlainTextField(
        label="Phone number or e-mail address",
        required=False,
        max_length=200,
        help_text="Not needed for messages here or for meeting in person.",
    )
    best_times = PlainTextField(
        label="When is a good time? (optional)",
        required=False,
        max_length=200,
        help_text='For example "weekday evenings" or "after 6 pm".',
    )
    languages = IdMultipleChoiceField(
        label="Languages you would like (optional)",
        queryset=Language.objects.all(),
        required=False,
        widget=FastCheckboxSelectMultiple,
    )
    areas = forms.MultipleChoiceField(
        label="What it is about (optional, helps find someone with experience)",
        choices=ExperienceArea.choices,
        required=False,
        widget=FastCheckboxSelectMultiple,
    )
    employee_type = forms.ChoiceField(
        label="A supporter who is (optional)",
        choices=[("", "Anyone"), *Employee.Type.choices],
        required=False,
    )
    limits_read = forms.BooleanField(
        label="I have read the limits of confidentiality above.",
        error_messages={"required": "Please read the limits of confidentiality and tick the box."},
    )
    notice_version = forms.CharField(widget=forms.HiddenInput)
    # Shown only when the person already has a request open (views drop it otherwise).
    something_else = forms.BooleanField(
        label="This is about something else: send it as a new request.",
        required=False,
    )

    # The preferences nobody has to give, folded on the page behind "More choices" so the form
    # fits about two phone screens; and what goes at the end, after them.
    FOLDED = ("best_times", "languages", "areas", "employee_type", "exclude_chain")
    FOLDED_LABEL = "a good time, languages, what it is about, who the supporter is"
    LAST = ("limits_read", "something_else")

    def folded_open(self) -> bool:
        """Whether "More choices" starts open: one of them is given or has an error (ticking
        off the chain-of-command box, which starts ticked, counts as given)."""
        if not self.is_bound:
            return False
        if any(self[name].errors for name in self.FOLDED if name in self.fields):
            return True
        given = ("best_times", "languages", "areas", "employee_type", "alert_on_reply")
        if any(self.data.get(name) for name in given if name in self.fields):
            return True
        return "exclude_chain" in self.fields and not self.data.get("exclude_chain")

    def clean_contact_detail(self):
        return self.cleaned_data["contact_detail"].strip()

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("contact_method")
        detail = cleaned.get("contact_detail", "")
        if method in (ContactMethod.PHONE, ContactMethod.TEXT):
            digits = sum(ch.isdigit() for ch in detail)
            if not detail or set(detail) - PHONE_CHARS or not 7 <= digits <= 15:
                self.add_error("contact_detail", "Give a phone number (digits, spaces, + or -).")
        elif method == ContactMethod.EMAIL:
            try:
                validate_email(detail)
            except ValidationError:
                self.add_error("contact_detail", "Give a valid e-mail address.")
        if cleaned.get("notice_version") and cleaned["notice_version"] != current_notice().version:
            raise ValidationError(
                "The limits of confidentiality have just changed. Please read them again."
            )
        return cleaned


class EmployeeAskForm(AskForm):
    # Shown only when the supporter they picked is unavailable now (views drop it otherwise).
    if_unavailable = forms.ChoiceField(
        label="They are not available right now. What should happen?",
        choices=[
            ("next", "Send it to the next available supporter"),
            ("wait", "Wait for them (the coordinator is told if nobody answers for a while)"),
        ],
        widget=FastRadioSelect,
        error_messages={"required": "Choose whether to wait for them or go to the next one."},
    )
    exclude_chain = forms.BooleanField(
        label="Leave out supporters in my own chain of command",
        required=False,
        initial=True,
    )


class PublicAskForm(AskForm):
    FOLDED = (*AskForm.FOLDED, "alert_on_reply")
    FOLDED_LABEL = f"{AskForm.FOLDED_LABEL}, being told when a supporter replies"

    kind = forms.ChoiceField(
        label="Who is asking?",
        choices=[
            (RequesterKind.FAMILY, "I am a family member of someone in the department"),
            (RequesterKind.ANONYMOUS, "I would rather not say"),
        ],
        widget=FastRadioSelect,
    )
    alert_on_reply = forms.BooleanField(
        label="Tell me when a supporter replies (family members with an e-mail address or a "
        "phone number above)",
        required=False,
        help_text="We send a short e-mail, or a text to a phone: “You have a new message. Open "
        "the page with your words to read it.” It names no one and says nothing of what this "
        "is about, but anyone who reads your phone or e-mail will see that you were sent it. "
        "Leave it empty if that could put you at risk.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("alert_on_reply"):
            if cleaned.get("kind") != RequesterKind.FAMILY:
                self.add_error(
                    "alert_on_reply",
                    "Only family members who leave a contact detail can be told; "
                    "without one, check back with your codename.",
                )
            elif cleaned.get("contact_method") not in ALERTABLE:
                self.add_error(
                    "alert_on_reply",
                    "To be told, choose a phone call, a text or an e-mail above and give "
                    "the number or address.",
                )
        return cleaned


class CodenameForm(forms.Form):
    """The seven words, separated by anything but letters: spaces, dashes, commas, dots
    ("a b c", "a-b-c", "a, b, c", "a.b.c"), in any case."""

    codename = PlainTextField(
        label="Your codename",
        max_length=200,
        help_text="The seven words you were given. Spaces, commas, dots or dashes between them "
        "all work.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_codename(self):
        codename = normalise(self.cleaned_data["codename"])
        if not looks_like_a_codename(codename):
            raise ValidationError(
                "A codename is seven words of letters, separated by spaces, commas, dots or dashes."
            )
        return codename


class WrittenDownForm(forms.Form):
    written = forms.BooleanField(
        label="I have written my codename down or kept it somewhere safe.",
        error_messages={
            "required": "Tick the box once you have written your codename down. "
            "After this page it cannot be shown again."
        },
    )


class ReplyForm(forms.Form):
    body = PlainTextField(
        label="Your message",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
