"""The units page's tree, written in Python.

All the department's units are on one page (161 in the demo department); written as a
template loop, each line cost about 50 µs (a link, the kind's label, the supervisor), two thirds
of the page's time. ``unit_tree_html`` writes the same lines with f-strings in which every value
from the database goes through ``_text``, the escaping Django's templates apply, and each link
comes from one reversed pattern (``navigation.address_of``).
``tests/web/test_unit_tree.py`` compares it with the template it replaces, hostile names and all.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from peersupport.accounts.models import Unit

from .navigation import address_of


def _text(value) -> str:
    """``value`` as text safe between tags and in a quoted attribute (Django's ``escape``)."""
    return escape(str(value), quote=True)


def _line(depth: int, unit: Unit) -> str:
    supervisor = unit.supervisor
    who = (
        f"{_text(supervisor.rank_title)} {_text(supervisor.full_name)}"
        if supervisor
        else "no supervisor"
    )
    return (
        f'\n      <li class="tree__item" data-depth="{int(depth)}">'
        f'\n        <a href="{_text(address_of("accounts:unit_edit", unit.pk))}">'
        f"{_text(unit.name)}</a>"
        f'\n        <span class="hint">{_text(unit.get_kind_display())} · {who}</span>'
        "\n      </li>\n    "
    )


def unit_tree_html(rows: list[tuple[int, Unit]]) -> SafeString:
    """The lines of ``selectors.unit_tree_rows``, each a ``<li>`` of ``<ul class="tree">``."""
    return mark_safe("".join(_line(depth, unit) for depth, unit in rows))  # noqa: S308 (escaped)
