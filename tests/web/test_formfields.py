"""The shared form fields (peersupport/formfields.py): ids a database cannot hold, and text
without bidirectional-override characters."""

import importlib
import pkgutil

import pytest
from django import forms

import peersupport
from peersupport.accounts.models import Language
from peersupport.formfields import (
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
