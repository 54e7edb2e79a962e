"""The rows of the kernel's long lists, written in Python: the units page's tree, the roles
page's grants and the audit log's entries.

All the department's units are on one page (161 in the demo department), the roles page shows
fifty grants; written as template loops, each unit cost about 50 µs (a link, the kind's label,
the supervisor) and each grant 150 µs (two dates, the reason, a revoke form), two thirds and
half of the pages' time. These functions write the same HTML with f-strings in which every value
from the database goes through ``text``, the escaping Django's templates apply, and each link
comes from one reversed pattern (``navigation.address_of``). ``tests/web/test_rows.py`` compares
them with the template loops they replace, hostile names and all.
"""

from datetime import datetime
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from peersupport.accounts.models import RoleGrant, Unit
from peersupport.audit.models import AuditEvent

from .navigation import address_of


def text(value) -> str:
    """``value`` as text safe between tags and in a quoted attribute (Django's ``escape``)."""
    return escape(str(value), quote=True)


def _line(depth: int, unit: Unit) -> str:
    supervisor = unit.supervisor
    who = (
        f"{text(supervisor.rank_title)} {text(supervisor.full_name)}"
        if supervisor
        else "no supervisor"
    )
    return (
        f'\n      <li class="tree__item" data-depth="{int(depth)}">'
        f'\n        <a href="{text(address_of("accounts:unit_edit", unit.pk))}">'
        f"{text(unit.name)}</a>"
        f'\n        <span class="hint">{text(unit.get_kind_display())} · {who}</span>'
        "\n      </li>\n    "
    )


def unit_tree_html(rows: list[tuple[int, Unit]]) -> SafeString:
    """The lines of ``selectors.unit_tree_page``, each a ``<li>`` of ``<ul class="tree">``."""
    return mark_safe("".join(_line(depth, unit) for depth, unit in rows))  # noqa: S308 (escaped)


def _moment(moment: datetime) -> str:
    """``{{ moment|date:"Y-m-d H:i:s" }}``: the time in the current time zone."""
    at = timezone.localtime(moment)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:{at.second:02d}"
    )


def _day(moment: datetime | None) -> str:
    """``{{ moment|date:"Y-m-d" }}``: the day in the current time zone, or nothing."""
    if not moment:
        return ""
    day = timezone.localtime(moment)
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def _status(grant: RoleGrant, role: str, user: str, csrf_input: str) -> str:
    if grant.is_current:
        what = f"{role} from {user}"
        return (
            '\n              <form method="post" '
            f'action="{text(address_of("accounts:role_revoke", grant.pk))}" class="inline-form">'
            f"\n                {csrf_input}"
            f'\n                <label for="reason-{grant.pk}">Reason to revoke'
            f'<span class="visually-hidden"> {what}</span></label>'
            f'\n                <input id="reason-{grant.pk}" name="reason" required'
            ' maxlength="300">'
            '\n                <button type="submit" class="button button--danger">Revoke'
            f'<span class="visually-hidden"> {what}</span></button>'
            "\n              </form>\n            "
        )
    if grant.revoked_at:
        reason = f": {text(grant.revoke_reason)}" if grant.revoke_reason else ""
        return f"Revoked {_day(grant.revoked_at)}{reason}\n            "
    return "Ended"


def _grant_row(grant: RoleGrant, csrf_input: str) -> str:
    user, role = text(grant.user), text(grant.get_role_display())
    granted_by = text(grant.granted_by) if grant.granted_by else "the system"
    return (
        "\n        <tr>"
        f'\n          <td>{user}<br><span class="hint">{text(grant.user.email)}</span></td>'
        f"\n          <td>{role}</td>"
        f"\n          <td>{_day(grant.granted_at)} by {granted_by}<br>"
        f'<span class="hint">{text(grant.reason)}</span></td>'
        f"\n          <td>{_day(grant.expires_at) or '—'}</td>"
        f"\n          <td>\n            {_status(grant, role, user, csrf_input)}"
        "\n          </td>\n        </tr>\n      "
    )


def grant_rows_html(grants, csrf_token: str) -> SafeString:
    """The rows of the roles page's table, one per grant (a page of
    ``selectors.role_grants_listed``), each current one with its revoke form carrying
    ``csrf_token`` (``get_token``)."""
    csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{text(csrf_token)}">'
    return mark_safe("".join(_grant_row(grant, csrf_input) for grant in grants))  # noqa: S308


def _event_row(event: AuditEvent) -> str:
    about = f"{text(event.target_type)} {text(event.target_id)}" if event.target_type else ""
    return (
        "\n          <tr>"
        f"\n            <td>{_moment(event.at)}</td>"
        f"\n            <td>{text(event.actor_label or 'system')}</td>"
        f"\n            <td>{text(event.action_label)}</td>"
        f"\n            <td>{text(event.get_outcome_display())}</td>"
        f"\n            <td>{about}</td>"
        "\n          </tr>\n        "
    )


def audit_event_rows_html(events) -> SafeString:
    """The rows of the audit log's table of entries with their time (a page of
    ``audit.selectors.audit_events``): fifty rows of five cells cost the page as much as its
    queries through the template."""
    if not events:
        return mark_safe('\n          <tr><td colspan="5">No entries match.</td></tr>\n        ')
    return mark_safe("".join(_event_row(event) for event in events))  # noqa: S308 (escaped)
