"""The expected outcome of each web page (and htmx partial) per role, for
``test_page_matrix.py``. Each area lists its own pages in ``tests/frontend/pages_<area>.py``
as ``PAGES = {url name: {method: expect(...)}}``; URL arguments take the same names as the
API's (project_id, deliverable_id, flag_id, number, wp_number, key, participation_id, ...).

Outcomes: ``ok`` (let through: any answer but a redirect to sign in, 403, 404, 405 or a server
error; a form re-shown with errors for the empty input counts as let through), ``login``
(anonymous: redirected to the sign-in page), ``403`` (may see, may not do), ``404``.
"""

ROLES = (
    "anonymous",
    "stranger",
    "other_officer",
    "other_manager",
    "partner_contact",
    "other_partner",
    "manager",
    "officer",
    "admin",
)

# Who sees the demo project's record.
SEE = {
    "partner_contact": "ok",
    "other_partner": "ok",
    "manager": "ok",
    "officer": "ok",
    "admin": "ok",
}


def expect(*, default: str = "404", **roles: str) -> dict[str, str]:
    """Every role not named gets ``default``; anonymous visitors are sent to sign in."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, "login" if role == "anonymous" else default) for role in ROLES}


def see_but(**refusals: str) -> dict[str, str]:
    """The project's people get through; those named get the refusal given instead."""
    return expect(**{**SEE, **refusals})


SIGNED_IN = {"default": "ok"}
# The portfolio pages: agency officers (on any portfolio) and administrators.
OFFICERS = {"default": "403", "other_officer": "ok", "officer": "ok", "admin": "ok"}
