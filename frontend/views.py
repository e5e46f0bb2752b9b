"""Signing in lands each user on the home of the work they do; the list of their projects."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from backend.accounts.selectors import role_pairs
from backend.grants.selectors import project_list as projects_for
from frontend.access import is_partner_contact, managed_project_ids, officer_only


@login_required
def home(request):
    """Officers and administrators: the portfolio. A manager of one project: its home. A
    partner contact: their tasks. Anyone else: the list of their projects."""
    user = request.user
    if officer_only(user):
        return redirect("frontend:portfolio")
    roles = role_pairs(user)
    managed = managed_project_ids(roles)
    if len(managed) == 1:
        return redirect("frontend:project_home", project_id=managed[0])
    if is_partner_contact(roles) and not managed:
        return redirect("frontend:my_tasks")
    return redirect("frontend:project_list")


PROJECTS_PER_PAGE = 50


@login_required
def project_list(request):
    """The user's projects, a page at a time (an administrator sees every project)."""
    page = Paginator(projects_for(user=request.user), PROJECTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "frontend/project/list.html", {"projects": page, "page": page})
