from django import forms

from .models import PolicyDocument
from .selectors import MAX_CATEGORY_ORDER


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

    def __init__(self, *args, document: PolicyDocument, **kwargs):
        super().__init__(*args, **kwargs)
        drop = ("body",) if document.is_notice else ("intro", "closing")
        for name in drop:
            del self.fields[name]


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
