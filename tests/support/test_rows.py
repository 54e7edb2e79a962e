"""The inbox's lists written in Python (peersupport/support/rows.py) say what the template loops
they replace said: late and on-time follow-ups, with and without a contact or a request, across
the year end, and closed requests by the department's day."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template

from peersupport.support.models import RequesterKind
from peersupport.support.rows import closed_links_html, followup_cards_html
from peersupport.support.selectors import FollowUpLine, HeldLine

# templates/support/supporter/_followups.html's loop before it was written in Python (the
# contact's date then read through the follow-up's contact).
FOLLOWUPS_LOOP = Template(
    """{% for followup in followups %}
      <li class="card inbox-item{% if followup.due < today %} inbox-item--late{% endif %}">
        <p id="followup-{{ followup.pk }}"><strong>{% if followup.due < today %}Overdue since{% else %}Due{% endif %} <time datetime="{{ followup.due|date:'Y-m-d' }}">{{ followup.due|date:"l j F Y" }}</time></strong>{% if followup.contact_id %}, after the contact of {{ followup.contact_date|date:"j F" }}{% endif %}.</p>
        {% if followup.request_id and not hide_request_link %}<p><a href="{% url 'support:held' followup.request_id %}">Open the request</a></p>{% endif %}
        <form method="post" action="{% url 'support:followup_done' followup.pk %}">
          {% csrf_token %}
          <button type="submit" name="action" value="done" class="button button--secondary" aria-describedby="followup-{{ followup.pk }}">Mark done</button>
        </form>
      </li>
    {% endfor %}"""  # noqa: E501
)

# templates/support/supporter/inbox.html's loop over closed requests before.
CLOSED_LOOP = Template(
    """{% for req in closed %}
            <li><a href="{% url 'support:held' req.pk %}">{{ req.get_kind_display }}, closed {{ req.closed_at|date:"j M Y" }}</a></li>
          {% endfor %}"""  # noqa: E501
)

TOKEN = "tok<&>en"  # escaped as the csrf tag escapes it


def _followups():
    return [
        FollowUpLine(11, date(2026, 12, 30), None, 2, date(2026, 12, 1)),
        FollowUpLine(12, date(2026, 12, 31), 40, None, None),
        FollowUpLine(13, date(2027, 1, 1), 41, 3, date(2027, 1, 1)),
        FollowUpLine(14, date(2027, 3, 31), None, None, None),
    ]


@pytest.mark.parametrize("hide", [False, True])
def test_the_followup_cards_say_what_the_template_said(hide):
    today = date(2026, 12, 31)
    followups = _followups()
    html = followup_cards_html(followups, today, TOKEN, request_links=not hide)
    context = {"followups": followups, "today": today, "hide_request_link": hide}
    assert html == FOLLOWUPS_LOOP.render(Context({**context, "csrf_token": TOKEN}))
    assert html.count("inbox-item--late") == 1  # 30 December only: the 31st is due today
    assert "Thursday 31 December 2026" in html and "Friday 1 January 2027" in html
    assert "after the contact of 1 January" in html
    assert ("Open the request" in html) is not hide


def test_the_closed_requests_say_what_the_template_said(settings):
    closed = [
        # 03:30 UTC on 1 January is still 31 December in the department (America/Chicago).
        HeldLine(
            5, RequesterKind.EMPLOYEE, "closed", None, datetime(2027, 1, 1, 3, 30, tzinfo=UTC)
        ),
        HeldLine(6, RequesterKind.FAMILY, "closed", None, datetime(2027, 1, 1, 6, 30, tzinfo=UTC)),
        HeldLine(7, RequesterKind.ANONYMOUS, "closed", None, None),
    ]
    html = closed_links_html(closed)
    assert html == CLOSED_LOOP.render(Context({"closed": closed}))
    assert "closed 31 Dec 2026" in html and "closed 1 Jan 2027" in html


def test_nothing_to_show_writes_nothing():
    assert followup_cards_html([], date(2026, 12, 31), TOKEN) == ""
    assert closed_links_html([]) == ""
