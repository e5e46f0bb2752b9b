"""The Annex 2 builder's pages: the grid prefilled with the shares recorded, the live what-if per
beneficiary, the service's errors at their cells with nothing written, and a draft saved with
only the shares changed.

The demo grant: LINDENAU left on 2025-06-30 holding EUR 5,652.17 of WP1."""

import html

import pytest

from backend.amendments.kinds import handler_for
from backend.amendments.models import AmendmentChange, AmendmentRequest
from frontend.consortium.forms import ShareGrid
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db


def _grid(project) -> ShareGrid:
    return ShareGrid.from_record(handler_for("change_lump_sum_breakdown").load(project.pk))


def _data(project, changes: dict[tuple[int, str], str], **fields) -> dict:
    """The grid as the browser sends it: every cell as prefilled, but those changed."""
    data = {"justification": "LINDENAU left.", "effective_on": "2026-07-01", **fields}
    for cell in _grid(project).cells:
        if not cell.paid:
            data[cell.name] = changes.get(
                (cell.work_package, cell.participant), f"{cell.current:.2f}"
            )
    return data


def _name(project, number: int, participant: str) -> str:
    return next(
        cell.name
        for cell in _grid(project).cells
        if (cell.work_package, cell.participant) == (number, participant)
    )


def test_the_grid_shows_each_share_recorded(client, demo, users):
    client.force_login(users["manager"])

    response = client.get(f"/projects/{demo.pk}/amendments/new/annex-2/")

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    name = _name(demo, 1, "LINDENAU")
    assert f'<label class="visually-hidden" for="id_{name}">WP1 share of LINDENAU</label>' in page
    assert f'name="{name}" value="5652.17"' in page
    assert 'LINDENAU<br><span class="muted">left on 2025-06-30</span>' in page
    assert "GAUJMALA" not in page  # an associated partner holds no share


def test_the_live_what_if_shows_each_beneficiary_before_and_after(client, demo, users):
    client.force_login(users["manager"])
    before = row_counts()

    response = client.post(
        f"/projects/{demo.pk}/amendments/annex-2/what-if/",
        _data(demo, {(1, "LINDENAU"): "0.00", (1, "GAUJA"): "231739.13"}),
    )

    assert response.status_code == 200
    assert row_counts() == before
    page = response.content.decode()
    assert (
        '<th scope="row">LINDENAU</th>\n      <td class="num">37252.17</td>\n'
        '      <td class="num">31600.00</td>\n      <td class="num">-5652.17</td>'
    ) in page
    assert "The maximum grant stays EUR 3998750.00." in page


def test_a_refused_grid_shows_the_errors_at_their_cells_and_writes_nothing(client, demo, users):
    client.force_login(users["manager"])
    before = row_counts()

    response = client.post(
        f"/projects/{demo.pk}/amendments/new/annex-2/",
        _data(demo, {(1, "LINDENAU"): "10.00", (1, "GAUJA"): "231739.13"}),
    )

    assert response.status_code == 400
    assert row_counts() == before
    page = html.unescape(response.content.decode())
    name = _name(demo, 1, "LINDENAU")
    assert (
        f'name="{name}" value="10.00" inputmode="decimal" size="10" required aria-invalid="true" '
        f'aria-describedby="id_{name}_error" id="id_{name}"><ul class="errorlist" '
        f'id="id_{name}_error"><li>LINDENAU left the project on 2025-06-30; it keeps only its '
        "shares of work packages already paid. Give 0.00 and move its share to the others.</li>"
    ) in page


def test_a_work_packages_total_is_named_on_top(client, demo, users):
    client.force_login(users["manager"])

    response = client.post(
        f"/projects/{demo.pk}/amendments/new/annex-2/",
        _data(demo, {(1, "LINDENAU"): "0.00"}),
    )

    assert response.status_code == 400
    assert (
        "WP1: The shares of WP1 would add up to EUR 514,347.83; its lump sum is EUR 520,000.00."
    ) in html.unescape(response.content.decode())
    assert not AmendmentRequest.objects.exists()


def test_saving_sends_only_the_shares_changed(client, demo, users):
    client.force_login(users["manager"])

    response = client.post(
        f"/projects/{demo.pk}/amendments/new/annex-2/",
        _data(demo, {(1, "LINDENAU"): "0.00", (1, "GAUJA"): "231739.13"}),
    )

    amendment = AmendmentRequest.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/amendments/{amendment.pk}/"
    change = AmendmentChange.objects.get(request=amendment)
    assert (change.kind, change.effective_on.isoformat(), change.details) == (
        "change_lump_sum_breakdown",
        "2026-07-01",
        {"work_packages": {"1": {"GAUJA": "231739.13", "LINDENAU": "0.00"}}},
    )
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "WP1: GAUJA EUR 231739.13, LINDENAU EUR 0.00" in page
    assert "Each beneficiary's lump-sum shares, without and with the changes (EUR)" in page
    # The consortium's rows are not offered for a change of the grant as a whole.
    assert 'id="amendment-form"' not in page
    assert "Submit the request" in page
