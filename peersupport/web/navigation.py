"""What each person sees in the navigation and on their home page, from their roles.

One table: a link appears only for the roles its view allows, so the navigation never offers a
page that would answer 403.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import SIGNED_IN


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    roles: frozenset[str]
    description: str = ""
    # The roles whose daily work this page is: in the bar for them, under "More" for others
    # who may open it (nav_groups).
    primary: frozenset[str] = frozenset()
    # The person's own settings: under "Account".
    account: bool = False

    def visible_to(self, roles: frozenset[str]) -> bool:
        return SIGNED_IN in self.roles or bool(self.roles & roles)

    @property
    def url(self) -> str:
        return address(self.url_name)


def address(url_name: str) -> str:
    """The address of a URL name without arguments, reversed once per process (``_reverse``)."""
    return _reverse(url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@cache
def _reverse(url_name: str, prefix: str, urlconf) -> str:
    """A link's address, worked out once per process and address scheme: every page shows the
    navigation, and reversing its links twice each on every request was a tenth of a signed-in
    page's time (bench/README.md)."""
    return reverse(url_name, urlconf=urlconf)


def address_of(url_name: str, pk: int) -> str:
    """The address of a URL name whose one argument is a whole-number id (a row's own page):
    the pattern is reversed once per process and the id put in its place. A list of 161 units,
    each with its link, spent a quarter of its time reversing the same pattern."""
    before, after = _id_pattern(
        url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    )
    return f"{before}{int(pk)}{after}"


_MARK = 918273645546372819  # an id in no address, to find where an id goes


@cache
def _id_pattern(url_name: str, prefix: str, urlconf) -> tuple[str, str]:
    """What comes before and after the id in ``url_name``'s address (see ``address_of``)."""
    before, _mark, after = reverse(url_name, args=[_MARK], urlconf=urlconf).partition(str(_MARK))
    if not _mark or str(_MARK) in after:
        raise ValueError(f"{url_name} does not take one id")
    return before, after


NAV = [
    Link("Home", "web:home", frozenset({SIGNED_IN}), primary=frozenset({SIGNED_IN})),
    Link(
        "Resources",
        "resources:list",
        frozenset({SIGNED_IN}),
        primary=frozenset({Role.EMPLOYEE, Role.SYSADMIN}),
    ),
    Link(
        "Supporters",
        "roster:directory",
        frozenset({Role.EMPLOYEE}),
        primary=frozenset({Role.EMPLOYEE}),
    ),
    Link(
        "Ask for support",
        "support:ask",
        frozenset({Role.EMPLOYEE}),
        primary=frozenset({Role.EMPLOYEE}),
    ),
    Link(
        "Inbox",
        "support:inbox",
        frozenset({Role.PEER_SUPPORTER}),
        primary=frozenset({Role.PEER_SUPPORTER}),
    ),
    Link(
        "My availability",
        "roster:mine",
        frozenset({Role.PEER_SUPPORTER}),
        primary=frozenset({Role.PEER_SUPPORTER}),
    ),
    Link(
        "Training",
        "training:mine",
        frozenset({Role.PEER_SUPPORTER}),
        primary=frozenset({Role.PEER_SUPPORTER}),
    ),
    Link(
        "My outreach",
        "outreach:mine",
        frozenset({Role.PEER_SUPPORTER}),
        primary=frozenset({Role.PEER_SUPPORTER}),
    ),
    # The CISM team's members: peer supporters, and the BHS manager or an advocacy supervisor
    # as its clinician (peersupport/cism).
    Link(
        "My call-outs",
        "cism:mine",
        frozenset({Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR}),
    ),
    Link(
        "Support overview",
        "support:overview",
        frozenset({Role.COORDINATOR}),
        primary=frozenset({Role.COORDINATOR}),
    ),
    Link(
        "Outreach",
        "outreach:board",
        frozenset({Role.COORDINATOR, Role.BHS_MANAGER}),
        primary=frozenset({Role.COORDINATOR}),
    ),
    Link("CISM team", "cism:board", frozenset({Role.COORDINATOR, Role.BHS_MANAGER})),
    Link(
        "Training compliance",
        "training:board",
        frozenset({Role.COORDINATOR, Role.BHS_MANAGER}),
        primary=frozenset({Role.COORDINATOR}),
    ),
    Link(
        "Selection board",
        "selection:board",
        frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF}),
        primary=frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF}),
    ),
    Link(
        "Reports",
        "reports:dashboard",
        frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF, Role.COMMITTEE_MEMBER}),
        primary=frozenset({Role.COORDINATOR, Role.CHIEF, Role.COMMITTEE_MEMBER}),
    ),
    Link(
        "Selection",
        "selection:tasks",
        frozenset({Role.PANELIST, Role.SUPERVISOR, Role.CHIEF}),
        primary=frozenset({Role.PANELIST, Role.SUPERVISOR, Role.CHIEF}),
    ),
    Link(
        "Policy",
        "governance:list",
        frozenset({Role.BHS_MANAGER, Role.CHIEF, Role.COORDINATOR}),
        primary=frozenset({Role.BHS_MANAGER, Role.CHIEF}),
    ),
    Link("Program policy", "governance:current", frozenset({Role.PEER_SUPPORTER})),
    Link(
        "Committee",
        "committee:current",
        frozenset({Role.PEER_SUPPORTER, Role.COMMITTEE_MEMBER}),
        primary=frozenset({Role.COMMITTEE_MEMBER}),
    ),
    Link(
        "Escalations",
        "confidentiality:escalation_list",
        frozenset({Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR}),
        primary=frozenset({Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR}),
    ),
    Link(
        "People",
        "accounts:employee_list",
        frozenset({Role.SYSADMIN}),
        primary=frozenset({Role.SYSADMIN}),
    ),
    Link(
        "Units",
        "accounts:unit_list",
        frozenset({Role.SYSADMIN}),
        primary=frozenset({Role.SYSADMIN}),
    ),
    Link(
        "Roles",
        "accounts:role_list",
        frozenset({Role.SYSADMIN, Role.BHS_MANAGER}),
        primary=frozenset({Role.SYSADMIN, Role.BHS_MANAGER}),
    ),
    Link(
        "Webhooks",
        "web:webhook_list",
        frozenset({Role.SYSADMIN}),
        primary=frozenset({Role.SYSADMIN}),
    ),
    Link(
        "Integration tokens",
        "integrations:token_list",
        frozenset({Role.SYSADMIN}),
        primary=frozenset({Role.SYSADMIN}),
    ),
    Link("Releases and disclosures", "releases:accounting", frozenset({Role.BHS_MANAGER})),
    Link(
        "Audit log",
        "audit:event_list",
        frozenset({Role.BHS_MANAGER}),
        primary=frozenset({Role.BHS_MANAGER}),
    ),
    Link("Profile", "accounts:profile", frozenset({SIGNED_IN}), account=True),
    Link("Security", "mfa_index", frozenset({SIGNED_IN}), account=True),
    Link("Calendar feeds", "calendars:mine", frozenset({Role.PEER_SUPPORTER}), account=True),
]

# What each role is for, in the words of PROGRAM.md, and the pages it uses.
ROLE_HOME = {
    Role.EMPLOYEE: (
        "As a member of the department you can reach a peer supporter in any work group, "
        "in confidence. Nobody in your chain of command can see that you asked.",
        [
            "roster:directory",
            "support:ask",
            "support:my_requests",
            "selection:nominate",
            "selection:mine",
            "committee:current",
            "resources:list",
            "accounts:profile",
        ],
    ),
    Role.PEER_SUPPORTER: (
        "You are an appointed peer supporter. Keep your availability, on-call shifts and "
        "directory entry current so that colleagues can find the right person.",
        [
            "support:inbox",
            "roster:mine",
            "support:contact_new",
            "training:mine",
            "outreach:mine",
            "releases:mine",
            "governance:current",
            "resources:list",
        ],
    ),
    Role.COORDINATOR: (
        "You run the program day to day: the roster, training, program reports and the resource "
        "directory. You never see who sought help.",
        [
            "support:overview",
            "outreach:board",
            "training:board",
            "training:sessions",
            "selection:board",
            "selection:rounds",
            "roster:manage",
            "committee:manage",
            "governance:list",
            "confidentiality:duty",
            "resources:list",
        ],
    ),
    Role.BHS_MANAGER: (
        "You own the program's policy, recommend candidates to the Chief and receive "
        "confidentiality escalations. You grant the program's roles and review the audit log.",
        [
            "confidentiality:escalation_list",
            "confidentiality:duty",
            "outreach:board",
            "selection:board",
            "training:board",
            "roster:manage",
            "governance:list",
            "governance:categories",
            "accounts:role_list",
            "accounts:role_requests",
            "audit:event_list",
        ],
    ),
    Role.ADVOCACY_SUPERVISOR: (
        "You receive confidentiality escalations and referrals to the advocacy service.",
        ["confidentiality:escalation_list", "confidentiality:duty", "resources:list"],
    ),
    Role.CHIEF: (
        "You give final approval of appointments and of program policy, and approve grants "
        "of roles that read confidential content.",
        [
            "reports:dashboard",
            "selection:tasks",
            "selection:board",
            "roster:manage",
            "governance:list",
            "accounts:role_requests",
        ],
    ),
    Role.SUPERVISOR: (
        "You supervise a unit. You endorse or decline a candidate's request to serve as a "
        "peer supporter when it reaches your level, and see nothing else of the program.",
        ["selection:tasks"],
    ),
    Role.PANELIST: ("You sit on an interview panel and score candidates.", ["selection:tasks"]),
    Role.COMMITTEE_MEMBER: (
        "You sit on the advisory committee and guide the program from its program-level "
        "reports, which never identify anyone.",
        ["reports:dashboard", "committee:current"],
    ),
    Role.SYSADMIN: (
        "You run the service: people, units, roles and the administration site. By design you "
        "cannot read anything confidential.",
        [
            "accounts:employee_list",
            "accounts:unit_list",
            "accounts:role_list",
            "web:webhook_list",
            "integrations:token_list",
            "admin:index",
        ],
    ),
}

_LINKS = {link.url_name: link for link in NAV} | {
    "admin:index": Link("Administration site", "admin:index", frozenset({Role.SYSADMIN})),
    "support:contact_new": Link(
        "Log a contact", "support:contact_new", frozenset({Role.PEER_SUPPORTER})
    ),
    "confidentiality:duty": Link(
        "On-duty roster for escalations",
        "confidentiality:duty",
        frozenset({Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR, Role.COORDINATOR}),
    ),
    "governance:categories": Link(
        "Exception categories",
        "governance:categories",
        frozenset({Role.BHS_MANAGER, Role.COORDINATOR, Role.CHIEF}),
    ),
    "support:my_requests": Link(
        "My requests for support", "support:my_requests", frozenset({Role.EMPLOYEE})
    ),
    "releases:mine": Link(
        "Releases of information", "releases:mine", frozenset({Role.PEER_SUPPORTER})
    ),
    "selection:nominate": Link(
        "Nominate a colleague as a peer supporter",
        "selection:nominate",
        frozenset({Role.EMPLOYEE}),
    ),
    "selection:mine": Link("Your request to serve", "selection:mine", frozenset({Role.EMPLOYEE})),
    "selection:rounds": Link(
        "Nomination rounds", "selection:rounds", frozenset({Role.COORDINATOR})
    ),
    "roster:manage": Link(
        "Supporter roster",
        "roster:manage",
        frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF}),
    ),
    "committee:current": Link(
        "The advisory committee", "committee:current", frozenset({SIGNED_IN})
    ),
    "committee:manage": Link(
        "Committee and elections", "committee:manage", frozenset({Role.COORDINATOR})
    ),
    "training:sessions": Link(
        "Training sessions",
        "training:sessions",
        frozenset({Role.PEER_SUPPORTER, Role.COORDINATOR, Role.BHS_MANAGER}),
    ),
    "accounts:role_requests": Link(
        "Roles waiting for your approval",
        "accounts:role_requests",
        frozenset({Role.BHS_MANAGER, Role.CHIEF}),
    ),
}


def nav_links(user) -> list[Link]:
    if not user.is_authenticated:
        return []
    return list(_links_for(user.roles))


@cache
def _links_for(roles: frozenset[str]) -> tuple[Link, ...]:
    return tuple(link for link in NAV if link.visible_to(roles))


# The bar holds at most this many links; with "More" and "Account" no role sees more than
# eight entries, however many roles a person holds.
MAX_IN_BAR = 6


def nav_groups(user) -> tuple[list[Link], list[Link], list[Link]]:
    """(the bar, "More", "Account"): every page ``user`` may open, each once, in NAV's order.
    The bar holds the pages of the person's program work; the employee's own pages join them
    when all of them fit (a supervisor keeps "Ask for support" in view, a BHS manager finds it
    under "More")."""
    if not user.is_authenticated:
        return [], [], []
    return tuple(list(group) for group in _groups_for(user.roles))


@cache
def _groups_for(roles: frozenset[str]) -> tuple[tuple[Link, ...], ...]:
    """nav_groups for a set of roles: the same for everyone holding it, so worked out once per
    process and role set (a department has a handful of role sets)."""
    links = _links_for(roles)
    work = roles - {Role.EMPLOYEE} or roles
    mine = [link for link in links if not link.account]
    primary = {link.url_name for link in mine if SIGNED_IN in link.primary or link.primary & work}
    own = {link.url_name for link in mine if link.primary & roles} - primary
    if len(primary) + len(own) <= MAX_IN_BAR:
        primary |= own
    bar = [link for link in mine if link.url_name in primary]
    more = [link for link in mine if link.url_name not in primary]
    account = [link for link in links if link.account]
    return tuple(bar[:MAX_IN_BAR]), tuple(bar[MAX_IN_BAR:] + more), tuple(account)


def _items(links, path: str) -> SafeString:
    return format_html_join(
        "\n",
        '<li><a href="{}"{}>{}</a></li>',
        (
            (url, mark_safe(' aria-current="page"') if url == path else "", link.label)
            for link in links
            for url in (link.url,)
        ),
    )


def _group(label: str, links, path: str) -> SafeString:
    if not links:
        return mark_safe("")
    return format_html(
        '<li class="nav__group"><details><summary>{}{}</summary>'
        '<ul class="nav__menu">{}</ul></details></li>',
        label,
        # Say in the closed menu that the page shown is in it.
        mark_safe(' <span class="visually-hidden">(current page inside)</span>')
        if any(link.url == path for link in links)
        else "",
        _items(links, path),
    )


def nav_items(user, path: str) -> SafeString:
    """The navigation's list items, the current page marked for screen readers: the bar, then
    "More" and "Account" as disclosure menus (details/summary: keyboard and screen readers
    work without a script). Built here rather than by a template loop, and once per process
    for each role set, address scheme and page of the navigation (any other page shows the
    same HTML as no page): every signed-in page shows it (bench/README.md, issue 21)."""
    scheme = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    roles = user.roles
    current = path if path in _nav_urls(roles, *scheme) else ""
    return _nav_html(roles, current, *scheme)


@cache
def _nav_urls(roles: frozenset[str], prefix: str, urlconf) -> frozenset[str]:
    return frozenset(link.url for link in _links_for(roles))


@cache
def _nav_html(roles: frozenset[str], current: str, prefix: str, urlconf) -> SafeString:
    """The HTML for ``roles`` with ``current`` (one of their links' addresses, or "") marked.
    ``prefix`` and ``urlconf`` are the address scheme the links' URLs were reversed under."""
    bar, more, account = _groups_for(roles)
    return format_html(
        "{}\n{}\n{}",
        _items(bar, current),
        _group("More", more, current),
        _group("Account", account, current),
    )


def home_sections(user) -> list[dict]:
    """One card per role held, the roles of the person's program work first and the card every
    employee has last: a BHS manager's home starts with the BHS manager's work."""
    return [dict(section) for section in _sections_for(user.roles)]


@cache
def _sections_for(roles: frozenset[str]) -> tuple[dict, ...]:
    sections = []
    for role in sorted(roles & ROLE_HOME.keys(), key=_card_order):
        text, url_names = ROLE_HOME[role]
        links = tuple(_LINKS[name] for name in url_names if _LINKS[name].visible_to(roles))
        sections.append({"role": Role(role), "text": text, "links": links})
    return tuple(sections)


def home_cards(user) -> SafeString:
    """The home page's cards (``home_sections``) as HTML, built once per process for each role
    set and address scheme, as the navigation is: they are the same for everyone holding the
    same roles, and a template loop over their links was a third of the home page's time."""
    return _cards_html(user.roles, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@cache
def _cards_html(roles: frozenset[str], prefix: str, urlconf) -> SafeString:
    return format_html_join(
        "\n",
        '<section class="card" aria-labelledby="role-{}">\n'
        '  <h2 id="role-{}">{}</h2>\n  <p>{}</p>\n{}</section>',
        (
            (
                section["role"],
                section["role"],
                section["role"].label,
                section["text"],
                format_html(
                    '  <ul class="links">{}</ul>\n',
                    format_html_join(
                        "", '<li><a href="{}">{}</a></li>', ((x.url, x.label) for x in links)
                    ),
                )
                if (links := section["links"])
                else "",
            )
            for section in _sections_for(roles)
        ),
    )


_ROLE_ORDER = {role: i for i, role in enumerate(Role)}


def _card_order(role: str) -> tuple[bool, int]:
    return (role == Role.EMPLOYEE, _ROLE_ORDER[role])
