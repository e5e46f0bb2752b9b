"""A deliverable's allowed steps (``selectors.deliverable_actions``), which the deliverable page
shows: each one allowed by the deliverable's status and by the step's permission check."""

import pytest

from backend.workplan.selectors import deliverable_actions
from tests.workplan.helpers import make_accepted, make_draft, make_submitted

pytestmark = pytest.mark.django_db

STEPS = ("upload", "delete", "submit", "submit_later", "accept", "request_revision")


def _allowed(actions) -> set[str]:
    return {step for step in STEPS if getattr(actions, step)}


def _bring(deliverable, status: str, users) -> None:
    manager, officer = users["manager"], users["officer"]
    if status == "draft":
        make_draft(deliverable, manager)
    elif status == "submitted":
        make_submitted(deliverable, manager)
    elif status == "accepted":
        make_accepted(deliverable, manager, officer)
    deliverable.refresh_from_db()


@pytest.mark.parametrize(
    ("who", "status", "allowed"),
    [
        ("manager", "pending", {"upload", "submit_later"}),
        ("manager", "draft", {"upload", "delete", "submit"}),
        ("manager", "submitted", set()),
        ("officer", "draft", set()),
        ("officer", "submitted", {"accept", "request_revision"}),
        ("officer", "accepted", set()),
        ("admin", "draft", {"upload", "delete", "submit"}),
        ("admin", "submitted", {"accept", "request_revision"}),
        # D1.1 is led by GAUJA: ZILEMED's contact may not work on its file.
        ("partner_contact", "draft", set()),
        ("stranger", "draft", set()),
    ],
)
def test_the_steps_allowed_follow_the_status_and_the_role(
    d11, grant_users, today, who, status, allowed
):
    _bring(d11, status, grant_users)

    actions = deliverable_actions(user=grant_users[who], deliverable=d11)

    assert _allowed(actions) == allowed
    assert actions.any is bool(allowed)


def test_the_lead_partners_contact_works_on_its_file_but_does_not_submit(d54, grant_users, today):
    make_draft(d54, grant_users["partner_contact"])
    d54.refresh_from_db()

    actions = deliverable_actions(user=grant_users["partner_contact"], deliverable=d54)

    assert _allowed(actions) == {"upload", "delete"}
