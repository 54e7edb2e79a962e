from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from peersupport.accounts.models import Employee
from peersupport.formfields import DateTimeField, FastSelect

from . import selectors
from .models import ExperienceArea, SupporterProfile
from .services import PHOTO_MAX_BYTES


class DirectoryFilterForm(forms.Form):
    """The directory's search and filters, read from the query string."""

    q = forms.CharField(label="Search", required=False, max_length=100, widget=forms.SearchInput())
    # Its options are ``selectors.language_options()``, read in one query; the posted id is
    # checked against them, so a stale or made-up one is refused without another.
    language = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        widget=FastSelect,
        error_messages={
            "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
        },
    )
    area = forms.ChoiceField(
        label="Experience",
        choices=[("", "Any experience"), *ExperienceArea.choices],
        required=False,
    )
    employee_type = forms.ChoiceField(
        label="Sworn or civilian",
        choices=[("", "Anyone"), *Employee.Type.choices],
        required=False,
    )
    gender = forms.ChoiceField(
        choices=[("", "Any"), *SupporterProfile.Gender.choices],
        required=False,
        help_text="Only supporters who chose to show their gender.",
    )
    service = forms.ChoiceField(
        label="Serving or retired",
        choices=[("", "Anyone"), ("serving", "Still serving"), ("retired", "Retired")],
        required=False,
    )
    available_now = forms.BooleanField(label="Available now only", required=False)
    hide_my_chain = forms.BooleanField(
        label="Hide supporters in my own chain of command",
        required=False,
        help_text="Leaves out your supervisors, from your immediate supervisor up to the Chief.",
    )

    def __init__(self, *args, languages: Sequence[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages = tuple(selectors.language_options() if languages is None else languages)
        self.fields["language"].choices = [("", "Any language"), *self.languages]
        if not settings.RETIREES_MAY_SERVE:
            del self.fields["service"]  # no retiree is listed: nothing to tell apart

    def filters(self) -> dict:
        """The valid filters, as keyword arguments of ``selectors.directory``."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "language": data.get("language"),
            "area": data.get("area") or None,
            "employee_type": data.get("employee_type") or None,
            "gender": data.get("gender") or None,
            "service": data.get("service") or None,
            "available_now": bool(data.get("available_now")),
            "hide_my_chain": bool(data.get("hide_my_chain")),
        }


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(choices=SupporterProfile.Availability.choices)


class SupporterProfileForm(forms.Form):
    bio = forms.CharField(
        label="About you",
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few sentences colleagues see in the directory (600 characters at most). "
        "Nothing about anyone you have supported.",
    )
    areas = forms.MultipleChoiceField(
        label="Experience areas",
        choices=ExperienceArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gender = forms.ChoiceField(
        choices=[("", "Prefer not to say"), *SupporterProfile.Gender.choices], required=False
    )
    show_gender = forms.BooleanField(
        label="Show my gender in the directory",
        required=False,
        help_text="Colleagues can then also find you when they ask for a supporter of a gender.",
    )
    photo = forms.ImageField(
        required=False,
        help_text="A JPEG, PNG or WebP photo up to 10 MB. It is cut down to 400 pixels and "
        "shown only to signed-in employees.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label="Remove my photo", required=False)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > PHOTO_MAX_BYTES:
            raise ValidationError("The photo is too large; the limit is 10 MB.")
        return photo

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("show_gender") and not cleaned.get("gender"):
            self.add_error("show_gender", "Choose your gender to show it, or untick this.")
        return cleaned


class OnCallShiftForm(forms.Form):
    start = DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = DateTimeField(
        label="Ends",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "The shift must end after it starts.")
        return cleaned


class StatusForm(forms.Form):
    """The coordinator moves a supporter along the lifecycle."""

    status = forms.ChoiceField(label="New status")
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    inactive_reason = forms.ChoiceField(
        label="Why inactive",
        required=False,
        choices=[("", "(only when making the supporter inactive)")]
        + SupporterProfile.InactiveReason.choices,
    )
    inactive_until = forms.DateField(
        label="Inactive until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices

    def clean(self):
        cleaned = super().clean()
        inactive = cleaned.get("status") == SupporterProfile.Status.INACTIVE
        if inactive and not cleaned.get("inactive_reason"):
            self.add_error("inactive_reason", "Say why the supporter becomes inactive.")
        return cleaned
