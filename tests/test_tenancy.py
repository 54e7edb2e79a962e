"""The current agency (peersupport/tenancy.py): the context, the scoped manager and the mixin.

No model of the product uses the manager or the mixin yet (step 1 of docs/design/agencies.md),
so they are proven here on two models made for the test: a ``Note`` with its own agency and a
``Line`` that belongs to its note's agency, their tables made for this module and dropped after.
"""

import threading

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from peersupport import tenancy
from peersupport.accounts.models import Agency
from peersupport.tenancy import (
    AgencyManager,
    AgencyOwnedMixin,
    NoAgency,
    WrongAgency,
    all_agencies,
    current_agency_id,
    current_agency_id_or_none,
    using_agency,
)

# The context itself is under test: no agency is entered for these tests (tests/conftest.py).
pytestmark = pytest.mark.no_agency

# --- the context ----------------------------------------------------------------------------


def test_nothing_is_current_by_default():
    assert current_agency_id_or_none() is None
    with pytest.raises(NoAgency):
        current_agency_id()


def test_blocks_nest_and_each_brings_back_the_one_before():
    with using_agency(1):
        assert current_agency_id() == 1
        with using_agency(2):
            assert current_agency_id() == 2
            with all_agencies("a test"):
                assert current_agency_id_or_none() is None
                assert tenancy.is_everywhere()
                with pytest.raises(NoAgency, match="a test"):
                    current_agency_id()
            assert current_agency_id() == 2
        assert current_agency_id() == 1
    assert current_agency_id_or_none() is None


def test_an_exception_leaves_the_block_reset():
    with pytest.raises(ZeroDivisionError), using_agency(7):
        1 / 0  # noqa: B018
    assert current_agency_id_or_none() is None
    with using_agency(1):
        with pytest.raises(ZeroDivisionError), all_agencies("a test"):
            1 / 0  # noqa: B018
        assert current_agency_id() == 1


def test_an_agency_object_or_a_lazy_one_stands_for_its_id():
    from django.utils.functional import SimpleLazyObject

    asked = []

    def load():
        asked.append(1)
        return Agency(pk=5)

    lazy = SimpleLazyObject(load)
    with using_agency(lazy):
        assert not asked  # entering the block reads nothing
        assert current_agency_id() == 5
    with using_agency(Agency(pk=3)):
        assert current_agency_id() == 3
    with pytest.raises(NoAgency), using_agency(Agency()):
        current_agency_id()


def test_an_agency_must_be_named_and_install_wide_work_must_say_why():
    with pytest.raises(TypeError), using_agency(None):
        pass
    with pytest.raises(ValueError, match="reason"), all_agencies(" "):
        pass


def test_another_thread_does_not_see_this_ones_agency():
    seen = []
    with using_agency(4):
        thread = threading.Thread(target=lambda: seen.append(current_agency_id_or_none()))
        thread.start()
        thread.join()
    assert seen == [None]


# --- the manager and the mixin, on models made for the test ---------------------------------


@pytest.fixture(scope="module")
def notes(django_db_setup, django_db_blocker):
    """``Note`` (own agency, AgencyManager first) and ``Line`` (its note's agency), with their
    tables, for this module."""
    with isolate_apps("tests"):

        class Note(AgencyOwnedMixin, models.Model):
            agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
            text = models.CharField(max_length=20)

            objects = AgencyManager()
            everywhere = models.Manager()  # noqa: DJ012  (a manager, which ruff takes for a field)

            class Meta:
                app_label = "tests"

            def __str__(self):
                return self.text

        class Line(models.Model):
            note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="lines")
            text = models.CharField(max_length=20)

            objects = AgencyManager(path="note__agency")

            class Meta:
                app_label = "tests"

            def __str__(self):
                return self.text

    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Note)
            editor.create_model(Line)
        yield Note, Line
        with connection.schema_editor() as editor:
            editor.delete_model(Line)
            editor.delete_model(Note)


@pytest.fixture
def two(db):
    a = Agency.objects.get(is_default=True)
    b = Agency.objects.create(slug="b", name="B County", time_zone="America/Chicago")
    return a, b


def test_the_manager_reads_only_the_current_agencys_rows(notes, two):
    Note, Line = notes
    a, b = two
    with using_agency(a):
        mine = Note.objects.create(text="A's")
        Line.objects.create(note=mine, text="A's line")
    with using_agency(b):
        theirs = Note.objects.create(text="B's")
        Line.objects.create(note=theirs, text="B's line")
    with using_agency(a):
        assert [n.text for n in Note.objects.all()] == ["A's"]
        assert [line.text for line in Line.objects.all()] == ["A's line"]
        with pytest.raises(Note.DoesNotExist):
            Note.objects.get(pk=theirs.pk)
        assert Note._default_manager is Note.objects  # Django's implicit reads are scoped too
    with using_agency(b.pk):
        assert [n.text for n in Note.objects.all()] == ["B's"]
        assert [line.text for line in Line.objects.all()] == ["B's line"]
    with all_agencies("a test"):
        assert Note.objects.count() == 2 and Line.objects.count() == 2
    assert Note.everywhere.count() == 2


def test_a_related_manager_is_scoped_on_the_same_path(notes, two):
    """Django builds ``note.lines`` from the default manager's class with no arguments: it
    still filters through ``note__agency``, not a column ``agency`` Line does not have."""
    Note, Line = notes
    a, b = two
    with using_agency(a):
        mine = Note.objects.create(text="A's")
        Line.objects.create(note=mine, text="A's line")
        assert [line.text for line in mine.lines.all()] == ["A's line"]
        assert mine.lines.model._default_manager.path == "note__agency"
        assert type(mine.lines).__mro__[1] is AgencyManager and mine.lines.path == "note__agency"
    with using_agency(b):  # A's note opened while working for B: none of its lines
        assert list(mine.lines.all()) == []


def test_the_manager_refuses_to_read_with_no_agency(notes, db):
    Note, Line = notes
    with pytest.raises(NoAgency):
        list(Note.objects.all())
    with pytest.raises(NoAgency):
        Line.objects.count()


def test_the_mixin_fills_the_agency_from_the_context(notes, two):
    Note, _ = notes
    a, _b = two
    with using_agency(a):
        note = Note.objects.create(text="x")
    assert note.agency_id == a.pk
    with pytest.raises(NoAgency):
        Note(text="nowhere").save()
    with all_agencies("a test"), pytest.raises(NoAgency):
        Note(text="which one?").save()


def test_the_mixin_refuses_a_row_for_another_agency(notes, two):
    Note, _ = notes
    a, b = two
    with using_agency(a), pytest.raises(WrongAgency):
        Note(agency=b, text="misfiled").save()
    with pytest.raises(NoAgency):
        Note(agency=b, text="no context").save()
    with all_agencies("a test"):  # install-wide work names the agency it writes for
        Note(agency=b, text="for B").save()
    assert Note.everywhere.filter(agency=b).count() == 1


def test_the_mixin_refuses_to_move_a_row_to_another_agency(notes, two):
    Note, _ = notes
    a, b = two
    with using_agency(a):
        note = Note.objects.create(text="stays")
        note.agency = b
        with pytest.raises(WrongAgency):
            note.save()
    with all_agencies("a test"):
        loaded = Note.objects.get(pk=note.pk)
        loaded.agency = b
        with pytest.raises(WrongAgency, match="never changes"):
            loaded.save()
        loaded.agency = a
        loaded.text = "edited"
        loaded.save()
    assert Note.everywhere.get(pk=note.pk).text == "edited"
