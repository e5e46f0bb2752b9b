"""The project manager's pages: the project home (placeholder until built)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from frontend.access import page_project


@login_required
def project_home(request, project_id: int):
    project = page_project(request, project_id)
    return render(request, "frontend/placeholder.html", {"heading": project.acronym})


urlpatterns = [path("projects/<int:project_id>/", project_home, name="project_home")]
