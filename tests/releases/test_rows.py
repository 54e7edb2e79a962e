"""The accounting's releases written in Python (peersupport/releases/rows.py) say what the
template loop they replace said, with the same escaping."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.releases import selectors, services
from peersupport.releases.rows import accounting_rows_html

from ..matrix.releases import signed_release
from .helpers import D, other_supporter

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> & \"Co\""

# templates/releases/accounting.html's loop before it was written in Python.
ACCOUNTING_LOOP = Template(
    """{% for release, shows_person in rows %}
    <section class="card" aria-labelledby="release-{{ release.pk }}">
      <h2 id="release-{{ release.pk }}"><a href="{% url 'releases:detail' release.pk %}">Release {{ release.number }}</a> {% include "releases/_status.html" %}</h2>
      <dl class="facts facts--compact">
        <dt>Person</dt><dd>{% if shows_person %}{{ release.person_name }}{% else %}Not shown to you{% endif %}</dd>
        <dt>Held by</dt><dd>{{ release.supporter }}</dd>
        <dt>Signed</dt><dd>{{ release.signed_on|date:"j F Y" }}</dd>
        <dt>Expires</dt><dd>{% include "releases/_expiry.html" %}</dd>
        <dt>Information</dt><dd><ul class="plain-list">{% for item in release.items %}<li>{{ item }}</li>{% endfor %}</ul></dd>
        <dt>Recipients</dt><dd><ul class="plain-list">{% for recipient in release.recipients %}<li>{{ recipient }}</li>{% endfor %}</ul></dd>
        <dt>Purpose</dt><dd>{{ release.purpose }}</dd>
      </dl>
      <h3>Disclosures</h3>
      {% include "releases/_disclosures.html" with disclosures=release.disclosures.all caption="Disclosures under release "|add:release.number %}
    </section>
  {% endfor %}"""  # noqa: E501
)


def test_the_releases_say_what_the_template_said(dept, personas, supporter):
    today = timezone.localdate()
    other, _ = other_supporter(dept, name="o'brien")
    other.display_name = HOSTILE
    other.save(update_fields=["display_name"])
    hostile = signed_release(
        supporter,
        person_name=HOSTILE,
        items=[HOSTILE, "Dates"],
        recipients=[HOSTILE],
        purpose=HOSTILE,
        expiry_event=HOSTILE,
    )
    by_event = signed_release(supporter, expires_on=None, expiry_event="When I return to duty")
    theirs = signed_release(other, disclosers=D.SUPPORTER, signed_on=today - timedelta(days=3))
    for actor, release in ((supporter, hostile), (personas["bhs_manager"], hostile)):
        services.disclosure_record(
            actor=actor,
            release=release,
            disclosed_on=today,
            recipient=HOSTILE,
            items=[HOSTILE],
            purpose=HOSTILE,
        )
    services.release_revoke(actor=other, release=theirs)
    bhs = personas["bhs_manager"]
    releases = list(selectors.accounting(selectors.AccountingFilter()))
    assert {r.pk for r in releases} >= {hostile.pk, by_event.pk, theirs.pk}
    rows = [(r, selectors.may_see_person(bhs, r)) for r in releases]
    assert bhs.has_role(Role.BHS_MANAGER) and {shows for _r, shows in rows} == {True, False}
    expected = ACCOUNTING_LOOP.render(Context({"rows": rows}))
    assert accounting_rows_html(rows) == expected
    assert "<script>" not in expected
    assert "Not shown to you" in expected and "(BHS manager)" in expected
    assert "whichever comes first" in expected and "when When I return to duty" in expected
    assert "Nothing has been disclosed under this release." in expected
