"""The BHS manager's accounting (``releases:accounting``), its releases written in Python.

Twenty-five releases a page, each with its status, expiry, lists of items and recipients and
a table of its disclosures: written as a template loop with three includes per release, each
release cost about 0.3 ms, most of the page's time. ``accounting_rows_html`` writes the same
HTML with every value escaped as the templates do (``web.rows.text``) and each link from one
reversed pattern (``web.navigation.address_of``). ``tests/releases/test_rows.py`` compares it
with the template loop it replaces, hostile text and all.

The person's name is written only where the selectors allow it (``shows_person``); nothing
here decides who may see what.
"""

from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from .models import Disclosure, Release, ReleaseStatus


def _day(value, fmt: str) -> str:
    """``{{ value|date:fmt }}`` for a date (nothing for none)."""
    return text(date_format(value, fmt)) if value else ""


def _expiry(release: Release) -> str:
    """``releases/_expiry.html``."""
    on = _day(release.expires_on, "j F Y")
    if release.expires_on and release.expiry_event:
        return f"on {on} or when {text(release.expiry_event)}, whichever comes first\n"
    if release.expires_on:
        return f"on {on}\n"
    return f"when {text(release.expiry_event)}\n"


def _items(values) -> str:
    return "".join(f"<li>{text(value)}</li>" for value in values)


def _disclosure(disclosure: Disclosure) -> str:
    role = " (BHS manager)" if disclosure.by_role == "bhs_manager" else " (peer supporter)"
    return (
        "\n          <tr>"
        f"\n            <td>{_day(disclosure.disclosed_on, 'j M Y')}</td>"
        f"\n            <td>{text(disclosure.recipient)}</td>"
        f'\n            <td><ul class="plain-list">{_items(disclosure.items)}</ul></td>'
        f"\n            <td>{text(disclosure.purpose)}</td>"
        f"\n            <td>{text(disclosure.by)}{role}</td>"
        "\n          </tr>\n        "
    )


def _disclosures(release: Release) -> str:
    """``releases/_disclosures.html`` as the accounting includes it (not for the person)."""
    disclosures = list(release.disclosures.all())
    if not disclosures:
        return "\n  <p>Nothing has been disclosed under this release.</p>\n\n"
    return (
        '\n  <div class="table-wrap" role="region" aria-label="Disclosures, table" tabindex="0">'
        "\n    <table>"
        '\n      <caption class="visually-hidden">'
        f"Disclosures under release {text(release.number)}</caption>"
        "\n      <thead>"
        '\n        <tr><th scope="col">Date</th><th scope="col">To</th><th scope="col">What</th>'
        '<th scope="col">Purpose</th><th scope="col">By</th></tr>'
        "\n      </thead>"
        "\n      <tbody>\n        "
        + "".join(_disclosure(d) for d in disclosures)
        + "\n      </tbody>\n    </table>\n  </div>\n\n"
    )


def _release(release: Release, shows_person: bool) -> str:
    status = release.status  # worked out from today's date: once
    status = (
        f'<span class="release-status release-status--{text(status)}">'
        f"{text(ReleaseStatus(status).label)}</span>\n"
    )
    person = text(release.person_name) if shows_person else "Not shown to you"
    return (
        f'\n    <section class="card" aria-labelledby="release-{release.pk}">'
        f'\n      <h2 id="release-{release.pk}">'
        f'<a href="{text(address_of("releases:detail", release.pk))}">'
        f"Release {text(release.number)}</a> {status}</h2>"
        '\n      <dl class="facts facts--compact">'
        f"\n        <dt>Person</dt><dd>{person}</dd>"
        f"\n        <dt>Held by</dt><dd>{text(release.supporter)}</dd>"
        f"\n        <dt>Signed</dt><dd>{_day(release.signed_on, 'j F Y')}</dd>"
        f"\n        <dt>Expires</dt><dd>{_expiry(release)}</dd>"
        '\n        <dt>Information</dt><dd><ul class="plain-list">'
        f"{_items(release.items)}</ul></dd>"
        '\n        <dt>Recipients</dt><dd><ul class="plain-list">'
        f"{_items(release.recipients)}</ul></dd>"
        f"\n        <dt>Purpose</dt><dd>{text(release.purpose)}</dd>"
        "\n      </dl>"
        "\n      <h3>Disclosures</h3>"
        f"\n      {_disclosures(release)}"
        "\n    </section>\n  "
    )


def accounting_rows_html(rows) -> SafeString:
    """The accounting's releases, one ``<section>`` each: ``rows`` are pairs of a release (a
    page of ``selectors.accounting``) and whether the viewer may see the person's name
    (``selectors.may_see_person``)."""
    return mark_safe("".join(_release(r, shows) for r, shows in rows))  # noqa: S308 (escaped)
