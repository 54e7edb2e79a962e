"""Lists that grow with the program cost the same however long they get.

Each list page (the directory, the roster and its filters, the roles page and its filters,
the supporter's inbox and the contact form) is requested with the persona department and
again after adding many supporters, role grants, contacts and follow-ups: the number of
queries must not change, and the roles page's HTML stays one page long.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Employee, Role, RoleGrant, Unit, User
from peersupport.governance.notice import current_notice
from peersupport.roster.models import SupporterProfile
from peersupport.roster.views import PAGE_SIZE as DIRECTORY_PAGE
from peersupport.support.models import Contact, FollowUp
from peersupport.support.selectors import OVERDUE_SHOWN
from peersupport.support.views_supporter import INBOX_FOLLOWUPS
from peersupport.web.pagination import PER_PAGE

from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db

PAGES = [
    ("employee", "roster:directory", ""),
    ("employee", "roster:directory", "?q=a&available_now=on"),
    ("coordinator", "roster:manage", ""),
    ("coordinator", "roster:manage", "?status=active&page=2"),
    ("coordinator", "roster:manage", "?concern=off"),
    ("sysadmin", "accounts:role_list", ""),
    ("sysadmin", "accounts:role_list", "?show=all&role=peer_supporter&page=2"),
    ("supporter", "support:inbox", ""),
    ("supporter", "support:contact_new", ""),
    ("coordinator", "support:overview", ""),
    ("sysadmin", "accounts:unit_list", ""),
    ("sysadmin", "accounts:unit_list", "?page=2"),
]


def _grow(dept, personas, *, supporters: int, contacts: int) -> None:
    """More of everything the pages list: active supporters (each with a grant, some switched
    off long ago, each with an overdue follow-up), contacts and open follow-ups of the
    supporter persona, and units (one per supporter, under the precinct, each supervised)."""
    first = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"grow{i}@pd.example.org") for i in range(first, first + supporters)
    )
    Employee.objects.bulk_create(
        Employee(
            agency_id=dept.hq.agency_id,
            employee_number=f"GR{first + i:06d}",
            first_name=f"First{i}",
            last_name=f"Alast{i}",
            work_email=user.email,
            employee_type=Employee.Type.SWORN,
            rank_title="Officer",
            unit=dept.precinct,
            user=user,
        )
        for i, user in enumerate(users)
    )
    RoleGrant.objects.bulk_create(
        RoleGrant(user=user, role=Role.PEER_SUPPORTER, reason="grow", agency_id=dept.hq.agency_id)
        for user in users
    )
    long_ago = timezone.now() - timedelta(days=90)
    SupporterProfile.objects.bulk_create(
        SupporterProfile(
            agency_id=dept.hq.agency_id,
            user=user,
            status=SupporterProfile.Status.ACTIVE,
            availability=SupporterProfile.Availability.OFF
            if i % 3 == 0
            else SupporterProfile.Availability.AVAILABLE,
            availability_updated_at=long_ago,
            bio="A bio " * 20,
        )
        for i, user in enumerate(users)
    )
    supervisors = Employee.objects.filter(user__in=users)
    Unit.objects.bulk_create(
        Unit(
            agency_id=dept.hq.agency_id,
            name=f"Grown unit {first + i}",
            kind=Unit.Kind.UNIT,
            parent=dept.precinct,
            supervisor=supervisor,
        )
        for i, supervisor in enumerate(supervisors)
    )
    supporter, today = personas["supporter"], timezone.localdate()
    made = Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=today - timedelta(days=i % 400),
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.SWORN,
            topics=[Contact.Topic.GRIEF],
            limits_explained=True,
            notice_version=current_notice().version,
            follow_up_planned=True,
        )
        for i in range(contacts)
    )
    FollowUp.objects.bulk_create(
        FollowUp(supporter=supporter, contact=c, due=today + timedelta(days=(i % 60) - 30))
        for i, c in enumerate(made)
    )
    if made:  # an overdue follow-up for each new supporter
        FollowUp.objects.bulk_create(
            FollowUp(supporter=user, contact=made[0], due=today - timedelta(days=3))
            for user in users
        )


def _count(client, url) -> tuple[int, str]:
    queries = []

    def counted(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(queries), resp.content.decode()


def _counts(client_for) -> dict:
    return {
        (who, name, query): _count(client_for(who), reverse(name) + query)[0]
        for who, name, query in PAGES
    }


def test_list_pages_do_not_grow_with_the_program(dept, personas, client_for, capsys):
    active_supporter(personas["supporter"])  # may log contacts
    _grow(dept, personas, supporters=60, contacts=20)
    small = _counts(client_for)
    _grow(dept, personas, supporters=240, contacts=600)
    large = _counts(client_for)
    with capsys.disabled():
        print("\nqueries per list page (small -> large)")
        for key in small:
            print(f"  {key[1] + key[2]:60} as {key[0]:12} {small[key]:3} -> {large[key]:3}")
    assert small == large
    # And each shows one page of rows, however many there are.
    _, inbox = _count(client_for("supporter"), reverse("support:inbox"))
    assert inbox.count('value="done"') == 2 * INBOX_FOLLOWUPS
    due = FollowUp.objects.filter(supporter=personas["supporter"], due__lte=timezone.localdate())
    assert f"Due now ({due.count()})" in inbox
    _, roster = _count(client_for("coordinator"), reverse("roster:manage"))
    assert roster.count("Change status<span") == PER_PAGE
    _, directory = _count(client_for("employee"), reverse("roster:directory"))
    assert directory.count('class="supporter-card"') == DIRECTORY_PAGE
    _, units = _count(client_for("sysadmin"), reverse("accounts:unit_list"))
    assert units.count('class="tree__item"') == PER_PAGE
    _, overview = _count(client_for("coordinator"), reverse("support:overview"))
    assert overview.count('<tr><th scope="row">') <= 4 + OVERDUE_SHOWN  # the ages, ten names


def _revoke_forms(html: str) -> int:
    return html.count('name="reason" required')


def test_the_roles_page_shows_one_page_however_many_grants(dept, personas, client_for):
    page = reverse("accounts:role_list")
    client = client_for("sysadmin")
    _grow(dept, personas, supporters=PER_PAGE + 10, contacts=0)
    _, html = _count(client, page)
    assert _revoke_forms(html) == PER_PAGE
    _grow(dept, personas, supporters=300, contacts=0)
    _, larger = _count(client, page)
    assert _revoke_forms(larger) == PER_PAGE
    # One page still: only its people, its counts and a "Last" link differ (5 times as many
    # grants made the whole page 397 KB at 20,000 employees before it had pages).
    assert len(larger) < len(html) * 1.02
    total = RoleGrant.objects.current().count()
    assert f"{total} grants." in larger
    assert f"Page 1 of {-(-total // PER_PAGE)}" in larger


# Pages that list or offer every supporter: the enrol and instructor selects of a session, the
# supporters still to acknowledge the program policy, the supporters one may nominate.
PROGRAM_PAGES = [
    ("coordinator", "training:session"),
    ("coordinator", "training:session_edit"),
    ("coordinator", "training:session_new"),
    ("coordinator", "governance:acknowledgements"),
    ("bhs_manager", "governance:acknowledgements"),
    ("supporter", "committee:election"),
]


def _program_urls(dept) -> dict[str, str]:
    from ..matrix.committee import open_election
    from ..matrix.governance import _program_policy
    from ..matrix.training import make_session

    _program_policy(dept)  # in force: everyone is still to acknowledge it
    session = make_session(days_from_now=10)
    return {
        "training:session": reverse("training:session", args=[session.pk]),
        "training:session_edit": reverse("training:session_edit", args=[session.pk]),
        "training:session_new": reverse("training:session_new"),
        "governance:acknowledgements": reverse("governance:acknowledgements"),
        "committee:election": reverse("committee:election", args=[open_election().pk]),
    }


def test_pages_offering_every_supporter_do_not_grow_with_the_program(
    dept, personas, client_for, capsys
):
    """The selects of every supporter grow by an option each, with no query more; the
    acknowledgements page shows one page of names."""
    active_supporter(personas["supporter"])  # may vote, so may nominate
    urls = _program_urls(dept)
    _grow(dept, personas, supporters=60, contacts=0)
    small = {(w, n): _count(client_for(w), urls[n])[0] for w, n in PROGRAM_PAGES}
    _grow(dept, personas, supporters=240, contacts=0)
    large = {(w, n): _count(client_for(w), urls[n])[0] for w, n in PROGRAM_PAGES}
    with capsys.disabled():
        print("\nqueries per page offering every supporter (small -> large)")
        for key in small:
            print(f"  {key[1]:40} as {key[0]:12} {small[key]:3} -> {large[key]:3}")
    assert small == large
    _, session = _count(client_for("coordinator"), urls["training:session"])
    assert (
        session.count("(active)</option>")
        == SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE).count()
    )
    _, election = _count(client_for("supporter"), urls["committee:election"])
    assert election.count("<option value=") > 300
    _, acknowledgements = _count(client_for("coordinator"), urls["governance:acknowledgements"])
    supporters = User.objects.filter(
        role_grants__role=Role.PEER_SUPPORTER, role_grants__revoked_at=None
    ).count()
    assert f"{supporters} of {supporters}." in acknowledgements
    assert f"Page 1 of {-(-supporters // PER_PAGE)}" in acknowledgements
    names = acknowledgements.split('id="not-acknowledged">')[1].split("</ul>")[0]
    assert names.count("<li>") == PER_PAGE
