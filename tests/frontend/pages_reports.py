"""The periodic-report pages, the contribution form and "my tasks": the same answers as the
API's ``report-*`` entries in tests/test_permission_matrix.py (RP1's report is submitted in
the matrix's world; the contribution is ZILEMED's, not written yet)."""

from tests.frontend.pages import SIGNED_IN, expect, see_but

# Compose and submit: the project's managers and administrators.
COMPOSERS = see_but(partner_contact="403", other_partner="403", officer="403")
# Approve or request changes: the project's officers and administrators.
REVIEWERS = see_but(partner_contact="403", other_partner="403", manager="403")

PAGES = {
    "my_tasks": {"get": expect(**SIGNED_IN)},
    "reports": {"get": see_but()},
    "report": {"get": see_but()},
    "report_save": {"post": COMPOSERS},
    "report_declare": {"post": COMPOSERS},
    "report_justify": {"post": COMPOSERS},
    "report_submit": {"post": COMPOSERS},
    "report_approve": {"post": REVIEWERS},
    "report_request_changes": {"post": REVIEWERS},
    "report_request_information": {"post": REVIEWERS},
    # no information request is open: the managers are let through (to a 409)
    "report_answer_information": {"post": COMPOSERS},
    "report_version": {"get": see_but()},
    # ZILEMED's draft: its own contact, the managers and administrators see it
    "contribution": {
        "get": see_but(other_partner="404", officer="404"),
        "post": see_but(other_partner="404", officer="404", manager="403"),
    },
    "contribution_lock": {"post": see_but(other_partner="404", officer="404", manager="403")},
    "contribution_unlock": {
        "post": see_but(partner_contact="403", other_partner="404", officer="404")
    },
}
