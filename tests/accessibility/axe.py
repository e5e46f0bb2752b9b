"""Running axe-core in a page and walking the page matrix's pages with it.

axe-core (a development package of the front end, ``frontend/node_modules/axe-core``) comes in
as a Playwright init script: the pages' Content-Security-Policy (``script-src 'self'``) refuses
an inline ``<script>``, but an init script is added by the browser itself, so each document is
checked under the policy it is served with.
"""

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.helpers import ARTEFACTS

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
REPORTS = ARTEFACTS / "accessibility"

RUN_AXE = r"""async ([tags, only]) => {
  const context = only ? {include: [[only]]} : document;
  const results = await axe.run(context, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 8).map((n) => n.target.join(' ')),
    why: (v.nodes[0].failureSummary || '').replace(/\s+/g, ' ').slice(0, 300),
    count: v.nodes.length,
  }));
}"""

# An htmx answer put where it belongs: each top-level element whose id the page holds replaces
# its namesake (as htmx's swaps by id and out of band do); the rest becomes <main>'s content.
# Each element placed is marked, for axe to check only what arrived; the page as it was is kept
# to be put back.
FRAGMENT = "[data-axe-fragment]"
PLACE_FRAGMENT = """(html) => {
  window.axePageBefore = window.axePageBefore || document.body.innerHTML;
  const template = document.createElement('template');
  template.innerHTML = html;
  const main = document.querySelector('main');
  const rest = [];
  for (const element of [...template.content.children]) {
    element.setAttribute('data-axe-fragment', '');
    const old = element.id && document.getElementById(element.id);
    if (old) { old.replaceWith(element); } else { rest.push(element); }
  }
  if (rest.length) { main.replaceChildren(...rest); }
}"""
RESTORE_PAGE = """() => {
  if (window.axePageBefore) { document.body.innerHTML = window.axePageBefore; }
  window.axePageBefore = null;
}"""

# The page's own fetch, as htmx would ask: its cookies, its CSRF token (``<body hx-headers>``).
FETCH = """async ([url, method]) => {
  const headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
  headers['HX-Request'] = 'true';
  headers['HX-Current-URL'] = location.href;
  const init = {method, headers, redirect: 'manual'};
  if (method === 'POST') { init.body = new URLSearchParams(); }
  const response = await fetch(url, init);
  return {status: response.status, type: response.headers.get('content-type') || '',
          text: response.type === 'opaqueredirect' ? '' : await response.text()};
}"""

# No htmx request under way (what a page asks for on load, e.g. the amendment builder's
# what-if, dims its target while it waits).
SETTLED = "() => !document.querySelector('.htmx-request')"

FILE = re.compile(r"\.\w+$")  # an export's route (".csv", ".xlsx", ".pdf"): not a page


@dataclass
class Findings:
    """What axe found as one kind of user in one language."""

    role: str
    language: str
    failures: list[str] = field(default_factory=list)  # serious or critical
    minor: list[str] = field(default_factory=list)  # moderate or minor, for the report
    checked: list[str] = field(default_factory=list)  # each document or fragment checked
    problems: list[str] = field(default_factory=list)  # a page the walk could not reach

    def note(self, where: str, violations: list[dict]) -> None:
        self.checked.append(where)
        for violation in violations:
            line = (
                f"[{violation['impact']}] {violation['id']}: {violation['help']} | {where} | "
                f"as {self.role}, in {self.language} | {violation['count']} node(s): "
                + "; ".join(violation["targets"])
                + f" | {violation['why']}"
            )
            (self.failures if violation["impact"] in FAILING else self.minor).append(line)

    def save(self) -> Path:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"{self.role}-{self.language}.json"
        path.write_text(json.dumps(vars(self), indent=2, ensure_ascii=False))
        return path

    def summary(self) -> str:
        return "\n".join(
            [f"{len(self.checked)} documents and fragments checked", *self.problems, *self.failures]
        )


def axe_check(page, findings: Findings, where: str, only: str = "") -> None:
    """Run axe-core over what the page shows once its htmx requests are answered (or only over
    the elements ``only`` selects) and note its violations."""
    page.wait_for_function(SETTLED)
    started = time.monotonic()
    violations = page.evaluate(RUN_AXE, [TAGS, only])
    findings.note(f"{where} ({time.monotonic() - started:.1f}s)", violations)


def page_fetch(page, url: str, method: str) -> dict:
    return page.evaluate(FETCH, [url, method])


def is_fragment(answer: dict) -> bool:
    """An HTML answer that is a part of a page, not a whole document."""
    text = answer["text"].lstrip().lower()
    whole = text.startswith(("<!doctype", "<html"))
    return "text/html" in answer["type"] and bool(text) and not whole


def fragment_check(page, findings: Findings, answer: dict, where: str) -> None:
    """The fragment put into the page, checked (within the page: ids, landmarks), and the page
    put back as it was."""
    page.evaluate(PLACE_FRAGMENT, answer["text"])
    axe_check(page, findings, where, only=FRAGMENT)
    page.evaluate(RESTORE_PAGE)
