from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from backend.grants.selectors import project_list


@login_required
def home(request):
    return render(request, "frontend/home.html", {"projects": project_list(user=request.user)})
