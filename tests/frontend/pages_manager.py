"""The project manager's pages (frontend/workplan/views.py): the same answers per role as the
matching API endpoints (tests/test_permission_matrix.py). The matrix world's deliverable is a
draft led by ZILEMED (the partner contact's organisation), with its file."""

from tests.frontend.pages import see_but

# deliverable-evidence: the managers and the lead partner's contacts (and admins)
MANAGE_EVIDENCE = see_but(other_partner="403", officer="403")
# deliverable-submit, milestone-achieve: the managers (and admins)
MANAGERS = see_but(partner_contact="403", other_partner="403", officer="403")
# deliverable-accept, deliverable-request-revision: the project's officers (and admins)
OFFICERS = see_but(partner_contact="403", other_partner="403", manager="403")

PAGES = {
    "project_home": {"get": see_but()},
    "deliverables": {"get": see_but()},
    "deliverable": {"get": see_but()},
    "deliverable_upload": {"post": MANAGE_EVIDENCE},
    "deliverable_delete_file": {"post": MANAGE_EVIDENCE},
    "deliverable_submit": {"post": MANAGERS},
    "deliverable_accept": {"post": OFFICERS},
    "deliverable_request_revision": {"post": OFFICERS},
    "milestones": {"get": see_but()},
    "milestone_achieve": {"post": MANAGERS},
}
