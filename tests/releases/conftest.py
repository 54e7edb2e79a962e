"""Fixtures of the release tests: the supporter persona active, a request they hold."""

import pytest

from ..matrix.support_supporter import active_supporter, held_request


@pytest.fixture
def supporter(dept):
    user = dept.users["supporter"]
    active_supporter(user)
    return user


@pytest.fixture
def req(supporter):
    return held_request(supporter, name="Pat Quill")
