"""Work-plan tests run on a small grant built with factories, on the demo's calendar so that the
days they travel to mean the same: it starts on 2024-03-01 and runs 48 months. GAUJA
coordinates (the manager acts for it), ZILEMED (the partner contact's organisation) and LVTDA
are beneficiaries. D1.1 (WP1, lead GAUJA) is due in M3, on 2024-05-31; D5.4 (WP5, lead ZILEMED)
in M28, on 2026-06-30; milestone MS1 (WP1, GAUJA) in M2; MS8 (WP7, LVTDA) in M27. The users
are tests/conftest.py's ``grant_users``; the tests travel to TODAY, 2026-05-04."""

import pytest

from backend.grants.models import Project
from backend.workplan.models import Deliverable, Milestone
from tests import factories
from tests.workplan.helpers import TODAY, at


@pytest.fixture
def grant(db) -> Project:
    project = factories.consortium(acronym="MINICOVE", work_packages=1, **factories.DEMO_CALENDAR)
    zilemed = project.participations.get(short_name="ZILEMED")
    lvtda = project.participations.get(short_name="LVTDA")
    wp5 = factories.WorkPackageFactory(project=project, number=5, lead=zilemed)
    factories.DeliverableFactory(
        work_package=wp5,
        code="D5.4",
        title="Portfolio of learner-enterprise prototypes",
        lead=zilemed,
        type="DEM",
        due_month=28,
    )
    wp7 = factories.WorkPackageFactory(project=project, number=7, lead=lvtda)
    factories.MilestoneFactory(
        project=project,
        code="MS8",
        lead=lvtda,
        due_month=27,
        work_packages=[wp7],
        title="Sustainable funding strategy adopted",
    )
    return project


@pytest.fixture
def today():
    with at(TODAY):
        yield TODAY


@pytest.fixture
def d11(grant) -> Deliverable:
    return grant.deliverables.get(code="D1.1")


@pytest.fixture
def d54(grant) -> Deliverable:
    return grant.deliverables.get(code="D5.4")


@pytest.fixture
def ms1(grant) -> Milestone:
    return grant.milestones.get(code="MS1")
