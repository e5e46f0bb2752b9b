"""Every web page and partial, every method, every kind of user: the same permissions as the
API (tests/test_permission_matrix.py), on the same world of objects.

A page missing from ``tests/frontend/pages_*.py`` fails ``test_every_page_is_in_the_matrix``.

The refusals' bodies are compared too: a 403 says why (the reason of the permission check, as
an alert), and a 404 shows none of the project's data.
"""

import html
import importlib
import pkgutil
import re

import pytest
import time_machine
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

import tests.frontend
from tests.frontend.pages import ROLES
from tests.test_permission_matrix import (
    hidden_texts,
    world,  # noqa: F401  (the world fixture)
)

pytestmark = pytest.mark.django_db


def _collect() -> dict[str, dict[str, dict[str, str]]]:
    pages: dict[str, dict[str, dict[str, str]]] = {}
    for module in pkgutil.iter_modules(tests.frontend.__path__):
        if module.name.startswith("pages_"):
            area = importlib.import_module(f"tests.frontend.{module.name}")
            duplicated = set(pages) & set(area.PAGES)
            assert not duplicated, f"{module.name} lists pages listed elsewhere: {duplicated}"
            pages.update(area.PAGES)
    return pages


PAGES = _collect()


def _frontend_routes() -> dict[str, str]:
    """url name -> pattern, for every route of the web interface."""
    routes = {}
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "frontend":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                routes[pattern.name] = str(entry.pattern) + str(pattern.pattern)
    return routes


ROUTES = _frontend_routes()
CASES = [(name, method) for name, methods in PAGES.items() for method in methods]


def _url(pattern: str, values: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), pattern)


def _outcome(response) -> str:
    status = response.status_code
    if status == 302 and response["Location"].startswith("/login/"):
        return "login"
    if status in (403, 404):
        return str(status)
    assert status != 405, "the page does not answer this method"
    assert status < 500, status
    return "ok"


ALERT = re.compile(r'<p role="alert">\s*(.*?)\s*</p>', re.DOTALL)


def refusal_problems(response, hidden: tuple[str, ...]) -> list[str]:
    """What is wrong with a refused page (empty: nothing): a 403 without its reason, a 404 (or
    a 403) that shows the project's data."""
    if response.status_code not in (403, 404):
        return []
    text = html.unescape(response.content.decode())
    problems = [f"{response.status_code} shows {secret!r}" for secret in hidden if secret in text]
    if response.status_code == 403:
        reason = ALERT.search(text)
        if reason is None or not reason.group(1).strip():
            problems.append("403 without its reason")
    return problems


def _ask(client, user, method: str, url: str):
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = getattr(client, method)(url, {})
        transaction.set_rollback(True)
    return response


def test_every_page_is_in_the_matrix():
    assert sorted(set(ROUTES) - set(PAGES)) == [], "pages missing from the matrix"
    assert sorted(set(PAGES) - set(ROUTES)) == [], "matrix entries for pages that do not exist"


@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{n}:{m}" for n, m in CASES])
def test_each_role_gets_what_the_page_matrix_says(client, world, name, method):  # noqa: F811
    url = _url(ROUTES[name], world.ids["grant"])
    with time_machine.travel(world.now, tick=False):
        responses = {
            role: _ask(client, None if role == "anonymous" else world.users[role], method, url)
            for role in ROLES
        }
    assert {role: _outcome(response) for role, response in responses.items()} == PAGES[name][method]
    # Whoever may not see the project is refused without a word of it; who may see it but not
    # act is told why.
    outsiders = {role for role, outcome in PAGES[name][method].items() if outcome == "404"}
    hidden = hidden_texts(world, "grant")
    problems = {
        role: found
        for role, response in responses.items()
        if (found := refusal_problems(response, hidden if role in outsiders else ()))
    }
    assert problems == {}


PROJECT_CASES = [(n, m) for n, m in CASES if "<int:project_id>" in ROUTES.get(n, "")]


@pytest.mark.parametrize(
    ("name", "method"), PROJECT_CASES, ids=[f"{n}:{m}" for n, m in PROJECT_CASES]
)
def test_another_projects_pages_are_out_of_sight(client, world, name, method):  # noqa: F811
    url = _url(ROUTES[name], world.ids["other"])
    with time_machine.travel(world.now, tick=False):
        responses = {
            role: _ask(client, world.users[role], method, url)
            for role in ("partner_contact", "other_partner", "manager", "officer")
        }
    assert {role: r.status_code for role, r in responses.items()} == dict.fromkeys(responses, 404)
    hidden = hidden_texts(world, "other")
    problems = {role: refusal_problems(r, hidden) for role, r in responses.items()}
    assert {role: found for role, found in problems.items() if found} == {}
