"""A second agency's CISM team and reports are its own (issue 23, step 3d).

Agency B (tests/system/conftest.py) keeps its own CISM team and activations, and its own report
builds, publications, period closures, rendered outputs and sealed counts. B's coordinator sees
none of A's activations or team, opening A's activation is "not found", a person may serve on
both agencies' teams, each agency has its own team lead, closing a period in A closes nothing
in B, and a database writer who copies A's sealed figures into B's rows gets them refused in B,
never shown.
"""

import pytest
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.cism import services as cism
from peersupport.cism.models import Activation, TeamMember
from peersupport.reports import builds
from peersupport.reports.models import Build, PeriodClosure
from peersupport.reports.periods import parse
from peersupport.reports.services import period_close
from peersupport.tenancy import using_agency

from ..factories import grant
from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db

A_INCIDENT = "Aardvark Street collision"
B_INCIDENT = "Bilby Bridge standoff"


@pytest.fixture
def both(dept, personas, agency_b):
    """A's team (the persona supporter as lead) and activation; B's the same, with its own
    supporter as lead."""
    a_coordinator = personas["coordinator"]
    active_supporter(personas["supporter"])
    cism.member_add(actor=a_coordinator, user=personas["supporter"], team_role="lead")
    a_activation = cism.activation_start(
        actor=a_coordinator,
        event_type="critical_incident",
        incident_date=_today(),
        description=A_INCIDENT,
    )
    b_coordinator = agency_b.person(Role.COORDINATOR, "b-coordinator@b.example.org")
    b_supporter = agency_b.person(
        Role.PEER_SUPPORTER, "b-supporter@b.example.org", last_name="Bandicoot"
    )
    with using_agency(agency_b.agency):
        active_supporter(b_supporter)
        cism.member_add(actor=b_coordinator, user=b_supporter, team_role="lead")
        b_activation = cism.activation_start(
            actor=b_coordinator,
            event_type="critical_incident",
            incident_date=_today(),
            description=B_INCIDENT,
        )
    return {"a": a_activation, "b": b_activation}


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def test_each_agency_sees_only_its_own_cism_team_and_activations(client_for, agency_b, both):
    b = agency_b.client(Role.COORDINATOR)
    a = client_for("coordinator")
    a_detail = reverse("cism:detail", args=[both["a"].public_id])
    b_detail = reverse("cism:detail", args=[both["b"].public_id])
    for name in ("cism:board", "cism:team", "cism:export"):
        theirs = _get(b, reverse(name))
        assert str(both["a"].public_id) not in theirs, name
        assert "supporter@pd.example.org" not in theirs, name
        ours = _get(a, reverse(name))
        assert str(both["b"].public_id) not in ours, name
        assert "Bandicoot" not in ours and "b-supporter@b.example.org" not in ours, name
    assert B_INCIDENT in _get(b, b_detail) and A_INCIDENT in _get(a, a_detail)
    _get(b, a_detail, status=404)
    _get(a, b_detail, status=404)
    # The member's own call-outs: A's supporter has none in B, B's none in A.
    assert str(both["b"].public_id) not in _get(client_for("supporter"), reverse("cism:mine"))
    mine_b = _get(agency_b.client(Role.PEER_SUPPORTER), reverse("cism:mine"))
    assert str(both["a"].public_id) not in mine_b
    with using_agency(agency_b.agency):
        assert list(Activation.objects.all()) == [both["b"]]
        assert [m.user.email for m in TeamMember.objects.all()] == ["b-supporter@b.example.org"]
    assert Activation.everywhere.count() == 2


def test_a_person_may_serve_on_both_teams_and_each_team_has_its_lead(personas, agency_b, both):
    """A regional team's supporter is on each agency's team once; each team has one lead."""
    supporter = personas["supporter"]
    b_coordinator = agency_b.users[Role.COORDINATOR]
    with using_agency(agency_b.agency):
        grant(supporter, Role.PEER_SUPPORTER)
        supporter.forget_roles()
        member = cism.member_add(actor=b_coordinator, user=supporter, team_role="peer")
        assert member.agency_id == agency_b.agency.pk
        with pytest.raises(Exception, match="(?i)lead"):
            cism.member_change_role(actor=b_coordinator, member=member, team_role="lead")
    assert TeamMember.everywhere.filter(user=supporter).count() == 2
    assert TeamMember.everywhere.filter(team_role="lead").count() == 2


def test_each_agency_builds_closes_and_publishes_its_own_reports(personas, agency_b, both):
    b_coordinator = agency_b.users[Role.COORDINATOR]
    a_number = builds.rebuild(force=True)
    with using_agency(agency_b.agency):
        b_number = builds.rebuild(force=True)
        b_token = builds.current().token
    assert a_number and b_number
    assert Build.everywhere.count() == 2
    assert builds.current().token != b_token
    # A closes last month: B's months stay open, and B may close the same month itself.
    last_month = parse(_today().replace(day=1).strftime("%Y-%m")).previous()
    period_close(actor=personas["coordinator"], period=last_month)
    with using_agency(agency_b.agency):
        assert not PeriodClosure.objects.exists()
        b_coordinator.forget_roles()
        period_close(actor=b_coordinator, period=last_month)
    assert PeriodClosure.everywhere.filter(through=last_month.key).count() == 2


def test_figures_copied_into_another_agency_are_refused_there(personas, agency_b, both, caplog):
    """A database writer copies A's sealed build into B's row: B's readers refuse it (it is
    sealed for A) and it is built again; nothing of A's is shown in B."""
    builds.rebuild(force=True)
    with using_agency(agency_b.agency):
        builds.rebuild(force=True)
    a_row = Build.objects.values(
        "number", "token", "built_at", "data_version", "day", "threshold", "grace_days", "cube"
    ).get()
    Build.everywhere.filter(agency=agency_b.agency).update(**a_row)
    builds._memo.clear()  # a process that has not loaded either yet
    with using_agency(agency_b.agency):
        assert builds.current() is None
        assert "did not load" in caplog.text
    builds._memo.clear()
    with using_agency(agency_b.agency):
        builds.rebuild(force=True)
        again = builds.current()
        assert again is not None and again.token != a_row["token"]
    assert builds.current().token == a_row["token"]  # A's own still loads in A


def test_a_rebuild_waiting_for_one_agency_does_not_hold_back_anothers(agency_b):
    """A burst of writes in A queues one rebuild of A's figures; a write in B still queues B's."""
    from django_tasks_db.models import DBTaskResult

    from peersupport.reports.tasks import reports_rebuild

    DBTaskResult.objects.filter(task_path=reports_rebuild.module_path).delete()  # B's set-up
    assert builds.request() is True
    assert builds.request() is False  # A's is waiting
    with using_agency(agency_b.agency):
        assert builds.request() is True
        assert builds.request() is False
    queued = DBTaskResult.objects.filter(task_path=reports_rebuild.module_path, status="READY")
    assert sorted(row.args_kwargs["args"][0] for row in queued) == sorted(
        [
            agency_b.agency.pk,
            Build._meta.get_field("agency").related_model.objects.get(is_default=True).pk,
        ]
    )
