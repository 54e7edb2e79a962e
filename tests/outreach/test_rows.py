"""The people on an outreach's page written in Python (peersupport/outreach/rows.py) say
what the template loop they replace said, with the same escaping."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from peersupport.accounts.models import FamilyMember
from peersupport.outreach import selectors, services
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import Attempt, Outreach, PlanStep
from peersupport.outreach.rows import people_html

from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> & \"Co\""

# templates/outreach/detail.html's loop before it was written in Python.
PEOPLE_LOOP = Template(
    """{% for person in people %}
    <section class="card" aria-labelledby="person-{{ person.pk }}">
      <h3 id="person-{{ person.pk }}">{{ person.display_name }}</h3>
      {% if person.how_to_reach %}<p>How to reach them: {{ person.how_to_reach }}</p>{% endif %}
      {% if person.declined_at %}
        <p><strong>Declined support</strong> on {{ person.declined_at|date:"j M Y" }}: not contacted again unless they ask.</p>
        {% if outreach.is_open %}
          <form method="post" action="{% url 'outreach:person_resume' person.pk %}">{% csrf_token %}<button type="submit" class="button button--secondary">They asked for support<span class="visually-hidden"> ({{ person.display_name }})</span></button></form>
        {% endif %}
      {% endif %}
      <p>Supporter: {% if person.active_assignment %}{{ person.active_assignment.supporter }} ({{ person.active_assignment.get_status_display|lower }}){% if person.active_assignment.chain_reason %}; in their chain of command: {{ person.active_assignment.chain_reason }}{% endif %}{% else %}<strong class="status--open">none yet</strong>{% endif %}
        {% if outreach.is_open and not person.declined_at %} <a href="{% url 'outreach:assign' person.pk %}">{% if person.active_assignment %}Reassign{% else %}Assign a supporter{% endif %}<span class="visually-hidden"> for {{ person.display_name }}</span></a>{% endif %}</p>
      <div class="table-wrap" role="region" aria-label="Follow-ups for {{ person.display_name }}" tabindex="0">
        <table>
          <thead><tr><th scope="col">Follow-up</th><th scope="col">Due</th><th scope="col">Status</th><th scope="col">Attempts</th></tr></thead>
          <tbody>
            {% for task in person.task_list %}
              <tr><td>{{ task.label }}</td><td>{{ task.due_at|date:"j M Y, H:i" }}</td><td>{{ task.get_status_display }}</td><td>{% for a in task.attempt_list %}{{ a.at|date:"j M" }}: {{ a.get_outcome_display|lower }}{% if not forloop.last %}; {% endif %}{% empty %}none{% endfor %}</td></tr>
            {% endfor %}
          </tbody>
        </table>
      </div>
      {% if outreach.is_open and not person.declined_at %}
        <form method="post" action="{% url 'outreach:task_add' person.pk %}" novalidate class="inline-form">
          {% csrf_token %}
          <div class="field"><label for="task-label-{{ person.pk }}">Another follow-up</label><input id="task-label-{{ person.pk }}" name="label" maxlength="80" required></div>
          <div class="field"><label for="task-due-{{ person.pk }}">Due</label><input id="task-due-{{ person.pk }}" name="due_at" type="datetime-local" required></div>
          <button type="submit" class="button button--secondary">Plan it<span class="visually-hidden"> for {{ person.display_name }}</span></button>
        </form>
      {% endif %}
    </section>
  {% endfor %}"""  # noqa: E501
)


def _render(outreach) -> tuple[str, str]:
    people = selectors.people_of(outreach)
    context = {"people": people, "outreach": outreach, "csrf_token": "tok<en>"}
    return people_html(people, outreach, "tok<en>"), PEOPLE_LOOP.render(Context(context))


def test_the_people_say_what_the_template_said(personas):
    install_defaults(PlanStep=PlanStep)
    coordinator, supporter = personas["coordinator"], personas["supporter"]
    active_supporter(supporter)
    outreach = services.outreach_open(
        actor=coordinator,
        event_type="ld_injury",
        event_date=timezone.localdate() - timedelta(days=3),
        description="Canary",
    )
    employee = personas["employee"].employee
    services.person_add(actor=coordinator, outreach=outreach, employee=employee)
    relative = FamilyMember.objects.create(
        employee=employee, name=HOSTILE, relationship=FamilyMember.Relationship.SPOUSE
    )
    services.person_add(actor=coordinator, outreach=outreach, family_member=relative)
    other = services.person_add(
        actor=coordinator, outreach=outreach, name=HOSTILE, how_to_reach=HOSTILE
    )
    held = services.assignment_make(actor=coordinator, person=other, supporter=supporter)
    services.assignment_answer(actor=supporter, assignment=held, accept=True)
    first, second, *_ = other.tasks.all()
    services.attempt_record(actor=supporter, task=first, outcome=Attempt.Outcome.NO_ANSWER)
    services.attempt_record(actor=supporter, task=first, outcome=Attempt.Outcome.REACHED)
    services.attempt_record(actor=supporter, task=second, outcome=Attempt.Outcome.DECLINED)
    mine, expected = _render(outreach)
    assert mine == expected
    assert "<script>" not in expected and "tok&lt;en&gt;" in expected
    assert "Declined support" in expected and "They asked for support" in expected
    assert ": no answer; " in expected and ": reached them" in expected
    assert "none yet" in expected and "(accepted)" in expected
    assert "Assign a supporter" in expected and "Plan it" in expected
    # Once they asked again, and once the outreach is closed: the same either way.
    other.refresh_from_db()
    services.person_resume(actor=coordinator, person=other)
    mine, expected = _render(outreach)
    assert mine == expected and "Reassign" in expected
    outreach.status = Outreach.Status.CLOSED
    mine, expected = _render(outreach)
    assert mine == expected and "Plan it" not in expected and "Assign" not in expected
