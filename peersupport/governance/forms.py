from django import forms

from .models import PolicyDocument
from .rules import COVERED_GROUPS, LAW_MAX, STATE_MAX, PrivilegeProfile
from .selectors import MAX_CATEGORY_ORDER

PRIVILEGE_FIELDS = (
    "privilege_stated",
    "privilege_state",
    "privilege_law",
    "privilege_privileged",
    "privilege_covered",
    "privilege_designated_before_incident",
    "privilege_responders_excluded",
    "privilege_retired_supporters_covered",
    "privilege_exceptions",
)


class PolicyVersionForm(forms.Form):
    """A draft's content. The notice has its intro and closing; the program policy its body."""

    effective_date = forms.DateField(
        label="Takes effect on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="It becomes the version in force on this date, once the Chief approves it.",
    )
    body = forms.CharField(label="Policy text", widget=forms.Textarea(attrs={"rows": 16}))
    intro = forms.CharField(
        label="Introduction, before the list of exceptions",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    closing = forms.CharField(
        label="Closing, after the list of exceptions", widget=forms.Textarea(attrs={"rows": 3})
    )

    # The notice's privilege profile: what the department's state law provides. Checked by the
    # service (rules.privilege_errors), whose errors come back on these fields.
    privilege_stated = forms.BooleanField(
        label="Show the state's peer support privilege in the notice",
        required=False,
        label_suffix="",
        help_text="Leave unticked and the notice says nothing about privilege, as before.",
    )
    privilege_state = forms.CharField(
        label="State", max_length=STATE_MAX, required=False, help_text="For example “Colorado”."
    )
    privilege_law = forms.CharField(
        label="The law, as it is cited (optional)",
        max_length=LAW_MAX,
        required=False,
        help_text="For example “C.R.S. § 13-90-107(1)(m)”.",
    )
    privilege_privileged = forms.ChoiceField(
        label="Does the state's law make what is said to a peer supporter privileged?",
        choices=[
            ("yes", "Yes: a court cannot, in general, order it disclosed"),
            ("no", "No: the state has no peer support privilege"),
        ],
        initial="yes",
        required=False,
        widget=forms.RadioSelect,
    )
    privilege_covered = forms.MultipleChoiceField(
        label="Who it covers",
        choices=COVERED_GROUPS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    privilege_designated_before_incident = forms.BooleanField(
        label="Only supporters designated before the incident talked about are covered",
        required=False,
        label_suffix="",
    )
    privilege_responders_excluded = forms.BooleanField(
        label="A supporter who responded to the incident talked about is not covered",
        required=False,
        label_suffix="",
        help_text="Outreach never assigns a supporter involved in the incident either way.",
    )
    privilege_retired_supporters_covered = forms.BooleanField(
        label="Retired peer supporters are covered", required=False, label_suffix=""
    )
    privilege_exceptions = forms.CharField(
        label="The law's own exceptions (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line, for example “The supporter witnessed a crime”.",
    )

    def __init__(self, *args, document: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        drop = ("body",) if document.is_notice else ("intro", "closing", *PRIVILEGE_FIELDS)
        for name in drop:
            del self.fields[name]
        self.is_notice = document.is_notice

    def clean(self):
        """The privilege fields become one ``privilege`` profile (None when not stated), as
        the services take it."""
        cleaned = super().clean()
        if not self.is_notice:
            return cleaned
        values = {name: cleaned.pop(name, None) for name in PRIVILEGE_FIELDS}
        if not values["privilege_stated"]:
            cleaned["privilege"] = None
            return cleaned
        exceptions = (values["privilege_exceptions"] or "").splitlines()
        cleaned["privilege"] = PrivilegeProfile(
            state=" ".join((values["privilege_state"] or "").split()),
            law=(values["privilege_law"] or "").strip(),
            privileged=values["privilege_privileged"] != "no",
            covered=tuple(values["privilege_covered"] or ()),
            designated_before_incident=bool(values["privilege_designated_before_incident"]),
            responders_excluded=bool(values["privilege_responders_excluded"]),
            retired_supporters_covered=bool(values["privilege_retired_supporters_covered"]),
            exceptions=tuple(line.strip() for line in exceptions if line.strip()),
        )
        return cleaned


def privilege_initial(data: dict) -> dict:
    """The privilege fields' initial values from a version's stored profile."""
    profile = PrivilegeProfile.from_json(data)
    if profile is None:
        return {"privilege_stated": False}
    return {
        "privilege_stated": True,
        "privilege_state": profile.state,
        "privilege_law": profile.law,
        "privilege_privileged": "yes" if profile.privileged else "no",
        "privilege_covered": list(profile.covered),
        "privilege_designated_before_incident": profile.designated_before_incident,
        "privilege_responders_excluded": profile.responders_excluded,
        "privilege_retired_supporters_covered": profile.retired_supporters_covered,
        "privilege_exceptions": "\n".join(profile.exceptions),
    }


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What needs to change",
        # Required to return (the service says so); not required to approve, so no form error.
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class AcknowledgeForm(forms.Form):
    version_id = forms.IntegerField(widget=forms.HiddenInput)


class ExceptionCategoryForm(forms.Form):
    """An exception category. The code is asked only when adding one: it never changes."""

    code = forms.SlugField(
        max_length=64,
        help_text=(
            "A short fixed name for the records, in lower-case letters, digits and hyphens, "
            "for example “danger-to-self”. It cannot be changed later."
        ),
        error_messages={
            "required": "Give the category a code.",
            "invalid": "Use only lower-case letters, digits and hyphens, for example "
            "“danger-to-self”.",
        },
    )
    name = forms.CharField(
        max_length=120,
        help_text="As the notice lists it, for example “Danger to self”.",
        error_messages={"required": "Give the category a name."},
    )
    explanation = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One plain sentence the notice shows after the name.",
    )
    action = forms.CharField(
        label="Action it triggers",
        max_length=200,
        help_text="What the supporter does when it arises, for example “Escalate at once”.",
        error_messages={"required": "Say what the supporter does when it arises."},
    )
    crisis_resources = forms.BooleanField(
        label="Show the supporter crisis resources when it is raised",
        required=False,
        label_suffix="",
        help_text="The crisis lines of the resource directory, such as 988, on the spot.",
    )
    order = forms.IntegerField(
        label="Place in the list",
        min_value=0,
        max_value=MAX_CATEGORY_ORDER,
        help_text="Lower numbers come first; the categories go in steps of ten.",
        error_messages={"required": "Give a place in the list (a number)."},
    )

    def __init__(self, *args, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not adding:
            del self.fields["code"]

    def clean_code(self):
        return self.cleaned_data["code"].lower()
