"""The supporter's inbox lists, written in Python: follow-up cards and recently closed requests.

The inbox shows up to ten follow-ups due and ten to come, each a card with two dates, a link and
a "Mark done" form, and up to ten closed requests; written as template loops they cost about
half of the page's time (issue 21: the inbox at 7 to 8 times the signed-in floor). These
functions write the same HTML with every value from the database escaped as the templates do
(``web.rows.text``) and each link from one reversed pattern (``web.navigation.address_of``).
``tests/support/test_rows.py`` compares them with the template loops they replace.
"""

from datetime import date

from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from .selectors import FollowUpLine, HeldLine


def _long_day(day: date) -> str:
    """``{{ day|date:"l j F Y" }}``: "Thursday 31 December 2026"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month]} {day.year}"


def _card(followup: FollowUpLine, today: date, csrf_input: str, request_link: bool) -> str:
    late = followup.due < today
    due = followup.due
    contact = followup.contact_date
    after = f", after the contact of {contact.day} {MONTHS[contact.month]}" if contact else ""
    link = (
        f'<p><a href="{text(address_of("support:held", followup.request_id))}">'
        "Open the request</a></p>"
        if followup.request_id and request_link
        else ""
    )
    done = text(address_of("support:followup_done", followup.pk))
    return (
        f'\n      <li class="card inbox-item{" inbox-item--late" if late else ""}">'
        f'\n        <p id="followup-{followup.pk}"><strong>{"Overdue since" if late else "Due"}'
        f' <time datetime="{due.year:04d}-{due.month:02d}-{due.day:02d}">'
        f"{text(_long_day(due))}</time></strong>{text(after)}.</p>"
        f"\n        {link}"
        f'\n        <form method="post" action="{done}">'
        f"\n          {csrf_input}"
        '\n          <button type="submit" name="action" value="done"'
        ' class="button button--secondary"'
        f' aria-describedby="followup-{followup.pk}">Mark done</button>'
        "\n        </form>"
        "\n      </li>\n    "
    )


def followup_cards_html(
    followups: list[FollowUpLine], today: date, csrf_token: str, *, request_links: bool = True
) -> SafeString:
    """The ``<li>`` cards of ``<ul class="inbox-list">`` for ``followups``, each late one
    marked; ``request_links`` links each to its request (not on the
    request's own page)."""
    csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{text(csrf_token)}">'
    return mark_safe(  # noqa: S308 (escaped)
        "".join(_card(f, today, csrf_input, request_links) for f in followups)
    )


def closed_links_html(closed: list[HeldLine]) -> SafeString:
    """The ``<li>`` links of the recently closed requests, each with its closing day."""
    lines = []
    for req in closed:
        day = timezone.localtime(req.closed_at) if req.closed_at else None
        when = f"{day.day} {str(MONTHS_3[day.month]).title()} {day.year}" if day else ""
        lines.append(
            f'\n            <li><a href="{text(address_of("support:held", req.pk))}">'
            f"{text(req.get_kind_display())}, closed {text(when)}</a></li>\n          "
        )
    return mark_safe("".join(lines))  # noqa: S308 (escaped)
