"""The units page's tree written in Python (peersupport/web/unit_tree.py) says what the template
loop it replaces said, with the same escaping."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from peersupport.accounts import selectors
from peersupport.accounts.models import Unit
from peersupport.web.unit_tree import unit_tree_html
from tests.factories import EmployeeFactory, UnitFactory

pytestmark = pytest.mark.django_db

# templates/accounts/unit_list.html's loop before it was written in Python.
TEMPLATE_LOOP = Template(
    """{% for depth, unit in rows %}
      <li class="tree__item" data-depth="{{ depth }}">
        <a href="{% url 'accounts:unit_edit' unit.pk %}">{{ unit.name }}</a>
        <span class="hint">{{ unit.get_kind_display }} · {% if unit.supervisor %}{{ unit.supervisor.rank_title }} {{ unit.supervisor.full_name }}{% else %}no supervisor{% endif %}</span>
      </li>
    {% endfor %}"""  # noqa: E501
)

HOSTILE = "<script>alert('x')</script> & \"Co\""


def test_the_tree_says_what_the_template_said(dept):
    squad = UnitFactory(name=HOSTILE, kind=Unit.Kind.UNIT, parent=dept.squad)
    squad.supervisor = EmployeeFactory(
        unit=squad, first_name=HOSTILE, last_name="O'Brien <b>", rank_title='Sgt. "&"'
    )
    squad.save(update_fields=["supervisor"])
    UnitFactory(name="Night & Day", kind=Unit.Kind.PRECINCT, parent=squad)
    rows = selectors.unit_tree_rows()
    assert len(rows) == 6
    assert unit_tree_html(rows) == TEMPLATE_LOOP.render(Context({"rows": rows}))
    html = unit_tree_html(rows)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Co&quot;" in html
    assert 'data-depth="4"' in html


def test_the_units_page_shows_every_unit_with_its_link(dept, client_for):
    page = client_for("sysadmin").get(reverse("accounts:unit_list")).content.decode()
    for unit in (dept.hq, dept.bureau, dept.precinct, dept.squad):
        assert f'<a href="{reverse("accounts:unit_edit", args=[unit.pk])}">{unit.name}</a>' in page
    assert "No units yet." not in page


def test_no_units_no_lines():
    assert unit_tree_html([]) == ""
