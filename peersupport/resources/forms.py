from django import forms

from .models import EDITABLE_FIELDS, Category, Resource
from .validators import EMAIL_MESSAGE, WEBSITE_MESSAGE


class ResourceFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(),
        help_text="Words in the name or in what they help with.",
    )
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *Category.choices]
    )
    open_24_7 = forms.BooleanField(label="Open 24/7 only", required=False, label_suffix="")


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "text_number": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        error_messages = {
            "name": {"required": "Give the resource a name."},
            "category": {"required": "Choose a category."},
            "description": {"required": "Say in a sentence or two what they help with."},
            "email": {"invalid": EMAIL_MESSAGE},
            "website": {"invalid": WEBSITE_MESSAGE},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.label_suffix = ""  # the label follows the box: "Tick this", not "this:"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the resource a name.")
        return name

    def clean_text_keyword(self):
        return self.cleaned_data["text_keyword"].strip().upper()


class ReasonForm(forms.Form):
    """Retiring or restoring an entry says why, for the audit log."""

    reason = forms.CharField(
        max_length=200,
        error_messages={"required": "Say why, for the record."},
        help_text="For example “service closed” or “number confirmed again”.",
    )
