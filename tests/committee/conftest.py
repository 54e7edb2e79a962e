import pytest

from ..factories import UserFactory
from ..matrix.committee import active_supporter, seats


@pytest.fixture
def committee_seats(db):
    return list(seats())


@pytest.fixture
def voters(dept, committee_seats):
    """Five active supporters: the supporter persona and four colleagues."""
    people = [active_supporter(dept.users["supporter"])]
    for n in range(4):
        people.append(active_supporter(UserFactory(email=f"voter{n}@pd.example.org")))
    return people
