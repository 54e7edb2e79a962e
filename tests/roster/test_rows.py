"""The roster's rows written in Python (peersupport/roster/rows.py) say what the template loop
they replace said, with the same escaping."""

from datetime import date, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from peersupport.roster import selectors
from peersupport.roster.models import SupporterProfile
from peersupport.roster.rows import roster_rows_html
from tests.factories import EmployeeFactory, SupporterProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = SupporterProfile.Status
HOSTILE = "<script>alert('x')</script> & \"Co\""

# templates/roster/manage.html's loop before it was written in Python.
ROSTER_LOOP = Template(
    """{% for p in page %}
            <tr>
              <th scope="row">{{ p.name }}</th>
              <td>{{ p.user.employee.unit }}</td>
              <td>{{ p.get_status_display }}{% if p.ready %} (initial training complete: ready to activate){% endif %}{% if p.inactive_reason %} ({{ p.get_inactive_reason_display|lower }}{% if p.inactive_until %}, until {{ p.inactive_until|date:"j M Y" }}{% endif %}){% endif %}</td>
              <td>{{ p.status_changed_at|date:"j M Y" }}</td>
              <td>{{ p.status_reason }}</td>
              <td>{% if p.ready %}<a class="button" href="{% url 'roster:activate' p.pk %}">Activate<span class="visually-hidden"> {{ p.name }}</span></a> {% endif %}{% if p.status != "removed" %}<a href="{% url 'roster:set_status' p.pk %}">Change status<span class="visually-hidden"> of {{ p.name }}</span></a>{% endif %}</td>
            </tr>
          {% endfor %}"""  # noqa: E501
)


def _supporter(dept, **kwargs) -> SupporterProfile:
    user = UserFactory()
    EmployeeFactory(
        user=user, work_email=user.email, unit=dept.squad, first_name=HOSTILE, last_name="O'B"
    )
    return SupporterProfileFactory(user=user, **kwargs)


def test_the_rows_say_what_the_template_said(dept):
    late = timezone.now().replace(hour=23, minute=30) - timedelta(days=40)
    made = [
        _supporter(dept, status=Status.ACTIVE, status_reason=HOSTILE, status_changed_at=late),
        _supporter(dept, status=Status.INACTIVE, inactive_until=date(2027, 3, 9)),
        _supporter(
            dept,
            status=Status.INACTIVE,
            inactive_reason=SupporterProfile.InactiveReason.COORDINATOR_DECISION,
        ),
        _supporter(dept, status=Status.APPOINTED),
        _supporter(dept, status=Status.REMOVED),
        SupporterProfileFactory(user=UserFactory(display_name=HOSTILE), status=Status.RETIRED),
    ]
    rows = selectors.roster_prepare(selectors.roster_rows().filter(pk__in=[p.pk for p in made]))
    assert len(rows) == 6
    rows[3].ready = True  # as once its initial training is complete
    expected = ROSTER_LOOP.render(Context({"page": rows}))
    assert roster_rows_html(rows) == expected
    assert "<script>" not in expected
    assert "(coordinator&#x27;s decision)" in expected and ", until 9 Mar 2027)" in expected
    assert "ready to activate" in expected and expected.count("Change status") == 5
