"""The partner's pages: my tasks (placeholder until built)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def my_tasks(request):
    return render(request, "frontend/placeholder.html", {"heading": "My tasks"})


urlpatterns = [path("tasks/", my_tasks, name="my_tasks")]
