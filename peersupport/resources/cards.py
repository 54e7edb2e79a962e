"""The resource directory's cards and its "help now" lines, written in Python.

The directory shows every entry of a page grouped by category, each a card with its tags, the
start of its description and the ways to reach it; written as template loops with an
``{% include %}`` per card and another per way of reaching it, they were two thirds of the
page's time (issue 21). These functions write the same HTML with every value from the database
escaped as the templates do (``web.rows.text``) and each link from one reversed pattern
(``web.navigation.address_of``). ``templates/resources/_reach.html`` stays for the entry's own
page; ``tests/resources/test_cards.py`` compares both with the template loops they replace.
"""

from collections.abc import Iterable

from django.template.defaultfilters import truncatewords
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from .models import Resource

CATEGORY_LABELS = dict(Resource.Category.choices)
COST_LABELS = dict(Resource.Cost.choices)


def _website(resource: Resource, name: str) -> str:
    return (
        f'<li><a href="{text(resource.website)}" rel="noreferrer">Website'
        f'<span class="visually-hidden"> of {name}</span></a></li>'
    )


def reach_html(resource: Resource, *, compact: bool) -> str:
    """``resources/_reach.html``: the links a phone follows to reach ``resource``."""
    name = text(resource.name)
    parts = [f'<ul class="reach{" reach--compact" if compact else ""}">']
    if resource.phone:
        then = f", {text(resource.phone_then)}" if resource.phone_then else ""
        parts.append(
            f'<li><a href="{text(resource.phone_href)}">Call {text(resource.phone)}'
            f'<span class="visually-hidden"> ({name})</span></a>{then}</li>'
        )
    if resource.text_number:
        keyword = f"{text(resource.text_keyword)} to " if resource.text_keyword else ""
        parts.append(
            f'<li><a href="{text(resource.text_href)}">Text {keyword}'
            f'{text(resource.text_number)}<span class="visually-hidden"> ({name})</span></a></li>'
        )
    if not compact:
        if resource.email:
            email = text(resource.email)
            parts.append(f'<li><a href="mailto:{email}">{email}</a></li>')
        if resource.website:
            parts.append(_website(resource, name))
    elif not resource.phone and not resource.text_number and resource.website:
        parts.append(_website(resource, name))
    parts.append("</ul>")
    return "\n".join(parts)


def _card(resource: Resource, detail: str) -> str:
    pk = int(resource.pk)
    tags = [
        '<span class="tag tag--internal">Department service</span>'
        if resource.is_internal
        else '<span class="tag">Outside service</span>'
    ]
    if resource.available_24_7:
        tags.append('<span class="tag tag--always">Open 24/7</span>')
    tags.append(f'<span class="tag">{text(COST_LABELS.get(resource.cost, resource.cost))}</span>')
    hours = (
        f'\n<p class="hint">Hours: {text(resource.hours)}</p>'
        if resource.hours and not resource.available_24_7
        else ""
    )
    return (
        f'<article class="resource-card" aria-labelledby="resource-{pk}">'
        f'\n<h3 id="resource-{pk}"><a href="{address_of(detail, pk)}">{text(resource.name)}</a>'
        f'</h3>\n<p class="resource-card__tags">\n{chr(10).join(tags)}\n</p>'
        f"\n<p>{text(truncatewords(resource.description, 40))}</p>"
        f"\n{reach_html(resource, compact=False)}{hours}\n</article>"
    )


def resource_groups_html(resources: Iterable[Resource], *, public_pages: bool) -> SafeString:
    """A page of the directory (in its order: by category, then name), each category a
    section with its heading and its cards; "" for none."""
    detail = "resources:public_detail" if public_pages else "resources:detail"
    groups: list[tuple[str, list[str]]] = []
    for resource in resources:
        label = CATEGORY_LABELS.get(resource.category, resource.category)
        if not groups or groups[-1][0] != label:  # as {% regroup %}: runs of one category
            groups.append((label, []))
        groups[-1][1].append(f"<li>{_card(resource, detail)}</li>")
    sections = [
        f'<section class="resource-group" aria-labelledby="group-{number}">'
        f'\n<h2 id="group-{number}">{text(label)}</h2>\n<ul class="resource-list">\n'
        + "\n".join(cards)
        + "\n</ul>\n</section>"
        for number, (label, cards) in enumerate(groups, start=1)
    ]
    return mark_safe("\n".join(sections))  # noqa: S308 - every value escaped by text()


def help_now_html(resources: Iterable[Resource]) -> SafeString:
    """The "Need help right now?" box's lines: each resource's name and how to reach it."""
    return mark_safe(  # noqa: S308 - every value escaped by text()
        "\n".join(
            f"<li>\n<strong>{text(resource.name)}</strong>\n"
            f"{reach_html(resource, compact=True)}\n</li>"
            for resource in resources
        )
    )
