"""The unit selects of the employee and unit forms take their options from one narrow query
(``forms._unit_choices``) and show what Django's own iterator showed, and a posted unit is
still checked against the units."""

import pytest
from django import forms

from peersupport.accounts.forms import EmployeeForm, UnitForm
from peersupport.accounts.models import Unit
from peersupport.formfields import FastSelect

pytestmark = pytest.mark.django_db

HOSTILE = '<b>Traffic & "Patrol"</b>'


def _djangos(value=None) -> str:
    field = forms.ModelChoiceField(queryset=Unit.objects.order_by("name"), widget=FastSelect)
    return field.widget.render("unit", value, attrs={"required": True, "id": "id_unit"})


def test_the_unit_options_are_what_djangos_iterator_gave(dept):
    Unit.objects.create(name=HOSTILE, kind=Unit.Kind.UNIT, parent=dept.precinct)
    form = EmployeeForm()
    assert str(form["unit"]) == _djangos()
    assert HOSTILE not in str(form["unit"])
    edited = EmployeeForm(instance=dept.users["supporter"].employee)
    assert str(edited["unit"]) == _djangos(dept.users["supporter"].employee.unit_id)
    assert "selected" in str(edited["unit"])
    assert [label for _, label in UnitForm().fields["parent"].choices][1:] == [
        u.name for u in Unit.objects.order_by("name")
    ]


def test_a_posted_unit_is_still_checked(dept):
    field = EmployeeForm().fields["unit"]
    assert field.clean(str(dept.squad.pk)) == dept.squad
    with pytest.raises(forms.ValidationError):
        field.clean("999999")
