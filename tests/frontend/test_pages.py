"""The sign-in page and the signed-in home page."""

import re
from pathlib import Path

import pytest

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.grantfile.services import grant_file_import
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"


def test_the_login_page_is_served_with_its_form(client):
    response = client.get("/login/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post"' in page
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert '<label for="id_username">' in page
    assert "<main" in page


def test_the_pages_hold_no_inline_script():
    """A strict Content-Security-Policy (script-src 'self') would block inline script: no
    template has an event handler attribute (onchange=, hx-on...) or a script element
    without a source (json_script's data is not run)."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for match in re.finditer(r"\s(on[a-z]+|hx-on[\w:-]*)=|<script(?![^>]*\ssrc=)[^>]*>", text):
            found.append(f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}")
    assert found == []


def test_the_home_page_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_signing_in_leads_home_with_the_users_projects(client, spec_example_bytes):
    project = grant_file_import(content=spec_example_bytes)
    user = UserFactory(username="pm", first_name="Maija", last_name="Ozola")
    ProjectRole.objects.create(
        user=user,
        project=project,
        role="manager",
        participation=project.participations.get(role="coordinator"),
    )

    response = client.post("/login/", {"username": "pm", "password": "pass-word-123"}, follow=True)

    # the manager of one project lands on its home page
    assert response.redirect_chain == [("/", 302), (f"/projects/{project.pk}/", 302)]
    assert "Signed in as Maija Ozola" in response.content.decode()
    listing = client.get("/projects/").content.decode()
    assert "SECOVE" in listing
    assert "101056201" in listing


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("officer", "/portfolio/"),
        ("admin", "/portfolio/"),
        ("manager", "/projects/{demo}/"),
        ("partner_contact", "/tasks/"),
        ("stranger", "/projects/"),
    ],
)
def test_home_sends_each_kind_of_user_to_their_own_page(client, users, demo, who, home):
    client.force_login(users[who])

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == home.format(demo=demo.pk)


def test_a_manager_of_two_projects_is_sent_to_the_list(client, users, other_project):
    manager = users["manager"]
    ProjectRole.objects.create(
        user=manager,
        project=other_project,
        role="manager",
        participation=other_project.participations.get(role="coordinator"),
    )
    client.force_login(manager)

    assert client.get("/")["Location"] == "/projects/"


def test_a_wrong_password_shows_an_error_and_keeps_the_user_name(client):
    UserFactory(username="pm")

    response = client.post("/login/", {"username": "pm", "password": "wrong"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'value="pm"' in page


def test_the_project_list_hides_projects_the_user_has_no_role_on(client, spec_example_bytes):
    grant_file_import(content=spec_example_bytes)
    client.force_login(UserFactory())

    page = client.get("/projects/").content.decode()

    assert "SECOVE" not in page
    assert "No project is assigned to you yet." in page


def test_the_project_list_leads_to_each_projects_home(client, spec_example_bytes):
    project = grant_file_import(content=spec_example_bytes)
    user = UserFactory(is_agency_officer=True)
    ProjectRole.objects.create(user=user, project=project, role=ProjectRoleKind.OFFICER)
    client.force_login(user)

    page = client.get("/projects/").content.decode()

    assert f'<a href="/projects/{project.pk}/">SECOVE</a>' in page
    assert client.get(f"/projects/{project.pk}/").status_code == 200


def test_the_login_page_speaks_latvian_when_asked(client):
    client.cookies["django_language"] = "lv"

    page = client.get("/login/").content.decode()

    assert '<html lang="lv">' in page
    assert "<h1>Pieteikties</h1>" in page


def test_the_language_switcher_changes_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "lv", "next": "/login/"}, follow=True)

    assert "<h1>Pieteikties</h1>" in response.content.decode()


def test_the_projects_page_shows_a_page_of_projects_at_a_time(client, monkeypatch):
    """An administrator sees every project: the list is paged, not one page of thousands."""
    monkeypatch.setattr("frontend.views.PROJECTS_PER_PAGE", 2)
    ProjectFactory(acronym="ALPHA", grant_agreement_number="101900001")
    ProjectFactory(acronym="BRAVO", grant_agreement_number="101900002")
    ProjectFactory(acronym="CHARLIE", grant_agreement_number="101900003")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    first = client.get("/projects/").content.decode()
    second = client.get("/projects/?page=2").content.decode()

    assert "ALPHA" in first
    assert "BRAVO" in first
    assert "CHARLIE" not in first
    assert "Page 1 of 2" in first
    assert 'href="/projects/?page=2"' in first
    assert "CHARLIE" in second
    assert "ALPHA" not in second
    assert "Page 2 of 2" in second
    assert 'rel="prev"' in second
