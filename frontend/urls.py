from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views
from frontend.account import views as account
from frontend.consortium import views as consortium
from frontend.portfolio import views as portfolio
from frontend.project import report_pdf
from frontend.project import views as project
from frontend.reports import contributions
from frontend.reports import views as reports
from frontend.workplan import views as workplan

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
    # Each area owns its routes: the portfolio, a project's home, its work plan, its reports and
    # the partners' contributions, its consortium and amendments.
    *portfolio.urlpatterns,
    *project.urlpatterns,
    *report_pdf.urlpatterns,
    *workplan.urlpatterns,
    *contributions.urlpatterns,
    *consortium.urlpatterns,
    *reports.urlpatterns,
    *account.urlpatterns,
]
