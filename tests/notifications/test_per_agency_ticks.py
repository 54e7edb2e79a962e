"""Periodic work per agency (notifications/scheduling.py, docs/design/agencies.md §2.5): a tick
registered per agency does its work once inside each active agency, one agency's failure stops
none of the others, and the install's own machinery runs once, outside any agency.

A second agency cannot be made in the product before step 5, and the system check refuses two
active ones (accounts/checks.py): the tests make it directly and silence that check."""

import logging

import pytest
from django.tasks import task

from peersupport.accounts.agencies import default_agency, forget_default_agency
from peersupport.accounts.models import Agency
from peersupport.notifications import scheduling
from peersupport.notifications.scheduling import TickFailed, register_periodic, run_tick
from peersupport.tenancy import current_agency_id, current_agency_id_or_none

# The ticks start outside any agency, as in the worker (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.no_agency]

calls: list = []


@task()
def a_tick() -> dict:
    return run_tick(a_tick, _work)


def _work() -> dict:
    agency = current_agency_id()
    calls.append(agency)
    if agency in failing:
        raise RuntimeError("this agency's work broke")
    return {"done": 1}


failing: set[int] = set()


@pytest.fixture(autouse=True)
def _registered():
    calls.clear()
    failing.clear()
    forget_default_agency()
    register_periodic(a_tick, seconds=60)
    yield
    scheduling._registry.pop(a_tick.module_path, None)


@pytest.fixture
def two(settings):
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    a = default_agency()
    b = Agency.objects.create(slug="b-county", name="B County", time_zone=a.time_zone)
    return a, b


def test_with_one_agency_the_result_is_the_agencys_own():
    assert a_tick.call() == {"done": 1}
    assert calls == [default_agency().pk]


def test_each_active_agency_runs_inside_itself(two):
    a, b = two
    result = a_tick.call()
    assert sorted(calls) == sorted([a.pk, b.pk])
    assert result == {a.slug: {"done": 1}, b.slug: {"done": 1}}
    assert current_agency_id_or_none() is None
    assert scheduling._waiting(a_tick).count() == 1  # the next run is waiting, once


def test_an_inactive_agency_does_not_run(two):
    a, b = two
    b.active = False
    b.save(update_fields=["active"])
    assert a_tick.call() == {"done": 1}
    assert calls == [a.pk]


def test_one_agencys_failure_stops_none_of_the_others(two, caplog):
    a, b = two
    for broken in (a, b):
        calls.clear()
        failing.clear()
        failing.add(broken.pk)
        with caplog.at_level(logging.ERROR), pytest.raises(TickFailed, match=broken.slug):
            a_tick.call()
        assert sorted(calls) == sorted([a.pk, b.pk])  # the other one ran, before or after
        assert f"for agency {broken.pk}" in caplog.text
    assert scheduling._waiting(a_tick).count() == 1  # and the chain goes on


def test_install_wide_work_runs_once_outside_any_agency(two):
    register_periodic(a_tick, seconds=60, per_agency=False)
    seen = []
    assert run_tick(a_tick, lambda: seen.append(current_agency_id_or_none()) or {}) == {}
    assert seen == [None]


def test_the_products_ticks_run_per_agency(two, monkeypatch):
    """A real tick, wired through run_tick: the roster's runs once in each agency; the kernel's,
    install-wide, once outside them, its grant requests' lapse inside each."""
    from peersupport.roster import tasks as roster_tasks
    from peersupport.web import tasks as web_tasks

    a, b = two
    monkeypatch.setattr(
        roster_tasks, "supporters_inactive_period_end", lambda: calls.append(current_agency_id())
    )
    roster_tasks.roster_tick.call()
    assert sorted(calls) == sorted([a.pk, b.pk])
    seen = []
    monkeypatch.setattr(
        web_tasks, "role_requests_lapse", lambda: seen.append(current_agency_id()) or 0
    )
    assert "grant_requests_lapsed" in web_tasks.kernel_tick.call()
    assert sorted(seen) == sorted([a.pk, b.pk])  # grant requests are each agency's (step 2)


def test_a_task_for_an_agency_runs_inside_it(two, monkeypatch):
    from peersupport.reports import tasks as reports_tasks
    from peersupport.training import tasks as training_tasks

    a, b = two
    monkeypatch.setattr(reports_tasks, "_rebuild", lambda: {"agency": current_agency_id()})
    in_agency = lambda: {"agency": current_agency_id()}  # noqa: E731
    monkeypatch.setattr(training_tasks, "compliance_refresh", in_agency)
    assert reports_tasks.reports_rebuild.call(b.pk) == {"agency": b.pk}
    assert training_tasks.compliance_refresh_task.call(b.pk) == {"agency": b.pk}
    # One queued before agencies existed carries no agency: the default one's.
    assert reports_tasks.reports_rebuild.call() == {"agency": a.pk}
    assert training_tasks.compliance_refresh_task.call() == {"agency": a.pk}
