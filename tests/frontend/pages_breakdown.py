"""The Annex 1 and Annex 2 builders' pages: the same people as the amendment builder's
(tests/frontend/pages_consortium.py): drafting for the project's managers and administrators,
trying out for them and the project's officers."""

from tests.frontend.pages import see_but

PROPOSERS = see_but(partner_contact="403", other_partner="403", officer="403")

PAGES = {
    "annex1_builder": {"get": PROPOSERS, "post": PROPOSERS},
    "annex2_builder": {"get": PROPOSERS, "post": PROPOSERS},
    "annex2_what_if": {"post": see_but(partner_contact="403", other_partner="403")},
}
