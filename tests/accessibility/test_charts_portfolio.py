"""The officer's portfolio charts for someone who cannot see them: each canvas is an image whose
accessible name says what it shows and whose description is its table of numbers (as Chromium's
accessibility tree gives them to a screen reader), each table has a caption and header cells,
the table's figures are the ones Chart.js draws, and the colours pass WCAG's contrast: each
series against the chart's background at least 3:1 (1.4.11, non-text), the chart's text 4.5:1
(1.4.3). The colours are read from the drawn charts, not from the source."""

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import browser, page, page_problems, site  # noqa: F401
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in


def browser_test(test):
    """The browser's marks, on the tests that drive it (the ratio's own test needs none)."""
    for mark in BROWSER_TEST:
        test = mark(test)
    return test


CHARTS = ("chart-open-flags", "chart-deliverables", "chart-payments", "chart-instalments")

# What Chart.js draws on a canvas: its labels, each dataset's label, figures and colours, and
# the colours of the text it writes (the default, each scale's ticks and title, the legend).
DRAWN = """(id) => {
  const chart = Chart.getChart(document.getElementById(id));
  const list = (value) =>
    (Array.isArray(value) ? value : [value]).filter((c) => typeof c === "string");
  const text = [["default", chart.options.color]];
  for (const [axis, scale] of Object.entries(chart.scales)) {
    if (scale.options.display === false) continue;
    const ticks = scale.options.ticks;
    if (ticks.display !== false) text.push([axis + " ticks", ticks.color]);
    if (scale.options.title.display) text.push([axis + " title", scale.options.title.color]);
  }
  if (chart.legend && chart.legend.options.display) {
    text.push(["legend", chart.legend.options.labels.color]);
  }
  return {
    labels: chart.data.labels.map(String),
    datasets: chart.data.datasets.map((dataset) => ({
      label: dataset.label,
      data: dataset.data.map(Number),
      colours: [...new Set([...list(dataset.backgroundColor), ...list(dataset.borderColor)])],
    })),
    text: text,
  };
}"""

# The colour behind a canvas: the first of its ancestors with a background that is not clear.
BACKGROUND = """(id) => {
  let element = document.getElementById(id);
  while (element) {
    const colour = getComputedStyle(element).backgroundColor;
    if (colour && colour !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(colour)) return colour;
    element = element.parentElement;
  }
  return "rgb(255, 255, 255)";
}"""

# A table as a screen reader reads it: caption, header cells with their scope, and each row's
# header and cells.
TABLE = """(id) => {
  const table = document.getElementById(id);
  const clean = (element) => element.textContent.replace(/\\s+/g, " ").trim();
  return {
    caption: table.caption ? clean(table.caption) : "",
    columns: Array.from(table.tHead.rows[0].cells).map((cell) => ({
      tag: cell.tagName.toLowerCase(), scope: cell.getAttribute("scope"), text: clean(cell),
    })),
    rows: Array.from(table.tBodies[0].rows).map((row) => ({
      tag: row.cells[0].tagName.toLowerCase(),
      scope: row.cells[0].getAttribute("scope"),
      cells: Array.from(row.cells).map(clean),
    })),
  };
}"""


# The table comes after the canvas in reading order, in the same figure.
FOLLOWS = """([selector, id]) => {
  const canvas = document.querySelector(selector);
  const table = document.getElementById(id);
  return canvas.closest("figure") === table.closest("figure")
    && Boolean(canvas.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def _rgb(colour: str) -> tuple[float, float, float, float]:
    """A CSS colour as Chart.js or the browser writes it (#rgb, #rrggbb, rgb(), rgba())."""
    colour = colour.strip()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) in (3, 4):
            digits = "".join(digit * 2 for digit in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)
    parts = [float(part) for part in re.findall(r"[\d.]+", colour)]
    assert len(parts) in (3, 4), f"not a colour: {colour}"
    return (*parts[:3], parts[3] if len(parts) == 4 else 1.0)


def _over(colour: str, background: str) -> tuple[float, float, float]:
    """The colour as seen over the background (a translucent colour mixes with it)."""
    red, green, blue, alpha = _rgb(colour)
    under = _rgb(background)[:3]
    return tuple(
        alpha * c + (1 - alpha) * b for c, b in zip((red, green, blue), under, strict=True)
    )


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value = value / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(colour: str, background: str) -> float:
    """WCAG's contrast ratio of a colour drawn over a background."""
    lighter, darker = sorted(
        (_luminance(_over(colour, background)), _luminance(_over(background, background))),
        reverse=True,
    )
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_ratio_is_wcags():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(1)


def _accessibility_node(page, selector: str) -> dict:  # noqa: F811
    """What Chromium's accessibility tree (what a screen reader reads) holds for an element:
    its role, name and description."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    finally:
        cdp.detach()
    ax = tree["nodes"][0]
    return {
        "role": ax.get("role", {}).get("value"),
        "name": ax.get("name", {}).get("value", ""),
        "description": ax.get("description", {}).get("value", ""),
        "ignored": ax.get("ignored", False),
    }


def _portfolio(page, site) -> None:  # noqa: F811
    sign_in(page, site, "officer")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-drawn='true']")


@browser_test
def test_a_screen_reader_gets_each_charts_numbers(page, site):  # noqa: F811
    _portfolio(page, site)
    for chart in CHARTS:
        canvas = page.locator(f"#{chart}")
        assert canvas.get_attribute("role") == "img"
        label = canvas.get_attribute("aria-label")
        table_id = canvas.get_attribute("aria-describedby")
        assert label, chart
        assert table_id, f"{chart} points to no table"
        table = page.evaluate(TABLE, table_id)

        # the table: a caption, a header cell for each column and each row
        assert table["caption"], table_id
        assert all(c["tag"] == "th" and c["scope"] == "col" for c in table["columns"]), table
        assert table["rows"], table_id
        assert all(r["tag"] == "th" and r["scope"] == "row" for r in table["rows"]), table

        # the screen reader's view: an image named by its label, which says where its numbers
        # are; the disclosure "The numbers" comes next, in the same figure
        node = _accessibility_node(page, f"#{chart}")
        assert (node["role"], node["name"], node["ignored"]) == ("image", label, False), node
        assert "The numbers are in the table below it." in label
        summary = canvas.locator("xpath=ancestor::figure").locator("summary")
        assert summary.inner_text() == "The numbers"
        assert page.evaluate(FOLLOWS, [f"#{chart}", table_id]) is True

        # opened with the keyboard, the table is read as a table named by its caption, with
        # its rows, and the chart's description is that table (Chromium words a described-by
        # table by its caption; while "The numbers" is closed the label alone says where they
        # are)
        summary.press("Enter")
        shown = _accessibility_node(page, f"#{table_id}")
        assert (shown["role"], shown["name"], shown["ignored"]) == (
            "table",
            table["caption"],
            False,
        ), shown
        assert _accessibility_node(page, f"#{chart}")["description"] == table["caption"]
        rows = page.locator(f"#{table_id} tbody tr")
        assert rows.count() == len(table["rows"])
        assert rows.first.is_visible()
    screenshot(page, "charts-numbers-open")


def _column(table: dict, header: str) -> int:
    names = [column["text"] for column in table["columns"]]
    assert header in names, (header, names)
    return names.index(header)


def _amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.\-]", "", text.replace("EUR", "")))


@browser_test
def test_each_table_holds_the_figures_its_chart_draws(page, site):  # noqa: F811
    _portfolio(page, site)
    tables = {
        chart: page.evaluate(TABLE, page.locator(f"#{chart}").get_attribute("aria-describedby"))
        for chart in CHARTS
    }

    flags = page.evaluate(DRAWN, "chart-open-flags")
    table = tables["chart-open-flags"]
    assert flags["labels"] == [row["cells"][0] for row in table["rows"]]
    column = _column(table, "Open flags")
    assert flags["datasets"][0]["data"] == [int(row["cells"][column]) for row in table["rows"]]

    # one dataset per status, each a column of the table
    deliverables = page.evaluate(DRAWN, "chart-deliverables")
    table = tables["chart-deliverables"]
    assert deliverables["labels"] == [row["cells"][0] for row in table["rows"]]
    assert [d["label"] for d in deliverables["datasets"]] == [
        "Pending",
        "Draft",
        "Submitted",
        "Accepted",
    ]
    for dataset in deliverables["datasets"]:
        column = _column(table, dataset["label"])
        assert dataset["data"] == [int(row["cells"][column]) for row in table["rows"]], dataset
    assert sum(sum(d["data"]) for d in deliverables["datasets"]) > 0

    payments = page.evaluate(DRAWN, "chart-payments")
    table = tables["chart-payments"]
    assert payments["labels"] == [row["cells"][0] for row in table["rows"]]
    for dataset, header in zip(payments["datasets"], ("Due", "Paid"), strict=True):
        column = _column(table, header)
        figures = [_amount(row["cells"][column]) for row in table["rows"]]
        assert [Decimal(str(value)).quantize(Decimal("0.01")) for value in dataset["data"]] == (
            figures
        ), header
    assert payments["datasets"][0]["data"][-1] > 0

    instalments = page.evaluate(DRAWN, "chart-instalments")
    table = tables["chart-instalments"]
    assert instalments["labels"] == [row["cells"][0] for row in table["rows"]]
    column = _column(table, "Instalments")
    assert instalments["datasets"][0]["data"] == [
        int(row["cells"][column]) for row in table["rows"]
    ]


@browser_test
def test_the_charts_colours_pass_contrast(page, site):  # noqa: F811
    _portfolio(page, site)
    checked = []
    for chart in CHARTS:
        background = page.evaluate(BACKGROUND, chart)
        drawn = page.evaluate(DRAWN, chart)
        for dataset in drawn["datasets"]:
            assert dataset["colours"], f"{chart}: {dataset['label']} has no colour"
            for colour in dataset["colours"]:
                ratio = contrast(colour, background)
                checked.append((chart, dataset["label"], colour, round(ratio, 2)))
                assert ratio >= 3, f"{chart}: {dataset['label']} {colour} on {background}: {ratio}"
        for what, colour in drawn["text"]:
            assert isinstance(colour, str), f"{chart}: the {what} text's colour is {colour!r}"
            ratio = contrast(colour, background)
            checked.append((chart, what, colour, round(ratio, 2)))
            assert ratio >= 4.5, f"{chart}: {what} text {colour} on {background}: {ratio}"
    # every chart was looked at, with all its series (the instalments: one colour a status)
    assert {entry[0] for entry in checked} == set(CHARTS)
    assert len({entry[2] for entry in checked if entry[0] == "chart-deliverables"}) >= 4
