"""The agency officer's pages: the portfolio (officers and administrators), a project's
compliance page and its deliverables' export (whoever sees the project), and the flags' triage
(as the API's flag-acknowledge and flag-resolve: the project's officers and administrators)."""

from tests.frontend.pages import OFFICERS, expect, see_but

TRIAGE = see_but(partner_contact="403", other_partner="403", manager="403")

PAGES = {
    "portfolio": {"get": expect(**OFFICERS)},
    "portfolio_export_csv": {"get": expect(**OFFICERS)},
    "portfolio_export_xlsx": {"get": expect(**OFFICERS)},
    "project_compliance": {"get": see_but()},
    "deliverables_export_csv": {"get": see_but()},
    "deliverables_export_xlsx": {"get": see_but()},
    "flag_acknowledge": {"post": TRIAGE},
    "flag_resolve": {"post": TRIAGE},
}
