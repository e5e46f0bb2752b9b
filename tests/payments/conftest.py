import pytest

from tests import factories


@pytest.fixture
def users(users, demo):
    """The ``users`` of the demo, and ``payer``: a second agency officer of the demo project,
    who records the payments of what the demo's officer approves (two people see every
    payment)."""
    return {**users, "payer": factories.officer_of(demo, "po2")}
