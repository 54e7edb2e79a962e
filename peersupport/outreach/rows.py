"""The people on an outreach's staff page (``outreach:detail``), written in Python.

Each person is a card: who they are and how to reach them, whether they declined, their
supporter, a table of their follow-ups with the attempts made, and a form to plan another.
Written as a template loop, three people were about a third of the page's time (dates, links
and forms for each). ``people_html`` writes the same HTML with every value from the database
escaped as the templates do (``web.rows.text``) and each link from one reversed pattern
(``web.navigation.address_of``). ``tests/outreach/test_rows.py`` compares it with the template
loop it replaces, hostile names and all.

The page is for the coordinator and the BHS manager only (``views.detail``); nothing here
decides who may see what.
"""

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from .models import AffectedPerson, FollowUpTask, Outreach


def _at(moment, fmt: str) -> str:
    """``{{ moment|date:fmt }}`` for a date and time: in the current time zone."""
    return text(date_format(timezone.localtime(moment), fmt)) if moment else ""


def _attempts(task: FollowUpTask) -> str:
    tries = [
        f"{_at(a.at, 'j M')}: {text(a.get_outcome_display().lower())}" for a in task.attempt_list
    ]
    return "; ".join(tries) or "none"


def _task(task: FollowUpTask) -> str:
    return (
        f"\n              <tr><td>{text(task.label)}</td>"
        f"<td>{_at(task.due_at, 'j M Y, H:i')}</td>"
        f"<td>{text(task.get_status_display())}</td><td>{_attempts(task)}</td></tr>\n            "
    )


def _declined(person: AffectedPerson, name: str, is_open: bool, csrf_input: str) -> str:
    if not person.declined_at:
        return ""
    html = (
        "\n        <p><strong>Declined support</strong> on "
        f"{_at(person.declined_at, 'j M Y')}: not contacted again unless they ask.</p>\n        "
    )
    if is_open:
        html += (
            '\n          <form method="post" '
            f'action="{text(address_of("outreach:person_resume", person.pk))}">{csrf_input}'
            '<button type="submit" class="button button--secondary">They asked for support'
            f'<span class="visually-hidden"> ({name})</span></button></form>\n        '
        )
    return html + "\n      "


def _supporter(person: AffectedPerson, name: str, may_act: bool) -> str:
    held = person.active_assignment
    if held:
        html = f"{text(held.supporter)} ({text(held.get_status_display().lower())})"
        if held.chain_reason:
            html += f"; in their chain of command: {text(held.chain_reason)}"
    else:
        html = '<strong class="status--open">none yet</strong>'
    html += "\n        "
    if may_act:
        html += (
            f' <a href="{text(address_of("outreach:assign", person.pk))}">'
            f"{'Reassign' if held else 'Assign a supporter'}"
            f'<span class="visually-hidden"> for {name}</span></a>'
        )
    return html


def _plan_form(person: AffectedPerson, name: str, csrf_input: str) -> str:
    pk = int(person.pk)
    return (
        '\n        <form method="post" '
        f'action="{text(address_of("outreach:task_add", pk))}" novalidate class="inline-form">'
        f"\n          {csrf_input}"
        f'\n          <div class="field"><label for="task-label-{pk}">Another follow-up</label>'
        f'<input id="task-label-{pk}" name="label" maxlength="80" required></div>'
        f'\n          <div class="field"><label for="task-due-{pk}">Due</label>'
        f'<input id="task-due-{pk}" name="due_at" type="datetime-local" required></div>'
        '\n          <button type="submit" class="button button--secondary">Plan it'
        f'<span class="visually-hidden"> for {name}</span></button>'
        "\n        </form>\n      "
    )


def _person(person: AffectedPerson, is_open: bool, csrf_input: str) -> str:
    name, pk = text(person.display_name()), int(person.pk)
    may_act = is_open and not person.declined_at
    reach = f"<p>How to reach them: {text(person.how_to_reach)}</p>" if person.how_to_reach else ""
    return (
        f'\n    <section class="card" aria-labelledby="person-{pk}">'
        f'\n      <h3 id="person-{pk}">{name}</h3>'
        f"\n      {reach}"
        f"\n      {_declined(person, name, is_open, csrf_input)}"
        f"\n      <p>Supporter: {_supporter(person, name, may_act)}</p>"
        '\n      <div class="table-wrap" role="region" '
        f'aria-label="Follow-ups for {name}" tabindex="0">'
        "\n        <table>"
        '\n          <thead><tr><th scope="col">Follow-up</th><th scope="col">Due</th>'
        '<th scope="col">Status</th><th scope="col">Attempts</th></tr></thead>'
        "\n          <tbody>\n            "
        + "".join(_task(task) for task in person.task_list)
        + "\n          </tbody>\n        </table>\n      </div>"
        f"\n      {_plan_form(person, name, csrf_input) if may_act else ''}"
        "\n    </section>\n  "
    )


def people_html(people: list[AffectedPerson], outreach: Outreach, csrf_token: str) -> SafeString:
    """The cards of ``people`` (``selectors.people_of(outreach)``), each form carrying
    ``csrf_token`` (``get_token``)."""
    csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{text(csrf_token)}">'
    is_open = outreach.is_open
    return mark_safe(  # noqa: S308 (every value above is escaped)
        "".join(_person(person, is_open, csrf_input) for person in people)
    )
