"""The figures are built by the worker, never by a request (reports/builds.py): readers get the
last build, writes queue one debounced rebuild that survives a restart, one builder at a time,
the day or the settings changing make the tick rebuild, and rendered outputs are kept per build
and dropped when the next lands."""

import datetime
import pickle
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.reports import builds, selectors
from peersupport.reports.models import Build, Rendered
from peersupport.reports.tasks import reports_rebuild, reports_tick
from peersupport.support.models import Contact

from .helpers import build, run_worker

NOW = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)
DASHBOARD = reverse("reports:dashboard")
CSV = reverse("reports:table_csv", kwargs={"slug": "contacts-mode"})
PDF = reverse("reports:report_pdf")
Q4 = {"period": "2025-Q4"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def add_contacts(supporter, n, day=datetime.date(2025, 11, 3)):
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=day,
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.SWORN,
            topics=["work_stress"],
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(n)
    )


def a_write(personas):
    """An audited write, as every service makes (it bumps the data version)."""
    record(actor=personas["coordinator"], action=AuditAction.UNIT_UPDATED, details={})


def csv_total(client) -> str:
    lines = client.get(CSV, Q4).content.decode().splitlines()
    return next(line for line in lines if line.startswith("Total")).split(",")[1]


def waiting():
    return DBTaskResult.objects.filter(task_path=reports_rebuild.module_path, status="READY")


def counted() -> int:
    """Contacts the last build counted (before protection: late entries included)."""
    return sum(builds.current().cube.populations["contacts"].tables[0].counts.values())


def test_a_fresh_install_says_the_figures_are_being_prepared(client_for, personas, frozen):
    add_contacts(personas["supporter"], 30)
    client = client_for("chief")
    waiting().delete()  # the personas' own writes queued one: start from none
    for url in (DASHBOARD, CSV, PDF):
        response = client.get(url, Q4)
        assert response.status_code == 200
        page = response.content.decode()
        assert "The figures are being prepared" in page
        assert 'role="status"' in page
        assert 'href="/reports/' in page and "Check again" in page
    assert "refreshes by itself" in client.get(DASHBOARD).content.decode()
    assert waiting().count() == 1  # queued by the first view, once
    assert not Build.objects.filter(number__gt=0).exists()
    frozen.shift(1)
    run_worker()
    page = client.get(DASHBOARD, Q4).content.decode()
    assert "Figures as of 10 February 2026, 06:00" in page
    assert "Contacts by mode" in page
    assert csv_total(client) == "30"


def test_views_after_a_write_show_the_last_figures_and_build_nothing(
    client_for, personas, frozen, monkeypatch
):
    add_contacts(personas["supporter"], 30)
    build()
    client = client_for("coordinator")
    assert csv_total(client) == "30"
    # Twelve more contacts, and an audited write (services make one with every change).
    add_contacts(personas["supporter"], 12, day=datetime.date(2026, 1, 20))
    a_write(personas)
    assert waiting().count() == 1

    def refused(**kwargs):
        raise AssertionError("a request built the cube")

    with monkeypatch.context() as patched:
        patched.setattr(selectors, "cube", refused)
        page = client.get(DASHBOARD, Q4).content.decode()
        assert "Figures as of 10 February 2026, 06:00" in page  # the previous figures
        assert csv_total(client) == "30"
        assert client.get(PDF, Q4).status_code == 200
        assert counted() == 30
        assert run_worker() == []  # debounced: not due yet
    frozen.shift(60)
    assert run_worker() == [{"built": 2, "rendered": 5}]
    assert counted() == 42
    assert "Figures as of 10 February 2026, 06:01" in client.get(DASHBOARD, Q4).content.decode()


def test_a_burst_of_writes_makes_one_build(personas, frozen):
    build()
    waiting().delete()
    for _ in range(5):
        a_write(personas)
    assert waiting().count() == 1
    frozen.shift(builds.DEBOUNCE_SECONDS + 1)
    assert run_worker() == [{"built": 2, "rendered": 5}]
    assert Build.objects.get().number == 2
    # Nothing changed since: the tick and a stray task build nothing.
    reports_rebuild.enqueue()
    assert run_worker() == [{"built": None}]
    assert reports_tick.call() == {"built": None}


def test_a_restart_still_rebuilds(personas, frozen):
    """The queued rebuild is a row in the database: a worker started later (a new process,
    nothing in memory) runs it; and a lost task is made up by the tick."""
    build()
    a_write(personas)
    builds._memo.clear()  # a new process
    frozen.shift(builds.DEBOUNCE_SECONDS + 1)
    assert run_worker() == [{"built": 2, "rendered": 5}]
    a_write(personas)
    DBTaskResult.objects.all().delete()  # the task was lost
    assert builds.stale()
    assert reports_tick.call() == {"built": 3, "rendered": 5}
    assert not builds.stale()


def test_two_builders_never_build_at_once(personas, frozen):
    build()
    a_write(personas)
    Build.objects.filter().update(claimed_at=timezone.now())  # another builder at work
    assert builds.rebuild() is None
    assert Build.objects.get().number == 1
    frozen.shift(builds.LEASE + datetime.timedelta(seconds=1))  # it died: its lease ran out
    assert builds.rebuild() == 2
    assert Build.objects.get().claimed_at is None


def test_a_new_threshold_or_grace_makes_the_tick_rebuild(settings, personas):
    build()
    assert reports_tick.call() == {"built": None}
    settings.REPORTS_SUPPRESSION_THRESHOLD += 1
    assert reports_tick.call() == {"built": 2, "rendered": 5}
    settings.REPORTS_PERIOD_GRACE_DAYS += 1
    assert reports_tick.call() == {"built": 3, "rendered": 5}
    assert Build.objects.count() == 1


def test_the_day_changing_makes_a_rebuild_and_the_new_year_appears(client_for, personas, settings):
    """Built on 31 December; on 1 January the views still show that build until the worker's
    tick sees the day changed and builds again: 2025 is over and closed (no grace), and the
    picker offers it."""
    settings.REPORTS_PERIOD_GRACE_DAYS = 0
    client = client_for("coordinator")
    add_contacts(personas["supporter"], 30, day=datetime.date(2025, 12, 3))
    with time_machine.travel(datetime.datetime(2025, 12, 31, 18, tzinfo=datetime.UTC), tick=False):
        build()
        page = client.get(DASHBOARD).content.decode()
        assert '<option value="2025"' not in page
    with time_machine.travel(datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC), tick=False):
        assert '<option value="2025"' not in client.get(DASHBOARD).content.decode()
        assert builds.stale()
        assert reports_tick.call() == {"built": 2, "rendered": 5}
        page = client.get(DASHBOARD).content.decode()
        assert '<option value="2025"' in page
        assert "Program reports: Q4 2025" in page
        assert builds.current().cube.today == datetime.date(2026, 1, 1)


def test_outputs_are_rendered_once_per_build_and_dropped_with_it(client_for, personas, monkeypatch):
    add_contacts(personas["supporter"], 30)
    build()
    client = client_for("chief")
    assert client.get(PDF, Q4).status_code == 200
    assert client.get(DASHBOARD, Q4).status_code == 200
    assert client.get(CSV, Q4).status_code == 200
    assert Rendered.objects.filter(build=1).count() == 3

    from peersupport.reports import outputs

    def refused(*args, **kwargs):
        raise AssertionError("rendered twice")

    with monkeypatch.context() as patched:
        patched.setattr(outputs, "pdf_bytes", refused)
        patched.setattr(outputs.report, "build", refused)
        pdf = client.get(PDF, Q4)
        assert pdf.content.startswith(b"%PDF")
        assert pdf["Content-Type"] == "application/pdf"
        assert client.get(DASHBOARD, Q4).status_code == 200
        assert csv_total(client) == "30"
    build()
    assert not Rendered.objects.filter(build=1).exists()
    assert Build.objects.count() == 1


class _Hostile:
    def __reduce__(self):
        return (_ran, ("code ran",))


_hostile_ran: list[str] = []


def _ran(what: str) -> None:
    _hostile_ran.append(what)


def test_a_cube_a_database_writer_wrote_is_never_loaded_and_is_built_again(
    client_for, personas, frozen
):
    """Someone who can write to the database but has no key replaces the cube with a pickle
    that would run code in every process that loads it (and those hold the keys), or with
    figures of their own. No process loads it; readers are told the figures are being
    prepared, and the worker builds them again."""
    add_contacts(personas["supporter"], 30)
    build()
    client = client_for("chief")
    real = bytes(Build.objects.get().cube)
    for forged in (pickle.dumps(_Hostile()), real[:32] + pickle.dumps(_Hostile()), real[32:]):
        Build.objects.filter().update(cube=forged)
        builds._memo.clear()  # a process that has not loaded this build yet
        page = client.get(DASHBOARD, Q4).content.decode()
        assert "The figures are being prepared" in page
        assert _hostile_ran == []
        assert builds.stale()
        frozen.shift(1)
        run_worker()
        assert csv_total(client) == "30"
    assert _hostile_ran == []


def test_an_output_changed_or_moved_in_the_database_is_never_served(client_for, personas):
    """Rendered outputs are shown as they are (the dashboard's HTML unescaped). A database
    writer who puts a script in one, or moves the coordinator's more detailed report to the
    committee's key, has it rendered again instead."""
    add_contacts(personas["supporter"], 30)
    build()
    committee, staff = client_for("committee_member"), client_for("coordinator")
    committee_page = _shown(committee)
    assert staff.get(DASHBOARD, Q4).status_code == 200
    rows = {row.key: row for row in Rendered.objects.filter(build=1)}
    committee_key = next(key for key in rows if key.startswith("html:committee:"))
    staff_key = next(key for key in rows if key.startswith("html:staff:"))
    assert bytes(rows[staff_key].content) != bytes(rows[committee_key].content)
    injected = bytes(rows[committee_key].content)[:32] + b"<script>steal()</script>"
    Rendered.objects.filter(pk=rows[committee_key].pk).update(content=injected)
    assert _shown(committee) == committee_page
    # The staff's fragment, sealed for the staff's key, moved to the committee's.
    Rendered.objects.filter(pk=rows[committee_key].pk).update(content=rows[staff_key].content)
    assert _shown(committee) == committee_page
    # Rendered again, the row holds the committee's own fragment once more.
    assert bytes(Rendered.objects.get(pk=rows[committee_key].pk).content) == bytes(
        rows[committee_key].content
    )


def _shown(client) -> str:
    """The dashboard, without what changes with every response (script nonce, form token)."""
    page = client.get(DASHBOARD, Q4).content.decode()
    return re.sub(r'(nonce|csrfmiddlewaretoken" value)="[^"]*"', "", page)


def test_an_older_build_put_back_as_current_is_refused(client_for, personas, frozen):
    """A database writer who kept an older build's row puts it back, with the data version,
    day and settings of the current one so that it does not look stale: its seal names what it
    saw, so it is refused and the figures are built again."""
    add_contacts(personas["supporter"], 30)
    build()
    old = Build.objects.values("token", "cube").get()
    add_contacts(personas["supporter"], 12, day=datetime.date(2025, 12, 1))
    a_write(personas)
    build()
    Build.objects.filter().update(**old)
    builds._memo.clear()
    client = client_for("chief")
    assert "The figures are being prepared" in client.get(DASHBOARD, Q4).content.decode()
    assert builds.stale()
    frozen.shift(builds.DEBOUNCE_SECONDS + 1)  # the write's own rebuild is due by then
    run_worker()
    assert "The figures are being prepared" not in client.get(DASHBOARD, Q4).content.decode()
    assert counted() == 42  # the new build's figures, not the old one's 30


def test_figures_that_would_not_load_back_never_land(personas, monkeypatch):
    """A cube holding a class of a module the unpickler is not told of would be refused by
    every reader and built again for ever: the build fails loudly instead."""
    add_contacts(personas["supporter"], 3)
    monkeypatch.setattr(builds, "CUBE_MODULES", ("peersupport.reports.periods",))
    with pytest.raises(RuntimeError, match="do not load back"):
        build()
    assert not Build.objects.filter(number__gt=0).exists()
