from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from peersupport.formfields import FastCheckboxSelectMultiple, IdChoiceField, IdMultipleChoiceField

from .models import (
    EMPLOYEE_NUMBER,
    GRANTABLE_ROLES,
    MEMBER_STATUSES,
    Employee,
    Language,
    Role,
    Unit,
    User,
    work_email_problem,
)
from .selectors import employee_number_taken

NO_MATCH = (
    "We could not match this e-mail address and employee number to a department record that "
    "can still be registered. Check both, or ask your system administrator."
)


class EmployeeSignupForm(forms.Form):
    """Extra registration field: an account claims an existing employee record, matched by
    work e-mail and employee number (allauth adds e-mail and password)."""

    employee_number = forms.CharField(
        max_length=32,
        help_text="As printed on your department ID card.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        number = (cleaned.get("employee_number") or "").strip()
        if email and number:
            # Numbers are kept in capitals (docs/hr-import.md); a card may be read either way.
            employee = Employee.objects.filter(
                employee_number=number.upper(), work_email=email, user__isnull=True
            ).first()
            if employee is None or employee.status not in MEMBER_STATUSES:
                raise ValidationError(NO_MATCH)
            self.employee = employee
        return cleaned

    def signup(self, request, user):
        # The record is claimed once the work e-mail is proven: at once when single sign-on has
        # verified it (or verification is off), otherwise on confirmation (signals.py). Until
        # then anyone who knows a colleague's e-mail and number could block their record.
        from allauth.account.models import EmailAddress
        from django.conf import settings

        from .services import account_link_employee

        proven = EmailAddress.objects.filter(
            user=user, email__iexact=self.employee.work_email, verified=True
        ).exists()
        if proven or settings.ACCOUNT_EMAIL_VERIFICATION == "none":
            account_link_employee(user=user, employee=self.employee)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=150, required=False, help_text="How your name appears on screens."
    )
    preferred_name = forms.CharField(
        max_length=80, required=False, help_text="The first name colleagues call you by."
    )
    languages = IdMultipleChoiceField(
        queryset=Language.objects.all(),
        required=False,
        widget=FastCheckboxSelectMultiple,
        help_text="Languages you can offer support in.",
    )

    def clean_display_name(self):
        value = self.cleaned_data["display_name"].strip()
        if value and not any(ch.isalpha() for ch in value):
            raise ValidationError("A display name needs at least one letter.")
        return value


class RoleGrantForm(forms.Form):
    email = forms.EmailField(label="Account e-mail address")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in Role if r in GRANTABLE_ROLES],
    )
    reason = forms.CharField(max_length=300, help_text="For example the appointment or decision.")
    expires_at = forms.DateField(
        label="Ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for no end date.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            raise ValidationError("No account has this e-mail address.")
        self.user = user
        return email

    def clean_expires_at(self):
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        if day <= timezone.localdate():
            raise ValidationError("The end date must be after today.")
        # The grant ends at the start of that day, in the department's time zone.
        return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


class RoleRequestDecisionForm(forms.Form):
    """Approve or refuse a grant waiting for a second person; the box confirms it was read."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve: grant the role now"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label="I have checked who asked, for whom and why, and I am neither of them.",
    )


class RoleRevokeForm(forms.Form):
    reason = forms.CharField(max_length=300)


def _unit_choices(field: forms.ModelChoiceField) -> None:
    """Give a select of every unit its options as (id, name) pairs read in one narrow query:
    Django's iterator made a ``Unit`` for each of them to show its name, 4 ms of the employee
    page's 10 at 392 units (SQLite). What is posted is still checked against the queryset."""
    choices = list(field.queryset.values_list("pk", "name"))
    if field.empty_label is not None:
        choices.insert(0, ("", field.empty_label))
    field.choices = choices


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "kind", "parent", "supervisor"]
        field_classes = {"parent": IdChoiceField, "supervisor": IdChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.order_by("name")
        _unit_choices(self.fields["parent"])
        self.fields["supervisor"].queryset = Employee.objects.filter(
            status=Employee.Status.ACTIVE
        ).order_by("last_name", "first_name")
        self.fields["supervisor"].widget = forms.TextInput()
        self.fields["supervisor"].help_text = "The supervisor's employee number."
        self.fields["supervisor"].to_field_name = "employee_number"
        if self.instance.pk and self.instance.supervisor_id:
            self.initial["supervisor"] = self.instance.supervisor.employee_number

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the unit a name.")
        return name

    def validate_unique(self):
        # The services check the tree; uniqueness of (parent, name) is checked here with a clear
        # message rather than a database error.
        try:
            super().validate_unique()
        except ValidationError as exc:
            self._update_errors(exc)


class EmployeeForm(forms.ModelForm):
    class Meta:
        model = Employee
        fields = [
            "employee_number",
            "first_name",
            "last_name",
            "preferred_name",
            "work_email",
            "employee_type",
            "rank_title",
            "unit",
            "shift",
            "status",
            "hire_date",
            "separation_date",
            "languages",
        ]
        widgets = {
            "languages": FastCheckboxSelectMultiple,
            "hire_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "separation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        field_classes = {"unit": IdChoiceField, "languages": IdMultipleChoiceField}
        error_messages = {
            "employee_number": {"unique": "Another employee already has this employee number."},
            "work_email": {"unique": "Another employee already has this e-mail address."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.order_by("name")
        _unit_choices(self.fields["unit"])

    def clean_employee_number(self):
        value = self.cleaned_data["employee_number"].strip()
        if not EMPLOYEE_NUMBER.fullmatch(value):
            raise ValidationError(
                "Use letters and digits, with “-”, “_” or “.” between them (as the HR roster "
                "does: docs/hr-import.md)."
            )
        value = value.upper()
        # Unique within the agency (a constraint on two columns, which the form does not show).
        if employee_number_taken(value, other_than=self.instance.pk):
            raise ValidationError("Another employee already has this employee number.")
        return value

    def clean(self):
        cleaned = super().clean()
        hired, left = cleaned.get("hire_date"), cleaned.get("separation_date")
        if hired and left and left < hired:
            self.add_error("separation_date", "The separation date is before the hire date.")
        return cleaned

    def clean_work_email(self):
        value = (self.cleaned_data.get("work_email") or "").strip().lower()
        if problem := work_email_problem(value):
            raise forms.ValidationError(problem)
        return value or None


class EmployeeSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100, widget=forms.SearchInput())


class RosterUploadForm(forms.Form):
    """The HR roster file (docs/hr-import.md). What it holds is checked by
    ``roster_sync.parse_roster``; this checks only what can be told before reading it."""

    file = forms.FileField(
        label="Roster file (CSV)",
        help_text="UTF-8 CSV in the layout of docs/hr-import.md; one header line.",
    )
    full = forms.BooleanField(
        required=False,
        label="This file is the whole department: anyone on record and not in it is separated",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ROSTER_IMPORT_MAX_BYTES:
            raise ValidationError(
                "The file is larger than "
                f"{filesizeformat(settings.ROSTER_IMPORT_MAX_BYTES)}, the most accepted."
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError("Choose a CSV file (its name ends in .csv).")
        return upload


class RosterConfirmForm(forms.Form):
    """The preview's file, named by its SHA-256: what the confirmation applies."""

    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
