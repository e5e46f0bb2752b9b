"""Periodic-report tests run on a small grant built with factories (the demo itself only in
test_demo_record.py), on the demo's calendar so that the days they travel to (helpers.AFTER_RP1,
DURING_RP1) mean the same: it starts on 2024-03-01 and runs 48 months; RP1 is M1-18 (ends
2025-08-31, report due 2025-10-30), RP2 M19-36, RP3 M37-48 (the balance).

GAUJA coordinates (the manager acts for it), ZILEMED (the partner contact's) and LVTDA (the
other partner's) are beneficiaries, GAUJMALA an associated partner. WP1-WP8 run over the whole
project, each with a deliverable due in M3 (D1.1 ... D8.1); WP1 also has D1.2 (M6), D1.3 (M18,
the one ready_to_submit() leaves late) and D1.4 (M24); WP6 has D6.2-D6.5 (M10, M20, M30, M45).
Eleven are due in RP1: D1.1-D1.3, D2.1-D8.1 and D6.2. The users are tests/conftest.py's
``grant_users``."""

import pytest

from backend.grants.models import Project
from backend.workplan.models import Deliverable
from tests import factories


@pytest.fixture
def grant(db) -> Project:
    project = factories.consortium(acronym="MINICOVE", work_packages=8, **factories.DEMO_CALENDAR)
    wp1, wp6 = (project.work_packages.get(number=number) for number in (1, 6))
    factories.bulk(
        factories.DeliverableFactory,
        [
            {"work_package": wp, "code": f"D{wp.number}.{number}", "due_month": month}
            for wp, number, month in (
                (wp1, 2, 6),
                (wp1, 3, 18),
                (wp1, 4, 24),
                (wp6, 2, 10),
                (wp6, 3, 20),
                (wp6, 4, 30),
                (wp6, 5, 45),
            )
        ],
        position=0,
    )
    # Listed as the grant file lists them: by work package, then number.
    deliverables = list(project.deliverables.order_by("code"))
    for position, deliverable in enumerate(deliverables, start=1):
        deliverable.position = position
    Deliverable.objects.bulk_update(deliverables, ["position"])
    return project
