"""Every page and partial of the page matrix a kind of user may open, each form's refusal of an
empty post among them, checked with axe-core.

The pages come from ``tests/frontend/pages_*.py`` (through ``test_page_matrix``): a route the
matrix lets a role through (``ok``) is opened as that role, with its URL arguments taken from
the demo (``demo_values``).
"""

import re

from django.test import Client

from tests.accessibility.axe import (
    FILE,
    Findings,
    axe_check,
    fragment_check,
    is_fragment,
    page_fetch,
)
from tests.frontend.test_page_matrix import PAGES, ROUTES

CSRF_TOKEN = "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
# Where a form's target is named in a page.
TARGETS = """() => [...document.querySelectorAll('[action], [hx-post]')].map(
  (element) => new URL(element.getAttribute('hx-post') || element.getAttribute('action'),
                       location.href).pathname)"""


def routes_for(role: str, method: str) -> list[str]:
    """The url names the page matrix lets ``role`` through with ``method``, in its order."""
    return [name for name, methods in PAGES.items() if methods.get(method, {}).get(role) == "ok"]


def url_of(name: str, values: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), ROUTES[name])


def sign_in(context, site: str, user) -> None:
    """The browser carries a session of ``user`` (signed in by Django's test client: the sign-in
    page's own check is its own)."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )


def walk(page, site: str, findings: Findings, values: dict) -> None:
    """Check each page the role may open (and its htmx partial, where it answers one), and the
    answer to an empty post of each form the role may post: from the page that holds the form,
    right after that page is checked, or else from the page it belongs to (``post_checks``)."""
    targets: dict[str, str] = {}
    left = {
        url_of(name, values.get(name, values["*"])): name
        for name in routes_for(findings.role, "post")
    }
    whole = []
    for name in routes_for(findings.role, "get"):
        path = url_of(name, values.get(name, values["*"]))
        if FILE.search(path):
            continue
        if _page_check(page, site, findings, f"GET {path} ({name})", path):
            here = page.evaluate(TARGETS)
            targets.update(dict.fromkeys(here, path))
            _partial_check(page, findings, name, path)
            posts = [(left.pop(target), target) for target in dict.fromkeys(here) if target in left]
            whole += _htmx_posts(page, findings, posts, path)
    rest = [(name, path) for path, name in left.items()]
    post_checks(page, site, findings, rest, targets, whole)


def _page_check(page, site: str, findings: Findings, where: str, path: str, axe=True) -> bool:
    response = page.goto(site + path, wait_until="load")
    final = page.url.removeprefix(site)
    sent_to_sign_in = final.startswith("/login/") and not path.startswith("/login/")
    if response is None or response.status != 200 or sent_to_sign_in:
        status = response.status if response else "no answer"
        findings.problems.append(f"{where} answered {status} at {final}: not the page")
        return False
    if axe:
        axe_check(page, findings, where)
    return True


def _partial_check(page, findings: Findings, name: str, path: str) -> None:
    """The page's htmx answer, where it is a fragment, put into the page and checked."""
    answer = page_fetch(page, path, "GET")
    if answer["status"] == 200 and is_fragment(answer):
        fragment_check(page, findings, answer, f"GET {path} ({name}, htmx partial)")


def _parent(path: str, targets: dict[str, str]) -> str:
    """The page a post belongs to: the page with a form that posts to it, else the longest page
    path it extends, else the home page."""
    if path in targets:
        return targets[path]
    pages = sorted(set(targets.values()), key=len, reverse=True)
    return next((page_path for page_path in pages if path.startswith(page_path)), "/")


def post_checks(page, site, findings: Findings, posts: list, targets: dict, whole=()) -> None:
    """Each empty post (``posts``: url name, path) as htmx sends it from its page (``_parent``):
    a fragment (the form with its errors, a refusal) is put in the page and checked; a whole page
    in answer is opened as a plain form's post answers it and checked (with those of ``whole``,
    found so already); a redirect is a success."""
    parents: dict[str, list] = {}
    for name, path in posts:
        parents.setdefault(_parent(path, targets), []).append((name, path))
    whole = list(whole)
    for parent, group in parents.items():
        if _page_check(page, site, findings, f"GET {parent}", parent, axe=False):
            whole += _htmx_posts(page, findings, group, parent)
    _plain_posts(page, site, findings, whole)


def _htmx_posts(page, findings: Findings, posts: list, parent: str) -> list:
    """The posts' htmx answers that are fragments, checked in the page; those that answer with a
    whole page, returned."""
    whole = []
    for name, path in posts:
        answer = page_fetch(page, path, "POST")
        if is_fragment(answer):
            where = f"POST {path} ({name}, htmx, {answer['status']}) in {parent}"
            fragment_check(page, findings, answer, where)
        elif answer["text"]:
            whole.append((name, path))
    return whole


def _plain_posts(page, site: str, findings: Findings, posts: list) -> None:
    if posts:
        token = page.evaluate(CSRF_TOKEN)
        for name, path in posts:
            _plain_post_check(page, site, findings, name, path, token)


def _plain_post_check(page, site: str, findings: Findings, name: str, path: str, token) -> None:
    def as_post(route):
        headers = {**route.request.headers, "content-type": "application/x-www-form-urlencoded"}
        route.continue_(method="POST", post_data="", headers={**headers, "x-csrftoken": token})

    page.route(site + path, as_post, times=1)
    response = page.goto(site + path, wait_until="load")
    if response is None or response.request.method != "POST":
        return  # sent elsewhere (a success's redirect)
    answer = {"type": response.headers.get("content-type", ""), "text": response.text()}
    if "text/html" in answer["type"] and not is_fragment(answer):
        axe_check(page, findings, f"POST {path} ({name}, {response.status})")
