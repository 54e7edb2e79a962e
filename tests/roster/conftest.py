"""Fixtures of the roster tests: photos in a folder of the test, a department roster."""

import pytest

from peersupport.accounts.models import Employee, Unit

from ..factories import LanguageFactory, UnitFactory
from .helpers import A, Availability, Gender, make_supporter


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos go to a folder of this test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def spanish():
    return LanguageFactory(code="es", name="Spanish")


@pytest.fixture
def roster(dept, spanish):
    """Supporters across the department, in and out of the employee persona's work group."""
    jail = UnitFactory(name="County Jail", kind=Unit.Kind.BUREAU, parent=dept.hq)
    records = UnitFactory(name="Records Section", kind=Unit.Kind.PRECINCT, parent=dept.hq)
    return {
        "garcia": make_supporter(
            dept.squad,
            first="Ana",
            last="Garcia",
            languages=[spanish],
            areas=[A.GRIEF_LOSS, A.CRITICAL_INCIDENTS],
            gender=Gender.WOMAN,
            show_gender=True,
        ),
        "okafor": make_supporter(
            records,
            first="Ben",
            last="Okafor",
            employee_type=Employee.Type.CIVILIAN,
            areas=[A.FINANCES],
            gender=Gender.MAN,
            show_gender=False,
            availability=Availability.BUSY,
        ),
        "lindqvist": make_supporter(
            jail,
            first="Cara",
            last="Lindqvist",
            employee_type=Employee.Type.CORRECTIONS,
            areas=[A.SUBSTANCE_USE, A.GRIEF_LOSS],
            availability=Availability.OFF,
        ),
    }
