from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import (
    consortium_views,
    manager_views,
    officer_views,
    partner_views,
    report_views,
    views,
)

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="project_list"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="frontend/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Each area owns its routes: the officer's portfolio, the manager's project pages, the
    # partner's tasks, the consortium and amendment pages.
    *officer_views.urlpatterns,
    *manager_views.urlpatterns,
    *partner_views.urlpatterns,
    *consortium_views.urlpatterns,
    *report_views.urlpatterns,
]
