"""Work-plan tests use the shared demo grant and users (tests/conftest.py). CARETECH starts on
2024-03-01: D1.1 (lead GAUJA, the manager's organisation) is due in M3, on 2024-05-31; D5.4
(lead ZILEMED, the partner contact's organisation) in M28, on 2026-06-30."""

import pytest

from backend.workplan.models import Deliverable, Milestone
from tests.workplan.helpers import TODAY, at


@pytest.fixture
def today():
    with at(TODAY):
        yield TODAY


@pytest.fixture
def d11(demo) -> Deliverable:
    return demo.deliverables.get(code="D1.1")


@pytest.fixture
def d54(demo) -> Deliverable:
    return demo.deliverables.get(code="D5.4")


@pytest.fixture
def ms1(demo) -> Milestone:
    return demo.milestones.get(code="MS1")
