"""Forms of the release pages. They validate and parse; they change nothing.

The release form asks for every element the services require, with the same messages, so a
missing element is marked next to its field. The disclosure form only parses: whether the
release covers the disclosure is the service's decision, so that every refusal is audited.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from peersupport.formfields import FastSelect

from . import signatures
from .models import Release, ReleaseStatus
from .services import ITEMS_MAX, LINE_MAX, MISSING, NAME_MAX, PURPOSE_MAX, RECIPIENTS_MAX

DATE_INVALID = "Enter the date as year-month-day, for example 2025-03-31."


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReleaseForm(forms.Form):
    person_name = forms.CharField(
        label="The person's full name",
        max_length=NAME_MAX,
        help_text="As they sign. Copied from the request; correct it if needed.",
        error_messages={"required": MISSING["person_name"]},
    )
    disclosers = forms.ChoiceField(
        label="Who may disclose the information",
        choices=Release.Disclosers.choices,
        widget=forms.RadioSelect,
        help_text="The BHS manager can see who the person is only if the person names them here.",
        error_messages={"required": MISSING["disclosers"]},
    )
    items = forms.CharField(
        label="The information that may be disclosed",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One specific item per line, up to {ITEMS_MAX}; for example “the dates of "
        "my peer support contacts in March 2025”. Only these items can ever be disclosed.",
        error_messages={"required": MISSING["items"]},
    )
    recipients = forms.CharField(
        label="Who may receive it",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One named recipient per line, up to {RECIPIENTS_MAX}: a person and their "
        "organisation, for example “Dr. Lee Park, City Employee Assistance Program”.",
        error_messages={"required": MISSING["recipients"]},
    )
    purpose = forms.CharField(
        label="Purpose of the disclosure",
        max_length=PURPOSE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": MISSING["purpose"]},
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=_date_input(),
        help_text="Give an expiry date, an expiry event, or both (it ends at the first).",
        error_messages={"invalid": DATE_INVALID},
    )
    expiry_event = forms.CharField(
        label="Or expires when",
        required=False,
        max_length=LINE_MAX,
        help_text="An event, for example “my return to full duty”.",
    )
    right_to_revoke_explained = forms.BooleanField(
        label="I told the person that they may revoke this release at any time by asking me, "
        "and that revoking it does not undo disclosures already made",
        error_messages={"required": MISSING["right_to_revoke_explained"]},
    )
    signature_kind = forms.ChoiceField(
        label="How the person signs",
        choices=Release.SignatureKind.choices,
        widget=forms.RadioSelect,
        initial=Release.SignatureKind.DRAWN,
        error_messages={"required": MISSING["signature"]},
    )
    # Filled by static/js/signature-pad.js from the canvas: a PNG data URL.
    signature_drawn = forms.CharField(required=False, widget=forms.HiddenInput)
    signature_scan = forms.FileField(
        label="Upload the scan",
        required=False,
        help_text=f"A PDF, PNG or JPEG up to {signatures.SIGNATURE_MAX_MB} MB. It is kept "
        "encrypted with the release, never as a file.",
    )
    signed_on = forms.DateField(
        label="Date signed",
        widget=_date_input(),
        error_messages={"required": MISSING["signed_on"], "invalid": DATE_INVALID},
    )

    def __init__(self, *args, scan_too_large: bool = False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("signed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.scan_too_large = scan_too_large

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line for line in (text or "").splitlines() if line.strip()]

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise ValidationError("The date signed cannot be in the future.")
        return day

    def clean(self):
        cleaned = super().clean()
        no_end = not cleaned.get("expires_on") and not (cleaned.get("expiry_event") or "").strip()
        if no_end and "expires_on" not in self.errors:
            self.add_error("expires_on", MISSING["expires_on"])
        kind = cleaned.get("signature_kind")
        cleaned["signature"] = None
        if kind == Release.SignatureKind.DRAWN:
            drawn = cleaned.get("signature_drawn") or ""
            if not drawn:
                self.add_error("signature_kind", MISSING["signature"])
            else:
                try:
                    cleaned["signature"] = signatures.drawing_from_data_url(drawn)
                except ValidationError as exc:
                    self.add_error("signature_kind", exc)
        elif kind == Release.SignatureKind.SCAN:
            scan = cleaned.get("signature_scan")
            if self.scan_too_large:
                self.add_error("signature_scan", signatures.TOO_LARGE)
            elif scan is None:
                self.add_error("signature_scan", MISSING["signature"])
            else:
                cleaned["signature"] = scan.read()
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "person_name": data["person_name"],
            "disclosers": data["disclosers"],
            "items": self.lines(data["items"]),
            "recipients": self.lines(data["recipients"]),
            "purpose": data["purpose"],
            "right_to_revoke_explained": data["right_to_revoke_explained"],
            "expires_on": data.get("expires_on"),
            "expiry_event": data.get("expiry_event", ""),
            "signature_kind": data["signature_kind"],
            "signature": data["signature"],
            "signed_on": data["signed_on"],
        }


class AnyChoices(forms.MultipleChoiceField):
    """Checkboxes whose values the service judges (so a refusal is audited), not the form."""

    def valid_value(self, value):
        return True


class AnyChoice(forms.ChoiceField):
    def valid_value(self, value):
        return True


class DisclosureForm(forms.Form):
    disclosed_on = forms.DateField(
        label="Date of the disclosure",
        widget=_date_input(),
        error_messages={"required": "Give the date of the disclosure.", "invalid": DATE_INVALID},
    )
    recipient = AnyChoice(
        label="Disclosed to",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who received the information."},
    )
    items = AnyChoices(
        label="What was disclosed",
        widget=forms.CheckboxSelectMultiple,
        help_text="Only the items the person consented to can be disclosed.",
        error_messages={"required": "Choose which of the release's items were disclosed."},
    )
    purpose_confirmed = forms.BooleanField(
        label="It was disclosed for the purpose stated in the release, and no more was said",
        error_messages={
            "required": "Confirm that the disclosure was for the purpose the person consented to."
        },
    )

    def __init__(self, *args, release: Release, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("disclosed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = [(r, r) for r in release.recipients]
        self.fields["items"].choices = [(i, i) for i in release.items]


class ConfirmForm(forms.Form):
    """Revoking or ending a release: a required confirmation, so an empty POST changes nothing."""

    confirm = forms.BooleanField(
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = label


class AccountingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *ReleaseStatus.choices],
    )
    supporter = forms.TypedChoiceField(
        label="Held by",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        widget=FastSelect,  # one option per supporter: grows with the program
    )
    signed_from = forms.DateField(
        label="Signed from",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": DATE_INVALID},
    )
    signed_to = forms.DateField(
        label="Signed until",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": DATE_INVALID},
    )
    disclosed_only = forms.BooleanField(label="Only releases with disclosures", required=False)

    def __init__(self, *args, supporters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supporter"].choices = [("", "Any supporter")] + [
            (str(user.pk), str(user)) for user in supporters
        ]
