"""The agencies of step 1 (docs/design/agencies.md): agency 1 from the existing install, the
default agency as requests and the worker see it, and the check that refuses a second active
agency while nothing is scoped."""

import pytest
from django.core import checks
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from peersupport.accounts.agencies import (
    default_agency,
    forget_default_agency,
    sync_default_agency,
    task_agency_id,
)
from peersupport.accounts.checks import check_one_active_agency
from peersupport.accounts.middleware import AgencyMiddleware
from peersupport.accounts.models import Agency
from peersupport.tenancy import current_agency_id, current_agency_id_or_none, using_agency

pytestmark = pytest.mark.django_db

BEFORE = [("accounts", "0009_employee_numbers_in_capitals")]
AGENCY = [("accounts", "0010_agency")]


@pytest.fixture(autouse=True)
def _fresh_default():
    forget_default_agency()
    yield
    forget_default_agency()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_install_agency_1_and_back(settings):
    settings.DEPARTMENT_NAME = "Springfield Police Department"
    _migrate(BEFORE)
    try:
        assert "accounts_agency" not in connection.introspection.table_names()
    finally:
        _migrate(AGENCY)
        _migrate(_leaves())  # the later migrations too, for the tests after this one
    (agency,) = Agency.objects.all()
    assert agency.is_default and agency.active
    assert agency.name == "Springfield Police Department"
    assert agency.slug == "springfield-police-department"
    assert agency.time_zone == settings.TIME_ZONE
    assert agency.kind == Agency.Kind.DEPARTMENT
    assert len(agency.link_code) >= 12 and "springfield" not in agency.link_code.lower()


# Step 2: the kernel's rows of before agencies get the default agency.
BEFORE_KERNEL = [
    ("accounts", "0010_agency"),
    ("notifications", "0007_webhooks"),
    ("integrations", "0001_tokens"),
]


@pytest.mark.django_db(transaction=True)
def test_the_kernels_rows_are_given_the_default_agency_and_back():
    old = _migrate(BEFORE_KERNEL).loader.project_state(BEFORE_KERNEL).apps
    try:
        model = old.get_model
        user = model("accounts", "User").objects.create(email="old@pd.example.org")
        unit = model("accounts", "Unit").objects.create(name="Old HQ", kind="department")
        model("accounts", "Employee").objects.create(
            employee_number="OLD-1",
            first_name="Old",
            last_name="Timer",
            employee_type="sworn",
            rank_title="Officer",
            unit=unit,
            user=user,
        )
        model("accounts", "RoleGrant").objects.create(user=user, role="coordinator", reason="")
        model("accounts", "RoleGrantRequest").objects.create(
            user=user, role="chief", reason="", lapses_at="2030-01-01T00:00:00Z"
        )
        model("notifications", "WebhookEndpoint").objects.create(label="Old", url="https://x")
        model("integrations", "ApiToken").objects.create(label="Old", key="oldkey", scopes=[])
    finally:
        _migrate(_leaves())
    from peersupport.accounts.models import Employee, RoleGrant, RoleGrantRequest, Unit
    from peersupport.integrations.models import ApiToken
    from peersupport.notifications.models import WebhookEndpoint

    default = Agency.objects.get(is_default=True).pk
    for owned in (Unit, Employee, RoleGrant, RoleGrantRequest, WebhookEndpoint, ApiToken):
        assert list(owned.objects.values_list("agency_id", flat=True)) == [default], owned
    # And back: the columns go, the rows stay.
    _migrate(BEFORE_KERNEL)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM accounts_employee")
            assert cursor.fetchone()[0] == 1
        columns = [
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), "accounts_employee"
            )
        ]
        assert "agency_id" not in columns
    finally:
        _migrate(_leaves())


def test_after_migrate_there_is_one_default_agency_named_by_the_settings(settings):
    (agency,) = Agency.objects.filter(is_default=True)
    assert Agency.objects.count() == 1
    assert agency.name == settings.DEPARTMENT_NAME
    assert agency.time_zone == settings.TIME_ZONE


def test_only_one_agency_is_the_default():
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.create(slug="two", name="Two", time_zone="UTC", is_default=True)
    Agency.objects.create(slug="two", name="Two", time_zone="UTC")  # not the default: fine


def test_the_default_agencys_name_follows_department_name(settings):
    """DEPARTMENT_NAME stays the operators' setting until step 4's settings page: every migrate
    brings the default agency's name (and time zone) in line with it."""
    settings.DEPARTMENT_NAME = "Shelbyville Police Department"
    sync_default_agency()
    assert default_agency().name == "Shelbyville Police Department"
    assert Agency.objects.get(is_default=True).name == "Shelbyville Police Department"


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_its_default_agency_back():
    from django.core.management import call_command

    # Every table emptied, agency 1's seeded rows (which protect it) too; flush's post_migrate
    # and then the call below each bring the default agency back, once.
    call_command("flush", interactive=False, verbosity=0)
    sync_default_agency()
    assert Agency.objects.get(is_default=True) == default_agency()


def test_the_default_agency_is_read_once_per_process(django_assert_num_queries):
    with django_assert_num_queries(1):
        first = default_agency()
    with django_assert_num_queries(0):
        assert default_agency() is first


def _seen_by_a_view():
    seen = {}

    def view(request):
        seen["agency"] = request.agency
        seen["context"] = current_agency_id()
        return HttpResponse("ok")

    return seen, AgencyMiddleware(view)


@pytest.mark.no_agency  # outside any agency, as a real request or task starts
def test_the_middleware_sets_the_default_agency_without_a_query():
    agency = default_agency()  # what a process keeps after its first request
    seen, middleware = _seen_by_a_view()
    with CaptureQueriesContext(connection) as queries:
        middleware(RequestFactory().get("/"))
    assert len(queries) == 0
    assert seen["agency"] == agency and seen["agency"].pk == agency.pk
    assert seen["context"] == agency.pk
    assert current_agency_id_or_none() is None  # the request's agency ends with it


@pytest.mark.no_agency  # outside any agency, as a real request or task starts
def test_the_middleware_itself_asks_nothing_even_in_a_new_process():
    forget_default_agency()

    def view(request):
        return HttpResponse("ok")  # reads nothing of the agency

    with CaptureQueriesContext(connection) as queries:
        AgencyMiddleware(view)(RequestFactory().get("/"))
    assert len(queries) == 0


@pytest.mark.no_agency  # outside any agency, as a real request or task starts
def test_every_page_runs_inside_the_default_agency(client):
    """The middleware is in the chain, after the session and the account are known."""
    from django.conf import settings

    chain = settings.MIDDLEWARE
    agency = chain.index("peersupport.accounts.middleware.AgencyMiddleware")
    assert chain[agency - 1] == "django.contrib.auth.middleware.AuthenticationMiddleware"
    response = client.get("/healthz")
    assert response.wsgi_request.agency == default_agency()


@pytest.mark.no_agency  # outside any agency, as a real request or task starts
def test_tasks_enqueued_outside_an_agency_work_for_the_default_one():
    other = Agency.objects.create(slug="b", name="B", time_zone="UTC")
    assert task_agency_id() == default_agency().pk
    with using_agency(other):
        assert task_agency_id() == other.pk


def test_the_check_refuses_two_active_agencies():
    assert check_one_active_agency() == []
    second = Agency.objects.create(slug="b", name="B County", time_zone="UTC")
    (error,) = check_one_active_agency()
    assert error.id == "accounts.E001" and error.level == checks.ERROR
    assert "docs/design/agencies.md" in error.hint
    assert error in checks.run_checks(databases=["default"])
    second.active = False
    second.save(update_fields=["active"])
    assert check_one_active_agency() == []
