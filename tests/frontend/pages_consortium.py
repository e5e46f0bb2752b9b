"""The consortium area's pages: the same answers as the API's matching endpoints
(tests/test_permission_matrix.py: project-eligibility, amendment-*).

The matrix world's ``amendment_id`` is a draft, out of sight but for the project's managers
and administrators (as on the API's amendment-detail). The API's matrix asks approve and reject
about a submitted request; the pages are asked about the draft, so those who cannot see drafts
get 404 before any decision right is checked, and the manager, who sees it but does not decide,
403.
"""

from tests.frontend.pages import see_but

# Draft, change and submit requests: the project's managers and administrators.
PROPOSERS = see_but(partner_contact="403", other_partner="403", officer="403")
# The draft itself: out of sight for everyone but its managers and administrators.
DRAFT = see_but(partner_contact="404", other_partner="404", officer="404")
# Approve or reject the draft: hidden as above; the manager sees it but does not decide.
DECIDE_ON_DRAFT = see_but(partner_contact="404", other_partner="404", officer="404", manager="403")

PAGES = {
    "consortium": {"get": see_but()},
    "amendments": {"get": see_but()},
    "amendment_builder": {"get": PROPOSERS, "post": PROPOSERS},
    # as the API's amendment-what-if: managers, the project's officers, administrators
    "amendment_what_if": {"post": see_but(partner_contact="403", other_partner="403")},
    "amendment": {"get": DRAFT, "post": DRAFT},
    "amendment_submit": {"post": DRAFT},
    "amendment_approve": {"post": DECIDE_ON_DRAFT},
    "amendment_reject": {"post": DECIDE_ON_DRAFT},
}
