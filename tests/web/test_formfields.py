"""The shared form fields (peersupport/formfields.py): ids a database cannot hold, text
without bidirectional-override characters, and the fast choice widgets (the same HTML as
Django's)."""

import importlib
import pkgutil

import pytest
from django import forms
from django.utils.safestring import mark_safe

import peersupport
from peersupport.accounts.models import Language
from peersupport.formfields import (
    FastCheckboxSelectMultiple,
    FastSelect,
    FastSelectMultiple,
    IdChoiceField,
    IdMultipleChoiceField,
    PlainTextField,
    strip_bidi_controls,
)

HUGE = ["12345678901234567890", str(2**63), "-1", "١", " 1", "1.0", "0x1", ""]


def _project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(peersupport.__path__, "peersupport."):
        if module.name.rsplit(".", 1)[-1].startswith("forms"):
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("peersupport."):
            found.append(cls)
    return found


def test_every_model_choice_in_the_project_refuses_ids_no_row_can_have():
    forms_found = _project_forms()
    assert len(forms_found) > 20
    unsafe = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_found
        for name, field in form.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and not isinstance(field, (IdChoiceField, IdMultipleChoiceField))
    ]
    assert not unsafe, "use peersupport.formfields.IdChoiceField / IdMultipleChoiceField"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [v for v in HUGE if v])
def test_id_fields_refuse_what_no_row_can_have(value):
    one = IdChoiceField(queryset=Language.objects.all())
    many = IdMultipleChoiceField(queryset=Language.objects.all())
    with pytest.raises(forms.ValidationError) as exc:
        one.clean(value)
    assert exc.value.code == "invalid_choice"
    with pytest.raises(forms.ValidationError) as exc:
        many.clean([value])
    assert exc.value.code == "invalid_choice"


@pytest.mark.django_db
def test_id_fields_still_accept_real_choices():
    language = Language.objects.create(code="zz", name="Testish")
    assert IdChoiceField(queryset=Language.objects.all()).clean(str(language.pk)) == language
    assert IdChoiceField(queryset=Language.objects.all(), required=False).clean("") is None
    many = IdMultipleChoiceField(queryset=Language.objects.all())
    assert list(many.clean([str(language.pk)])) == [language]
    assert list(many.clean([language.pk])) == [language]


def test_bidi_controls_are_stripped():
    evil = "pay\u202eFDP.exe\u202c \u2066a\u2069\u2067b\u2069\u2068c\u2069 \u200e\u200f\u061cd"
    assert strip_bidi_controls(evil) == "payFDP.exe abc d"
    assert strip_bidi_controls("שלום עולם, مرحبا") == "שלום עולם, مرحبا"
    assert strip_bidi_controls(None) is None
    field = PlainTextField(max_length=5)
    assert field.clean("\u202eabcde\u202c") == "abcde"
    with pytest.raises(forms.ValidationError):
        PlainTextField().clean("\u202e\u202c")


# Every character that needs escaping, in values, labels, group names and attributes; a label
# already safe; a number as a label; an empty choice; a group.
TRICKY_CHOICES = [
    ("", "---------"),
    (1, "a <b> & \"c\" 'd'"),
    ('x"<&>', mark_safe("<i>safe</i>")),
    (3, 1234),
    ("G<&>", [(5, "five"), (6, "six&")]),
]
TRICKY_ATTRS = [
    None,
    {
        "id": 'id_f"<',
        "required": True,
        "disabled": False,
        "aria-describedby": 'f_helptext f_error"<',
        "aria-invalid": "true",
        "class": "a<b",
    },
]
FAST_WIDGETS = [
    (FastSelect, forms.Select, ["", "1", 'x"<&>', "6", None]),
    (FastSelectMultiple, forms.SelectMultiple, [[], ["1", "6"], ['x"<&>', "3"]]),
    (FastCheckboxSelectMultiple, forms.CheckboxSelectMultiple, [[], ["1"], ['x"<&>', "5"]]),
]


@pytest.mark.parametrize(("fast", "django_widget", "values"), FAST_WIDGETS)
@pytest.mark.parametrize("attrs", TRICKY_ATTRS)
def test_fast_widgets_render_the_same_html_as_djangos(fast, django_widget, values, attrs):
    for value in values:
        expected = django_widget(choices=TRICKY_CHOICES).render('f<"n', value, attrs)
        assert fast(choices=TRICKY_CHOICES).render('f<"n', value, attrs) == expected
    assert "&lt;b&gt; &amp; &quot;c&quot; &#x27;d&#x27;" in expected
    assert "<i>safe</i>" in expected


class _LanguageForm(forms.Form):
    one = IdChoiceField(queryset=Language.objects.order_by("name"), help_text="Pick one.")
    many = IdMultipleChoiceField(
        queryset=Language.objects.order_by("name"), widget=FastCheckboxSelectMultiple
    )


class _DjangoLanguageForm(_LanguageForm):
    one = forms.ModelChoiceField(queryset=Language.objects.order_by("name"), help_text="Pick one.")
    many = forms.ModelMultipleChoiceField(
        queryset=Language.objects.order_by("name"), widget=forms.CheckboxSelectMultiple
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {"one": "", "many": []}, {"one": "999", "many": ["999"]}, "chosen"]
)
def test_a_bound_fast_select_renders_as_djangos(data):
    """The label, ``required``, ``selected``, and the errors' and help's ``aria-describedby``
    and ``aria-invalid`` that a bound field adds are all kept."""
    Language.objects.create(code="zz", name="Zed <&>")
    chosen = Language.objects.create(code="aa", name='"Aa"')
    if data == "chosen":
        data = {"one": str(chosen.pk), "many": [str(chosen.pk)]}
    fast, django_form = _LanguageForm(data), _DjangoLanguageForm(data)
    if data is not None:
        fast.is_valid(), django_form.is_valid()
    assert str(fast) == str(django_form)
    assert isinstance(_LanguageForm().fields["one"].widget, FastSelect)


def test_every_select_of_rows_in_the_project_is_fast():
    """A choice of rows (units, people, courses, languages) grows with the data: no form shows
    it with Django's template-rendered widgets."""
    slow = (forms.Select, forms.SelectMultiple, forms.CheckboxSelectMultiple)
    fast = (FastSelect, FastSelectMultiple, FastCheckboxSelectMultiple)
    found = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and isinstance(field.widget, slow)
        and not isinstance(field.widget, fast)
    ]
    assert not found, "use peersupport.formfields.FastSelect / FastCheckboxSelectMultiple"
