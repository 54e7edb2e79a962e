from django import forms

from .models import PolicyDocument


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
