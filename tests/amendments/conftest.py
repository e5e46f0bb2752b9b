"""Amendment tests use the shared demo grant and users (tests/conftest.py)."""

import pytest


@pytest.fixture
def manager(users):
    return users["manager"]


@pytest.fixture
def po(users):
    return users["officer"]
