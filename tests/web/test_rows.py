"""The units page's tree written in Python (peersupport/web/rows.py) says what the template
loop it replaces said, with the same escaping."""

from datetime import datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts import selectors
from peersupport.accounts.models import Role, RoleGrant, Unit
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.web.rows import audit_event_rows_html, grant_rows_html, unit_tree_html
from tests.factories import EmployeeFactory, UnitFactory, UserFactory

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
    rows = selectors.unit_tree_page(selectors.unit_tree_lines())
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


# templates/accounts/role_list.html's loop over grants before it was written in Python.
GRANTS_LOOP = Template(
    """{% for grant in page %}
        <tr>
          <td>{{ grant.user }}<br><span class="hint">{{ grant.user.email }}</span></td>
          <td>{{ grant.get_role_display }}</td>
          <td>{{ grant.granted_at|date:"Y-m-d" }} by {{ grant.granted_by|default:"the system" }}<br><span class="hint">{{ grant.reason }}</span></td>
          <td>{{ grant.expires_at|date:"Y-m-d"|default:"—" }}</td>
          <td>
            {% if grant.is_current %}
              <form method="post" action="{% url 'accounts:role_revoke' grant.pk %}" class="inline-form">
                {% csrf_token %}
                <label for="reason-{{ grant.pk }}">Reason to revoke<span class="visually-hidden"> {{ grant.get_role_display }} from {{ grant.user }}</span></label>
                <input id="reason-{{ grant.pk }}" name="reason" required maxlength="300">
                <button type="submit" class="button button--danger">Revoke<span class="visually-hidden"> {{ grant.get_role_display }} from {{ grant.user }}</span></button>
              </form>
            {% elif grant.revoked_at %}Revoked {{ grant.revoked_at|date:"Y-m-d" }}{% if grant.revoke_reason %}: {{ grant.revoke_reason }}{% endif %}
            {% else %}Ended{% endif %}
          </td>
        </tr>
      {% endfor %}"""  # noqa: E501
)


def test_the_grants_say_what_the_template_said(personas):
    now = timezone.now()
    hostile = UserFactory(email="x&y@pd.example.org", display_name=HOSTILE)
    granter = UserFactory(display_name="Granter <i>")
    made = [
        RoleGrant.objects.create(user=hostile, role=Role.PEER_SUPPORTER, reason=HOSTILE),
        RoleGrant.objects.create(
            user=hostile,
            role=Role.COORDINATOR,
            reason="r",
            granted_by=granter,
            expires_at=now + timedelta(days=3, hours=23),  # another day in UTC late at night
        ),
        RoleGrant.objects.create(
            user=hostile,
            role=Role.PANELIST,
            reason="r",
            revoked_at=now - timedelta(days=2),
            revoke_reason=HOSTILE,
        ),
        RoleGrant.objects.create(
            user=hostile, role=Role.CHIEF, reason="r", revoked_at=now, revoke_reason=""
        ),
        RoleGrant.objects.create(
            user=hostile, role=Role.BHS_MANAGER, reason="", expires_at=now - timedelta(days=1)
        ),
    ]
    grants = list(selectors.role_grants_listed(show="all").filter(pk__in=[g.pk for g in made]))
    assert len(grants) == 5
    expected = GRANTS_LOOP.render(Context({"page": grants, "csrf_token": "t<k>"}))
    assert grant_rows_html(grants, "t<k>") == expected
    assert "Revoked" in expected and "Ended" in expected and "the system" in expected
    assert "<script>" not in expected and "Granter &lt;i&gt;" in expected


# templates/audit/event_list.html's loop before it was written in Python.
EVENT_LOOP = Template(
    """{% for event in page %}
          <tr>
            <td>{{ event.at|date:"Y-m-d H:i:s" }}</td>
            <td>{{ event.actor_label|default:"system" }}</td>
            <td>{{ event.action_label }}</td>
            <td>{{ event.get_outcome_display }}</td>
            <td>{% if event.target_type %}{{ event.target_type }} {{ event.target_id }}{% endif %}</td>
          </tr>
        {% empty %}
          <tr><td colspan="5">No entries match.</td></tr>
        {% endfor %}"""  # noqa: E501
)


def test_the_audit_entries_say_what_the_template_said():
    # Just after local midnight on new year's day, in UTC the evening before or the morning
    # after; an action a later version removed; no actor; a hostile label and target.
    at = datetime(2026, 1, 1, 0, 0, 5, 7, tzinfo=timezone.get_current_timezone())
    events = [
        AuditEvent(
            at=at,
            actor_label=HOSTILE,
            action=AuditAction.ROLE_GRANTED,
            outcome="denied",
            target_type="accounts.user",
            target_id=HOSTILE,
        ),
        AuditEvent(
            at=at + timedelta(days=200),
            actor_label="",
            action="gone.<b>",
            outcome="x&y",
            target_type="",
            target_id="7",
        ),
    ]
    for page in (events, []):
        assert audit_event_rows_html(page) == EVENT_LOOP.render(Context({"page": page}))
