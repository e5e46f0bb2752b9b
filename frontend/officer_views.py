"""The agency officer's pages: the portfolio compliance dashboard (placeholder until built)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path

from frontend.access import officer_only


@login_required
def portfolio(request):
    if not officer_only(request.user):
        raise PermissionDenied
    return render(request, "frontend/placeholder.html", {"heading": "Portfolio"})


urlpatterns = [path("portfolio/", portfolio, name="portfolio")]
