"""The Python-rendered radio buttons and check boxes write exactly what Django's templates do."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from peersupport import formfields
from peersupport.support.forms_supporter import ContactForm

CHOICES = [("a", "A & <b>"), ("b", "B"), ("c", 'C "quoted"')]
GROUPED = [("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C")]
ATTRS = {"id": "id_x", "aria-describedby": "id_x_helptext", "required": True, "class": "k"}


@pytest.mark.parametrize(
    ("fast", "django_widget"),
    [
        (formfields.FastRadioSelect, forms.RadioSelect),
        (formfields.FastCheckboxSelectMultiple, forms.CheckboxSelectMultiple),
    ],
)
@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
@pytest.mark.parametrize("value", [None, "a", ["a", "c"], "<script>"])
@pytest.mark.parametrize("attrs", [None, ATTRS, {"id": "i", "disabled": False}])
def test_same_html_as_django(fast, django_widget, choices, value, attrs):
    ours = fast(choices=choices).render("x", value, attrs)
    theirs = django_widget(choices=choices).render("x", value, attrs, renderer=DjangoTemplates())
    assert ours == theirs


@pytest.mark.django_db
def test_the_contact_form_renders_as_with_django_widgets():
    """Bound with errors and values, every choice field of the form renders the same."""
    data = {"mode": "phone", "topics": ["nope", "<b>"], "requester_type": "x"}
    form = ContactForm(data, renderer=DjangoTemplates())
    assert not form.is_valid()
    for name in ("mode", "requester_type", "topics", "referrals"):
        field = form[name]
        ours = field.as_field_group()
        field.field.widget = (
            forms.CheckboxSelectMultiple(choices=field.field.choices)
            if isinstance(field.field.widget, forms.CheckboxSelectMultiple)
            else forms.RadioSelect(choices=field.field.choices)
        )
        assert ours == form[name].as_field_group()
