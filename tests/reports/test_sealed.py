"""Contacts counted once and kept (reports/sealed.py): a build reads only the contacts added
since the last sealed id, and the figures are exactly those of counting every contact again,
whatever the dates of the contacts added (late entries for a closed month included)."""

import datetime
import pickle
import random

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peersupport.crypto import sealing
from peersupport.reports import sealed, selectors
from peersupport.reports.models import SealedCounts
from peersupport.resources.models import Category, Resource
from peersupport.support.models import Contact

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 31, 20, tzinfo=datetime.UTC)  # the last day of a year
HOURS = sealed.SEAL_AFTER + datetime.timedelta(minutes=1)


def _contacts(supporters, resources, days, n, *, seed, pk=None):
    chance = random.Random(seed)
    made = Contact.objects.bulk_create(
        Contact(
            **({"pk": pk + i} if pk is not None else {}),
            supporter=chance.choice(supporters),
            date=chance.choice(days),
            duration_minutes=chance.choice([15, 30, 45]),
            mode=chance.choice(Contact.Mode.values),
            requester_type=chance.choice(Contact.RequesterType.values),
            topics=chance.sample(Contact.Topic.values, chance.randint(0, 3)),
            limits_explained=True,
            notice_version="v1",
            follow_up_planned=chance.random() < 0.3,
        )
        for i in range(n)
    )
    through = Contact.referrals.through
    through.objects.bulk_create(
        through(contact_id=contact.pk, resource_id=resource.pk)
        for contact in made
        for resource in chance.sample(resources, chance.randint(0, 2))
    )
    return made


def _tables(population) -> dict:
    return {table.key: dict(table.counts) for table in population.tables} | {
        "minutes": dict(population.minutes)
    }


def _recounted() -> dict:
    """The tables counted from every contact, as every build did before sealed.py."""
    sealed.forget("contacts")
    tables = _tables(selectors.contacts())
    sealed.forget("contacts")
    return tables


@pytest.fixture
def world(personas):
    supporters = [personas["supporter"], personas["coordinator"], personas["bhs_manager"]]
    resources = [
        Resource.objects.create(name=f"Line {i}", category=category, phone="988")
        for i, category in enumerate([Category.CRISIS_LINE, Category.CRISIS_LINE, Category.OTHER])
    ]
    return supporters, resources


def test_kept_counts_give_the_figures_of_a_full_count_across_the_year_end(world):
    supporters, resources = world
    december = [datetime.date(2026, 12, d) for d in (1, 15, 31)]
    earlier = [datetime.date(2026, 9, 30), datetime.date(2026, 10, 1), datetime.date(2025, 12, 31)]
    with time_machine.travel(START, tick=False) as clock:
        _contacts(supporters, resources, earlier + december, 40, seed=1)
        first = _tables(selectors.contacts())  # notes the newest id, seals nothing yet
        assert first == _recounted_after()
        kept = SealedCounts.objects.get(population="contacts")
        assert kept.sealed_id == 0 and kept.candidate_id == Contact.objects.latest("pk").pk

        clock.shift(HOURS)  # into the new year
        # Late entries dated in closed months, and contacts of the new year.
        _contacts(supporters, resources, earlier + [datetime.date(2027, 1, 1)], 25, seed=2)
        second = _tables(selectors.contacts())  # seals the first forty
        kept.refresh_from_db()
        assert kept.sealed_id == Contact.objects.order_by("pk")[39].pk
        assert second == _recounted_after()

        clock.shift(HOURS)
        _contacts(supporters, resources, december, 10, seed=3)
        third = _tables(selectors.contacts())
        assert third == _recounted_after()
        assert sum(third["total"].values()) == Contact.objects.count() == 75


def _recounted_after() -> dict:
    """A full count, leaving the kept counts as they were."""
    kept = list(SealedCounts.objects.values())
    recounted = _recounted()
    SealedCounts.objects.bulk_create(SealedCounts(**row) for row in kept)
    return recounted


def test_a_build_reads_only_the_contacts_after_the_sealed_id(world):
    supporters, resources = world
    days = [datetime.date(2026, 11, 2)]
    with time_machine.travel(START, tick=False) as clock:
        _contacts(supporters, resources, days, 30, seed=4)
        selectors.contacts()
        clock.shift(HOURS)
        selectors.contacts()  # seals the thirty
        sealed_id = SealedCounts.objects.get(population="contacts").sealed_id
        assert sealed_id == Contact.objects.latest("pk").pk
        with CaptureQueriesContext(connection) as ctx:
            population = selectors.contacts()
    reads = [q["sql"] for q in ctx.captured_queries if "support_contact" in q["sql"]]
    grouped = [sql for sql in reads if "GROUP BY" in sql]
    assert len(grouped) == 4
    for sql in grouped:
        assert f"> {sealed_id}" in sql, sql
    assert sum(population.tables[0].counts.values()) == 30


def test_a_contact_given_a_lower_id_before_the_seal_is_counted_once(world):
    """Ids are handed out before commit: a contact whose transaction was still open when the
    newest id was noted commits later with a lower id. It is read with the tail until the
    seal, then sealed with the rest: counted once all along."""
    supporters, resources = world
    days = [datetime.date(2026, 12, 1)]
    with time_machine.travel(START, tick=False) as clock:
        _contacts(supporters, resources, days, 3, seed=5, pk=100)
        _contacts(supporters, resources, days, 1, seed=6, pk=200)
        selectors.contacts()
        assert SealedCounts.objects.get(population="contacts").candidate_id == 200
        _contacts(supporters, resources, days, 1, seed=7, pk=150)  # the late commit
        assert sum(selectors.contacts().tables[0].counts.values()) == 5
        clock.shift(HOURS)
        assert sum(selectors.contacts().tables[0].counts.values()) == 5
        assert SealedCounts.objects.get(population="contacts").sealed_id == 200
        clock.shift(HOURS)
        assert sum(selectors.contacts().tables[0].counts.values()) == 5


def test_counts_kept_in_another_layout_are_counted_again(world, monkeypatch):
    supporters, resources = world
    with time_machine.travel(START, tick=False) as clock:
        _contacts(supporters, resources, [datetime.date(2026, 12, 1)], 5, seed=8)
        selectors.contacts()
        clock.shift(HOURS)
        selectors.contacts()
        assert SealedCounts.objects.get(population="contacts").sealed_id > 0
        monkeypatch.setattr(sealed, "LAYOUT", sealed.LAYOUT + 1)
        assert sum(selectors.contacts().tables[0].counts.values()) == 5
        kept = SealedCounts.objects.get(population="contacts")
        assert (kept.layout, kept.sealed_id) == (sealed.LAYOUT, 0)


def test_counts_a_database_writer_changed_are_counted_again(world):
    """Someone with write access to the database but not the keys raises the sealed counts
    (or writes a pickle that would run code in the worker): the build counts every contact
    again instead of loading them."""
    supporters, resources = world
    with time_machine.travel(START, tick=False) as clock:
        _contacts(supporters, resources, [datetime.date(2026, 12, 1)], 5, seed=9)
        selectors.contacts()
        clock.shift(HOURS)
        selectors.contacts()
        kept = SealedCounts.objects.get(population="contacts")
        assert kept.sealed_id > 0
        tag, real = kept.counts[: sealing.TAG], pickle.loads(kept.counts[sealing.TAG :])  # noqa: S301
        raised = {part: dict.fromkeys(values, 1000) for part, values in real.items()}
        assert raised and real != raised
        for counts in (
            tag + pickle.dumps(raised),  # the tag of the real counts, other counts
            pickle.dumps(raised),
            tag + pickle.dumps(_Hostile()),
            b"",
        ):
            SealedCounts.objects.filter(pk=kept.pk).update(counts=counts)
            assert sum(selectors.contacts().tables[0].counts.values()) == 5
            assert _hostile_ran == []
        # Counts moved with a higher sealed id (rows skipped): counted again too.
        sealed_id = SealedCounts.objects.get(pk=kept.pk).sealed_id
        SealedCounts.objects.filter(pk=kept.pk).update(sealed_id=sealed_id + 3)
        assert sum(selectors.contacts().tables[0].counts.values()) == 5


_hostile_ran: list[bool] = []


def _ran() -> None:
    _hostile_ran.append(True)


class _Hostile:
    def __reduce__(self):
        return (_ran, ())
