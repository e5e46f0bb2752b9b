"""The navigation every page shows: one entry per kind of work the user does."""

from django.urls import reverse
from django.utils.translation import gettext as _

from backend.accounts.selectors import role_pairs
from frontend.access import is_partner_contact, managed_project_ids, officer_only


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    roles = role_pairs(user)
    links = []
    if officer_only(user):
        links.append((reverse("frontend:portfolio"), _("Portfolio")))
    managed = managed_project_ids(roles)
    if len(managed) == 1:
        links.append((reverse("frontend:project_home", args=[managed[0]]), _("My project")))
    if is_partner_contact(roles):
        links.append((reverse("frontend:my_tasks"), _("My tasks")))
    links.append((reverse("frontend:project_list"), _("Projects")))
    if user.is_staff:
        links.append((reverse("admin:index"), _("Administration")))
    path = request.path
    projects = reverse("frontend:project_list")
    return {
        "nav_links": [
            {
                "url": url,
                "label": label,
                "current": path == url or (url != projects and path.startswith(url)),
            }
            for url, label in links
        ]
    }
