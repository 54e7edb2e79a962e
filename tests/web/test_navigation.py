"""The navigation: every page a person may open, each once, and never more than eight entries
in the bar, whatever roles they hold."""

import itertools
import re

import pytest
from django.urls import NoReverseMatch, reverse

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import SIGNED_IN
from peersupport.web.navigation import NAV, address_of, nav_groups, nav_links

from ..conftest import PERSONAS

pytestmark = pytest.mark.django_db


class Someone:
    is_authenticated = True

    def __init__(self, roles):
        self.roles = frozenset(roles)


STAFF = [r for r in Role if r != Role.EMPLOYEE]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_no_combination_of_roles_shows_more_than_eight_entries(count):
    for combo in itertools.combinations(STAFF, count):
        for roles in ({*combo}, {*combo, Role.EMPLOYEE}):
            person = Someone(roles)
            bar, more, account = nav_groups(person)
            entries = len(bar) + bool(more) + bool(account)
            assert entries <= 8, (roles, [link.label for link in bar])
            # Every page the person may open is in exactly one place.
            assert sorted(link.url_name for link in bar + more + account) == sorted(
                link.url_name for link in nav_links(person)
            )


def test_a_bhs_manager_sees_their_work_in_the_bar_and_the_rest_under_more():
    bar, more, account = nav_groups(Someone({Role.BHS_MANAGER, Role.EMPLOYEE}))
    assert [link.label for link in bar] == [
        "Home",
        "Selection board",
        "Policy",
        "Escalations",
        "Roles",
        "Audit log",
    ]
    assert {"Ask for support", "Supporters", "Releases and disclosures"} <= {
        link.label for link in more
    }
    assert [link.label for link in account] == ["Profile", "Security"]


def test_an_employee_has_no_more_menu():
    bar, more, _ = nav_groups(Someone({Role.EMPLOYEE}))
    assert [link.label for link in bar] == ["Home", "Resources", "Supporters", "Ask for support"]
    assert more == []


def test_every_link_is_primary_for_a_role_that_may_open_it():
    for link in NAV:
        assert (
            link.account
            or not link.primary
            or SIGNED_IN in link.roles
            or (link.primary <= link.roles)
        ), link.label


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_the_page_marks_the_current_page_inside_a_closed_menu(persona, client_for):
    html = client_for(persona).get(reverse("accounts:profile")).content.decode()
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', html, re.S).group(0)
    assert nav.count("<details>") <= 2
    assert 'aria-current="page">Profile<' in nav
    assert "(current page inside)" in nav


def test_the_navigation_is_built_once_per_role_set_and_marks_the_current_page():
    """nav_items is cached per role set (issue 21); the page shown is still marked, and only it."""
    from django.urls import set_script_prefix

    from peersupport.web.navigation import nav_items

    supporter, coordinator = Someone({Role.PEER_SUPPORTER}), Someone({Role.COORDINATOR})
    inbox, home = reverse("support:inbox"), reverse("web:home")
    assert nav_items(supporter, inbox) is nav_items(Someone({Role.PEER_SUPPORTER}), inbox)
    html = str(nav_items(supporter, inbox))
    assert html.count('aria-current="page"') == 1
    assert f'<a href="{inbox}" aria-current="page">Inbox</a>' in html
    assert 'aria-current="page"' not in str(nav_items(supporter, "/somewhere/else/"))
    assert str(nav_items(supporter, "/somewhere/else/")) == str(nav_items(supporter, "/x/"))
    assert f'<a href="{home}" aria-current="page">' in str(nav_items(coordinator, home))
    assert "Inbox" not in str(nav_items(coordinator, home))
    # Served under another prefix, the links follow it.
    try:
        set_script_prefix("/program/")
        assert 'href="/program/"' in str(nav_items(supporter, "/program/"))
    finally:
        set_script_prefix("/")
    assert 'href="/program/' not in str(nav_items(supporter, home))


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_home_page_shows_a_card_per_role_with_the_links_the_person_may_open(
    persona, personas, client_for
):
    """The cards are built once per role set (home_cards); each role held has its card, headed
    by the role and labelled by that heading, with exactly that role's links the person may
    open, each answering something other than 403."""
    from peersupport.web.navigation import home_sections

    client = client_for(persona)
    html = client.get(reverse("web:home")).content.decode()
    sections = home_sections(personas[persona])
    cards = re.findall(
        r'<section class="card" aria-labelledby="role-([^"]+)">(.*?)</section>', html, re.S
    )
    assert [role for role, _ in cards] == [str(section["role"]) for section in sections]
    for (role, card), section in zip(cards, sections, strict=True):
        assert f'<h2 id="role-{role}">{section["role"].label}</h2>' in card
        links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', card)
        assert links == [(link.url, str(link.label)) for link in section["links"]]
        for url, _ in links:
            assert client.get(url).status_code != 403, url


@pytest.mark.parametrize(
    "name", ["accounts:unit_edit", "accounts:role_revoke", "roster:set_status", "roster:activate"]
)
@pytest.mark.parametrize("pk", [1, 42, 2**63 - 1])
def test_a_rows_address_is_what_reverse_gives(name, pk):
    assert address_of(name, pk) == reverse(name, args=[pk])


def test_an_address_without_one_id_is_refused_as_by_reverse():
    with pytest.raises(NoReverseMatch):
        address_of("web:home", 1)
