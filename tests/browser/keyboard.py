"""Keyboard use in a real browser: what the focused element is, Tab and its order, the page's
live region, signing in with keys only. For the keyboard journeys (tests/accessibility)."""

from backend.demo.loading import DEFAULT_DEMO_PASSWORD

ANNOUNCER = "#announcer"

# What the focused element is: its accessible name (as a screen reader words it for links,
# buttons and labelled fields), whether it is on screen, whether its focus shows, and whether
# it comes after the element focused before it in the document (Tab never jumps back).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const clean = (text) => (text || "").replace(/\\s+/g, " ").trim();
  let name = "";
  const labelledBy = el.getAttribute("aria-labelledby");
  if (labelledBy) {
    name = labelledBy.split(/\\s+/).map((id) => {
      const part = document.getElementById(id);
      return part ? part.textContent : "";
    }).join(" ");
  } else if (el.getAttribute("aria-label")) {
    name = el.getAttribute("aria-label");
  } else if (el.labels && el.labels.length) {
    name = el.labels[0].textContent;
  } else {
    name = el.innerText || el.textContent || el.title;
  }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth
    && style.visibility !== "hidden" && style.display !== "none";
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const last = window.__keyboardLast;
  const forward = !last || !last.isConnected || last === el
    || Boolean(last.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  window.__keyboardLast = el;
  return {
    name: clean(name), tag: el.tagName.toLowerCase(), id: el.id,
    href: el.getAttribute("href") || "", type: el.getAttribute("type") || "",
    inMain: Boolean(el.closest("main")), onScreen, indicator: outline || shadow,
    outline: style.outlineStyle + " " + style.outlineWidth, shadow: style.boxShadow, forward,
  };
}"""


def focused_element(page, *, check: bool = True) -> dict:
    """The focused element; with ``check``, it must be visible with its focus showing."""
    focused = page.evaluate(FOCUSED)
    assert focused is not None, "the keyboard is lost: nothing but the page's body has focus"
    if check:
        assert focused["onScreen"], f"the focused element is off screen: {focused}"
        assert focused["indicator"], f"the focused element shows no focus: {focused}"
    return focused


def tab(page) -> dict:
    page.keyboard.press("Tab")
    focused = focused_element(page)
    assert focused["forward"], f"Tab moved focus back up the page: {focused}"
    return focused


def tab_to(page, wanted, *, at: dict | None = None, limit: int = 250) -> tuple[dict, list[str]]:
    """Press Tab until ``wanted(focused)`` holds (unless the element focused now, ``at``,
    is the one); the names passed on the way, in order."""
    if at is not None and wanted(at):
        return at, []
    names = []
    for _ in range(limit):
        focused = tab(page)
        names.append(focused["name"])
        if wanted(focused):
            return focused, names
    raise AssertionError(f"{limit} presses of Tab never reached it; passed {names}")


def new_page(page, url: str | None = None) -> None:
    """A page loaded: focus starts again at its top."""
    if url:
        page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__keyboardLast = null")


def announced(page, text: str) -> None:
    """The live region says ``text`` (it is polite, atomic and outside what was swapped)."""
    region = page.locator(ANNOUNCER)
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("role") == "status"
    page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent.trim() === text",
        arg=[ANNOUNCER, text],
    )


def sign_in_by_keyboard(page, site: str, username: str) -> None:
    new_page(page, f"{site}/login/")
    # the form's first field has the keyboard as the page opens
    assert focused_element(page)["name"] == "User name"
    page.keyboard.type(username)
    assert tab(page)["name"] == "Password"
    page.keyboard.type(DEFAULT_DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)


def header_then_main(page, header: list[str]) -> dict:
    """From the top of a page: the skip link first, then the header's links and controls in
    reading order; the skip link, pressed, puts the keyboard in the main content, whose first
    focusable element Tab then reaches (returned)."""
    reached = [tab(page)["name"] for _ in range(len(header) + 1)]
    assert reached == ["Skip to content", *header]
    page.evaluate("window.__keyboardLast = null")
    page.keyboard.press("Shift+Tab")  # back up to the skip link
    for _ in range(len(header) - 1):
        page.keyboard.press("Shift+Tab")
    assert focused_element(page)["name"] == "Skip to content"
    page.keyboard.press("Enter")
    focused = focused_element(page)
    assert (focused["tag"], focused["id"]) == ("main", "main"), focused
    page.evaluate("window.__keyboardLast = document.activeElement")
    first = tab(page)
    assert first["inMain"], first
    return first
