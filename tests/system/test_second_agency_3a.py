"""A second agency sees none of the first's resources, policies, exception categories and
supporters, and the first none of the second's (issue 23, step 3a; the crawl of every page is
step 3d's tests/system/test_second_agency.py).

Each agency gets rows with canary strings of its own, written through the services inside that
agency; every page of resources, governance and roster its people can reach is read as each of
them, and must show none of the other agency's canaries (and its own, so the check can fail).
A supporter whose home is A is listed in B only while he holds B's peer-supporter role (the
loan of step 6), and even then votes only at home.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.governance import selectors as governance_selectors
from peersupport.governance import services as governance_services
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion
from peersupport.governance.notice import current_notice
from peersupport.resources import services as resource_services
from peersupport.resources.models import Resource
from peersupport.roster import selectors as roster_selectors
from peersupport.roster.models import OnCallShift, SupporterProfile
from peersupport.tenancy import using_agency

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..roster.helpers import A as Area
from ..roster.helpers import make_supporter

A_CANARIES = (
    "Aardvark Helpline",
    "Armadillo Clause",
    "Albatross notice words",
    "Axolotl",
    "Aardwolf biography",
)
B_CANARIES = (
    "Bandicoot Helpline",
    "Bilby Clause",
    "Bongo notice words",
    "Binturong",
    "Barracuda biography",
)


def _seed(*, letter: str, words: tuple[str, ...], unit, bhs, chief) -> dict:
    """One agency's canary rows, through its services, in the current agency."""
    helpline, clause, notice_words, last_name, bio = words
    resource = resource_services.resource_create(
        actor=None,
        name=helpline,
        category=Resource.Category.CRISIS_LINE,
        description=f"{helpline} helps around the clock.",
        phone="988",
        available_24_7=True,
    )
    category = governance_services.exception_category_create(
        actor=bhs, code=f"{letter}-clause", name=clause, action=f"{clause}: escalate."
    )
    notice = PolicyDocument.objects.get(kind=PolicyDocument.Kind.CONFIDENTIALITY_NOTICE)
    version = governance_services.policy_version_draft(
        actor=bhs,
        document=notice,
        effective_date=timezone.localdate(),
        intro=f"{notice_words}: what you say stays here.",
        closing="Call 988 in a crisis.",
    )
    governance_services.policy_version_submit(actor=bhs, version=version)
    governance_services.policy_version_approve(actor=chief, version=version)
    profile = make_supporter(
        unit, first="Pat", last=last_name, areas=[Area.GRIEF_LOSS, Area.FINANCES]
    )
    profile.bio = bio
    profile.save(update_fields=["bio"])
    enable_totp(profile.user)
    start = timezone.now() - datetime.timedelta(hours=1)
    OnCallShift.objects.create(
        profile=profile, start=start, end=start + datetime.timedelta(hours=5)
    )
    return {"resource": resource, "category": category, "version": version, "profile": profile}


def _b_person(agency_b, role: str | None, email: str, key: str):
    """A person of B: ``role`` granted (None: a plain employee), kept under ``key``."""
    if role is not None:
        user = agency_b.person(role, email)
    else:
        with using_agency(agency_b["agency"]):
            user = UserFactory(email=email)
            EmployeeFactory(user=user, unit=agency_b.hq, work_email=email, last_name="Wallaby")
    agency_b.users[key] = user
    return user


@pytest.fixture
def two_agencies(dept, agency_b):
    a_rows = _seed(
        letter="a",
        words=A_CANARIES,
        unit=dept.squad,
        bhs=dept.users["bhs_manager"],
        chief=dept.users["chief"],
    )
    b = agency_b["agency"]
    b_chief = _b_person(agency_b, Role.CHIEF, "b-chief@b.example.org", "chief")
    b_coordinator = _b_person(agency_b, Role.COORDINATOR, "b-coord@b.example.org", "coordinator")
    _b_person(agency_b, None, "b-employee@b.example.org", "employee")
    with using_agency(b):
        b_rows = _seed(
            letter="b",
            words=B_CANARIES,
            unit=agency_b.hq,
            bhs=agency_b["bhs"],
            chief=b_chief,
        )
    agency_b.users["supporter"] = b_rows["profile"].user
    return a_rows, b_rows, b_coordinator


def _read(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _pages(rows: dict, *, as_role: str) -> list[str]:
    """The pages of resources, governance and roster a person of ``as_role`` reaches, about
    their own agency's rows."""
    employee = [
        reverse("resources:list"),
        reverse("resources:detail", args=[rows["resource"].pk]),
        reverse("roster:directory"),
        reverse("roster:directory") + "?q=Pat",
        reverse("roster:directory") + "?area=grief_loss&available_now=on",
        reverse("roster:detail", args=[rows["profile"].pk]),
        reverse("support:ask"),
    ]
    if as_role == "employee":
        return employee
    if as_role == "supporter":
        return [
            *employee,
            reverse("roster:mine"),
            reverse("governance:current"),
            reverse("governance:version", args=[_policy_in_force().pk]),
        ]
    if as_role == "coordinator":
        return [
            *employee,
            reverse("roster:manage"),
            reverse("roster:manage") + "?concern=unlisted",
            reverse("resources:retired"),
            reverse("governance:list"),
            reverse("governance:categories"),
            reverse("governance:acknowledgements"),
            reverse("governance:version", args=[rows["version"].pk]),
        ]
    raise AssertionError(as_role)


def _policy_in_force() -> PolicyVersion:
    return governance_selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)


def test_each_agency_sees_only_its_own_resources_policies_and_supporters(
    dept, client_for, agency_b, two_agencies
):
    a_rows, b_rows, _ = two_agencies
    b = agency_b["agency"]
    for role in ("employee", "supporter", "coordinator"):
        with using_agency(b):
            b_pages = _pages(b_rows, as_role=role)
        b_client = agency_b.client(role)
        seen_b = "".join(_read(b_client, url) for url in b_pages)
        for canary in A_CANARIES:
            assert canary not in seen_b, (role, canary)
        a_client = client_for(role)
        if role == "supporter":
            # A's supporter persona has no profile; A's canary supporter reads his own pages.
            a_client = signed_in_client(a_rows["profile"].user)
        seen_a = "".join(_read(a_client, url) for url in _pages(a_rows, as_role=role))
        for canary in B_CANARIES:
            assert canary not in seen_a, (role, canary)
        # The pages do show each agency its own rows: the check above could fail.
        assert "Bandicoot Helpline" in seen_b and "Binturong" in seen_b, role
        assert "Aardvark Helpline" in seen_a and "Axolotl" in seen_a, role
    ask_b = _read(agency_b.client("employee"), reverse("support:ask"))
    assert "Bongo notice words" in ask_b and "Albatross notice words" not in ask_b
    coordinator_b = agency_b.client("coordinator")
    assert "Bilby Clause" in _read(coordinator_b, reverse("governance:categories"))


def test_another_agencys_rows_are_not_found(dept, client_for, agency_b, two_agencies):
    """Asked by id, another agency's resource, supporter, policy version and category are 404,
    and nothing of them changes."""
    a_rows, b_rows, _ = two_agencies
    for client, rows in (
        (agency_b.client("coordinator"), a_rows),
        (client_for("coordinator"), b_rows),
    ):
        for url in (
            reverse("resources:detail", args=[rows["resource"].pk]),
            reverse("resources:public_detail", args=[rows["resource"].pk]),
            reverse("roster:detail", args=[rows["profile"].pk]),
            reverse("roster:photo", args=[rows["profile"].pk]),
            reverse("governance:version", args=[rows["version"].pk]),
            reverse("governance:version_pdf", args=[rows["version"].pk]),
            reverse("governance:category_edit", args=[rows["category"].pk]),
        ):
            assert client.get(url).status_code in (403, 404), url
    bhs_b = agency_b.client("bhs")
    response = bhs_b.post(reverse("governance:category_retire", args=[a_rows["category"].pk]), {})
    assert response.status_code == 404
    response = agency_b.client("coordinator").post(
        reverse("resources:retire", args=[a_rows["resource"].pk]), {"reason": "not ours"}
    )
    assert response.status_code == 404
    assert ExceptionCategory.objects.get(pk=a_rows["category"].pk).active
    assert Resource.objects.get(pk=a_rows["resource"].pk).is_active


def test_each_agency_has_its_own_notice_and_categories(dept, client, agency_b, two_agencies):
    """B was seeded its own defaults when it was made (``agency_created``); A's are unchanged.
    The notice labels repeat ("notice-v2" in both), the notices and their PDFs do not."""
    a_rows, b_rows, _ = two_agencies
    b = agency_b["agency"]
    a_codes = set(ExceptionCategory.objects.values_list("code", flat=True))
    with using_agency(b):
        b_codes = set(ExceptionCategory.objects.values_list("code", flat=True))
        b_documents = set(PolicyDocument.objects.values_list("kind", flat=True))
        b_notice = current_notice()
        b_pdf = agency_b.client("employee").get(reverse("governance:notice_pdf")).content
    assert b_codes == (a_codes - {"a-clause"}) | {"b-clause"}
    assert "danger-to-self" in b_codes
    assert b_documents == set(PolicyDocument.Kind.values)
    assert ExceptionCategory.everywhere.filter(code="danger-to-self").count() == 2
    assert PolicyDocument.everywhere.count() == 4
    a_notice = current_notice()
    assert a_notice.version == b_notice.version == "notice-v2"
    assert "Albatross" in a_notice.intro and "Bongo" in b_notice.intro
    a_pdf = client.get(reverse("governance:notice_pdf")).content
    assert a_pdf.startswith(b"%PDF") and b_pdf.startswith(b"%PDF")
    assert a_pdf != b_pdf  # the PDF kept in the shared cache is per agency


def test_a_supporter_is_listed_in_another_agency_only_while_he_holds_its_role(
    dept, agency_b, two_agencies
):
    """``_listed_profiles`` in B lists none of A's supporters, until one holds B's
    peer-supporter role (a loan, step 6): then once, with his home profile's areas and shifts,
    but he votes only at home, and B's roster (home supporters) does not count him."""
    a_rows, b_rows, b_coordinator = two_agencies
    b = agency_b["agency"]
    lent = a_rows["profile"]
    now = timezone.now()
    with using_agency(b):
        listed = list(roster_selectors._listed_profiles(now))
        assert listed == [b_rows["profile"]]
        entries, total = roster_selectors.directory_page(viewer=b_coordinator, limit=30)
        assert [e.name for e in entries] == ["Pat Binturong"] and total == 1
        # The labels' hand-written SQL reads nothing of a supporter B does not list.
        other = SupporterProfile.everywhere.select_related("user__employee").get(pk=lent.pk)
        assert roster_selectors._labelled([other])[0].area_labels == []
        grant(lent.user, Role.PEER_SUPPORTER, agency=b)
        listed = list(roster_selectors._listed_profiles(timezone.now()))
        assert sorted(p.pk for p in listed) == sorted([lent.pk, b_rows["profile"].pk])
        entries, total = roster_selectors.directory_page(viewer=b_coordinator, limit=30)
        assert total == 2
        (entry,) = [e for e in entries if e.pk == lent.pk]
        assert entry.area_labels == ["Finances", "Grief and loss"]
        assert entry.available_now
        (found,) = [p for p in roster_selectors.directory(viewer=b_coordinator) if p.pk == lent.pk]
        assert found.area_labels == ["Finances", "Grief and loss"]
        (matched,) = [
            p
            for p in roster_selectors.matching_supporters(areas=[Area.FINANCES])
            if p.pk == lent.pk
        ]
        assert {a.area for a in matched.areas.all()} == {Area.GRIEF_LOSS, Area.FINANCES}
        assert roster_selectors.supporter_for_viewer(viewer=b_coordinator, profile_id=lent.pk)
        assert roster_selectors.upcoming_shifts(lent)
        assert roster_selectors.own_profile(lent.user) == lent
        assert roster_selectors.serves(lent.user)
        # Votes only at home.
        assert not roster_selectors.may_vote(lent.user)
        assert lent.user.pk not in {u.pk for u in roster_selectors.voters()}
        assert lent.user.pk not in {pk for pk, _ in roster_selectors.voter_names()}
        assert roster_selectors.may_vote(b_rows["profile"].user)
        # B's roster is its home supporters'.
        rows, total = roster_selectors.roster_page(limit=30)
        assert [r.pk for r in rows] == [b_rows["profile"].pk] and total == 1
        by_status, _ = roster_selectors.roster_counts()
        assert by_status[SupporterProfile.Status.ACTIVE] == 1
        assert not SupporterProfile.objects.filter(pk=lent.pk).exists()
    assert roster_selectors.may_vote(lent.user)
    assert lent.user.pk in {u.pk for u in roster_selectors.voters()}
