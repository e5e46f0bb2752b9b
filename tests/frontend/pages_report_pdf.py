"""The compliance report's PDF (as the API's project-compliance-report): the project's
officers, managers and administrators; a partner contact who sees the project is refused with
the reason."""

from tests.frontend.pages import see_but

PAGES = {
    "compliance_report_pdf": {"get": see_but(partner_contact="403", other_partner="403")},
}
