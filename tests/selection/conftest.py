"""Fixtures of the selection tests."""

import pytest

from peersupport.roster import selectors

from ..factories import EmployeeFactory, UserFactory, enable_totp


@pytest.fixture
def no_training_needed(monkeypatch):
    monkeypatch.setattr(selectors, "initial_training_complete", lambda user: True)


@pytest.fixture
def tall_chain(dept):
    """Supervisors at three levels above the squad: squad, precinct, bureau."""
    people = {}
    for unit, name in ((dept.precinct, "Prec"), (dept.bureau, "Bure")):
        user = UserFactory(email=f"{name.lower()}@pd.example.org")
        EmployeeFactory(user=user, unit=unit, first_name=name, work_email=user.email)
        enable_totp(user)
        unit.supervisor = user.employee
        unit.save(update_fields=["supervisor"])
        people[name] = user
    return people
