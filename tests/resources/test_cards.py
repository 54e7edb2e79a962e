"""The directory's cards and "help now" lines are written in Python (resources/cards.py): they
must say what the template loops they replace said (compared with runs of white space made
one), and every value an administrator typed must still come out escaped."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from peersupport.resources.cards import help_now_html, resource_groups_html
from peersupport.resources.models import Category, Cost, Resource

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> & \"Co\""

# templates/resources/resource_list.html's loops and _card.html before they were written in
# Python (_reach.html is still the template the entry's own page includes).
CARD = """<article class="resource-card" aria-labelledby="resource-{{ resource.pk }}">
  <h3 id="resource-{{ resource.pk }}"><a href="{% if public_pages %}{% url 'resources:public_detail' resource.pk %}{% else %}{% url 'resources:detail' resource.pk %}{% endif %}">{{ resource.name }}</a></h3>
  <p class="resource-card__tags">
    {% if resource.is_internal %}<span class="tag tag--internal">Department service</span>{% else %}<span class="tag">Outside service</span>{% endif %}
    {% if resource.available_24_7 %}<span class="tag tag--always">Open 24/7</span>{% endif %}
    <span class="tag">{{ resource.get_cost_display }}</span>
  </p>
  <p>{{ resource.description|truncatewords:40 }}</p>
  {% include "resources/_reach.html" with compact=False %}
  {% if resource.hours and not resource.available_24_7 %}<p class="hint">Hours: {{ resource.hours }}</p>{% endif %}
</article>"""  # noqa: E501
GROUPS = Template(
    """{% regroup page by get_category_display as groups %}
    {% for group in groups %}
      <section class="resource-group" aria-labelledby="group-{{ forloop.counter }}">
        <h2 id="group-{{ forloop.counter }}">{{ group.grouper }}</h2>
        <ul class="resource-list">
          {% for resource in group.list %}
            <li>"""
    + CARD
    + """</li>
          {% endfor %}
        </ul>
      </section>
    {% endfor %}"""
)
HELP_NOW = Template(
    """{% for resource in help_now %}
          <li>
            <strong>{{ resource.name }}</strong>
            {% include "resources/_reach.html" with compact=True %}
          </li>
        {% endfor %}"""
)


def _same(html: str) -> str:
    return " ".join(html.split())


@pytest.fixture
def entries():
    def make(name, **fields):
        values = {"category": Category.OTHER, "description": "Helps.", "phone": ""} | fields
        return Resource.objects.create(name=name, **values)

    return [
        make(
            f"{HOSTILE} line",
            category=Category.CRISIS_LINE,
            description=("word " * 50) + HOSTILE,
            phone="988",
            phone_then=f"then press 1 {HOSTILE}",
            text_number="741741",
            text_keyword="HOME",
            email="help@example.test",
            website="https://example.test/?a=1&b=<2>",
            available_24_7=True,
            cost=Cost.LOW_COST,
            is_internal=True,
        ),
        make("Calm", category=Category.CRISIS_LINE, text_number="741741", hours=HOSTILE),
        make("Web only", category=Category.EAP, website="https://web.test", hours="Mon–Fri"),
        make("Mail only", category=Category.EAP, email="mail@example.test"),
        make("Walk in", category=Category.OTHER, address="1 Main St", cost=Cost.VARIES),
    ]


@pytest.mark.parametrize("public_pages", [False, True])
def test_the_cards_say_what_the_template_said(entries, public_pages):
    expected = GROUPS.render(Context({"page": entries, "public_pages": public_pages}))
    written = resource_groups_html(entries, public_pages=public_pages)
    assert _same(written) == _same(expected)
    assert "<script>" not in written and written.count('class="resource-group"') == 3
    detail = "resources:public_detail" if public_pages else "resources:detail"
    assert f'<a href="{reverse(detail, args=[entries[0].pk])}">' in written
    assert resource_groups_html([], public_pages=public_pages) == ""


def test_help_now_says_what_the_template_said(entries):
    expected = HELP_NOW.render(Context({"help_now": entries}))
    written = help_now_html(entries)
    assert _same(written) == _same(expected)
    assert "<script>" not in written and "reach--compact" in written


def test_the_page_shows_the_written_cards(entries, client):
    page = client.get(reverse("resources:public_list")).content.decode()
    assert page.count('class="resource-card"') == len(entries)
    assert re.search(r'<ul class="help-now">\s*<li>\s*<strong>', page)
    assert "<script>alert" not in page


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775807", "-1", "x"])
def test_any_page_number_shows_a_page(entries, client, number):
    resp = client.get(reverse("resources:public_list"), {"page": number})
    assert resp.status_code == 200 and 'class="resource-card"' in resp.content.decode()
