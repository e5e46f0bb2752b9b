"""The Content-Security-Policy in the browser: the header allows no inline script, an inline
script or style attribute is refused and reported (so the page fixture, which fails a test on
any report, would catch one in a journey), and what the pages compute (the timeline's layout,
Swagger UI) still works under it."""

import re

from backend.grants.models import Project
from tests.browser.conftest import CSP_VIOLATION
from tests.browser.helpers import BROWSER_TEST, sign_in

pytestmark = BROWSER_TEST


def _directives(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


def test_the_sign_in_page_is_sent_with_a_policy_that_allows_no_inline_script(page, site):
    response = page.goto(f"{site}/login/")

    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert page.get_by_label("User name").is_visible()


def test_an_inline_script_is_refused_and_reported(page, site, page_problems):
    page.goto(f"{site}/login/")

    with page.expect_console_message(lambda message: message.text.startswith(CSP_VIOLATION)):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineScriptRan = true;";
                document.body.append(script);
            }"""
        )

    assert page.evaluate("() => window.inlineScriptRan") is None
    assert any(
        problem.startswith(f"{CSP_VIOLATION} script-src-elem blocked inline")
        for problem in page_problems
    ), page_problems
    page_problems.clear()  # provoked on purpose


def test_a_style_attribute_is_refused_but_a_style_set_by_script_is_not(page, site, page_problems):
    page.goto(f"{site}/login/")

    with page.expect_console_message(lambda message: message.text.startswith(CSP_VIOLATION)):
        colours = page.evaluate(
            """() => {
                const attribute = document.createElement("p");
                attribute.setAttribute("style", "color: rgb(255, 0, 0)");
                const cssom = document.createElement("p");
                cssom.style.color = "rgb(0, 128, 0)";
                document.body.append(attribute, cssom);
                return [getComputedStyle(attribute).color, getComputedStyle(cssom).color];
            }"""
        )

    assert colours[0] != "rgb(255, 0, 0)"
    assert colours[1] == "rgb(0, 128, 0)"
    marked = [problem for problem in page_problems if problem.startswith(CSP_VIOLATION)]
    assert len(marked) == 1, page_problems
    assert marked[0].startswith(f"{CSP_VIOLATION} style-src-attr blocked inline at {site}/login/")
    page_problems.clear()  # provoked on purpose


def test_the_timeline_is_laid_out_from_its_data_attributes(page, site):
    project = Project.objects.get(acronym="CARETECH")
    sign_in(page, site, "manager")

    page.goto(f"{site}/projects/{project.pk}/")
    page.wait_for_load_state("networkidle")

    bars = page.locator(".tl-bar.rp").evaluate_all(
        """bars => bars.map(bar => [
            bar.dataset.tlCol, bar.dataset.tlSpan,
            getComputedStyle(bar).gridColumnStart, getComputedStyle(bar).gridColumnEnd,
        ])"""
    )
    assert len(bars) == 3
    for column, span, start, end in bars:
        assert (start, end) == (column, f"span {span}")
    months = page.locator(".tl").evaluate(
        "tl => getComputedStyle(tl).getPropertyValue('--tl-months')"
    )
    assert months.strip() == str(project.duration_months)
    # the month columns share the width: month 48 sits to the right of month 1
    first, last = (
        page.locator(".tl-month").nth(index).bounding_box()
        for index in (0, project.duration_months - 1)
    )
    assert last["x"] > first["x"] + 40 * first["width"]


def test_the_api_docs_render_under_the_policy(page, site):
    response = page.goto(f"{site}/api/docs/")

    assert (
        "'unsafe-inline'"
        not in _directives(response.headers["content-security-policy"])["script-src"]
    )
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert re.match(r"Grantwatch API", title.inner_text())
    page.locator(".opblock-tag").first.wait_for()
