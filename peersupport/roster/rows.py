"""The coordinator's roster table (``roster:manage``), its rows written in Python.

Fifty supporters a page; written as a template loop, each row cost about 0.12 ms (two dates,
the status and its reason, two links), most of the page's time. ``entry_rows_html`` writes the
same HTML, from the plain values the page reads (``selectors.RosterEntry``), with every value
from the database escaped as the templates do (``web.rows.text``) and each link from one
reversed pattern (``web.navigation.address_of``); ``roster_rows_html`` writes the same rows for
profiles. ``tests/roster/test_rows.py`` compares it with the template loop it replaces.
"""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from .selectors import RosterEntry, roster_entry


def _months() -> list[str]:
    """The months as ``{{ day|date:"M" }}`` writes them, in the language in use."""
    return ["", *(str(MONTHS_3[month]).title() for month in range(1, 13))]


def _day(day, months: list[str]) -> str:
    """``{{ day|date:"j M Y" }}`` without the date formatter's machinery (10 µs a date)."""
    return f"{day.day} {months[day.month]} {day.year}"


def _status(entry: RosterEntry, months: list[str]) -> str:
    html = text(entry.status_label)
    if entry.ready:
        html += " (initial training complete: ready to activate)"
    if entry.inactive_reason_label:
        until = entry.inactive_until
        html += f" ({text(entry.inactive_reason_label.lower())}"
        html += f", until {text(_day(until, months))})" if until else ")"
    return html


def _actions(entry: RosterEntry, name: str) -> str:
    html = ""
    if entry.ready:
        html += (
            f'<a class="button" href="{text(address_of("roster:activate", entry.pk))}">'
            f'Activate<span class="visually-hidden"> {name}</span></a> '
        )
    if entry.status != "removed":
        html += (
            f'<a href="{text(address_of("roster:set_status", entry.pk))}">'
            f'Change status<span class="visually-hidden"> of {name}</span></a>'
        )
    return html


def _row(entry: RosterEntry, zone, months: list[str]) -> str:
    name = text(entry.name)
    changed = entry.status_changed_at
    changed = text(_day(changed.astimezone(zone), months)) if changed else ""
    return (
        "\n            <tr>"
        f'\n              <th scope="row">{name}</th>'
        f"\n              <td>{text(entry.unit)}</td>"
        f"\n              <td>{_status(entry, months)}</td>"
        f"\n              <td>{changed}</td>"
        f"\n              <td>{text(entry.status_reason)}</td>"
        f"\n              <td>{_actions(entry, name)}</td>"
        "\n            </tr>\n          "
    )


def entry_rows_html(entries: Iterable[RosterEntry]) -> SafeString:
    """The rows of the roster's table, one per entry (a page of ``selectors.roster_page``)."""
    # The time zone and the months' names once a page, not once a row (asked of the request's
    # thread-local settings each time, they were a third of the rows' time).
    zone, months = timezone.get_current_timezone(), _months()
    return mark_safe("".join(_row(entry, zone, months) for entry in entries))  # noqa: S308


def roster_rows_html(profiles) -> SafeString:
    """The same rows for profiles (of ``selectors.roster_rows`` through ``roster_prepare``,
    each marked ``ready``)."""
    return entry_rows_html(roster_entry(profile) for profile in profiles)
