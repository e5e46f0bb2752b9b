"""Bad input never reaches a server error.

Every write operation of the API (taken from its OpenAPI schema) is sent, as a user who may
perform it, a body in which one field at a time holds a value no field accepts: a NUL byte or
another control character in a text, a number too large to hold, with an exponent beyond any
precision, or not a number at all, nested fields included. Each answer must be a 400 whose
errors name the field (``errors[].path``), and nothing may be written.
"""

import copy
import datetime
import json
import re
from decimal import Decimal

import pytest
import time_machine
import yaml
from django.db import transaction
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from backend.common.errors import InvalidInput
from backend.payments.models import PaymentSuspension, Reduction
from backend.payments.reductions import check_percent
from backend.payments.services import check_amount, instalment_approve
from backend.reporting.models import PeriodicReport, ReportStatus
from backend.reporting.services import report_request_information
from tests import factories
from tests import test_permission_matrix as matrix
from tests.helpers import row_counts
from tests.workplan.files import PDF, upload

pytestmark = pytest.mark.django_db

# The permission matrix's world: the grant with one object of each kind its routes name.
world = matrix.world
MATRIX = matrix.MATRIX

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
WRITES = ("post", "put", "patch", "delete")

# The roles that may perform an operation, in the order tried (tests/test_permission_matrix.py).
ACTORS = ("manager", "officer", "partner_contact", "admin", "anonymous")

# Texts no field accepts: a NUL byte (PostgreSQL cannot store it) and another control character.
BAD_TEXTS = ("with \x00 a NUL byte", "with \x07 a bell", "\x1b[31mred")
# Numbers no field accepts, given as text and, where JSON allows it, as a JSON number.
BAD_NUMBERS = ("1e999999999", "1" * 27, "NaN", "Infinity", "-1e999999999")
RAW_NUMBERS = ("1e999999999", "1" * 27, "-" + "9" * 27)
RAW = "__raw__"
FORM = "application/x-www-form-urlencoded"


def _resolved(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return _resolved(schema[key][0])
    return schema


def _operations() -> list[tuple[str, str, dict | None]]:
    found = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            if method not in WRITES:
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            body = content.get("application/json")
            found.append((method, path, _resolved(body["schema"]) if body else None))
    return found


OPERATIONS = _operations()


def _sample(schema: dict, day: datetime.date):
    """A plausible value of ``schema`` (not necessarily one the operation accepts)."""
    schema = _resolved(schema)
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    kind = schema.get("type")
    if kind == "object":
        return {name: _sample(part, day) for name, part in schema.get("properties", {}).items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), day)]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 1
    if schema.get("format") == "date":
        return day.isoformat()
    if schema.get("format") == "decimal":
        return "1.00"
    return "x"


def _leaves(schema: dict, path: str = ""):
    """Each field of ``schema`` as (its path, its schema): the fields of objects, and those of
    a list's first item (``changes[0].kind``)."""
    schema = _resolved(schema)
    kind = schema.get("type")
    if kind == "object" and schema.get("properties"):
        for name, part in schema["properties"].items():
            yield from _leaves(part, f"{path}.{name}" if path else name)
    elif kind == "array":
        yield from _leaves(schema.get("items", {}), f"{path}[0]")
    else:
        yield path, schema


def _bad_values(schema: dict) -> list:
    """The values to try in a field: texts and numbers no field accepts, by the field's type."""
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return [RAW + raw for raw in RAW_NUMBERS] + list(BAD_NUMBERS)
    if kind == "string" and schema.get("format") == "decimal":
        return list(BAD_NUMBERS) + [RAW + raw for raw in RAW_NUMBERS]
    if kind == "string" and schema.get("format") != "binary":
        return list(BAD_TEXTS)
    return []


def _put(body, path: str, value):
    """``body`` with ``value`` at ``path`` (``entries[0].activities``)."""
    body = copy.deepcopy(body)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = body
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return body


def _encoded(body) -> str:
    text = json.dumps(body)
    return re.sub(rf'"{RAW}([^"]*)"', r"\1", text)


# The steps of the matrix's submitted amendment request (the others are its draft's).
SUBMITTED_STEPS = ("/approve", "/reject", "/withdraw", "/information-requests", "/answer")


def _url(world, path: str) -> str:
    values = dict(world.ids["grant"])
    if "{amendment_id}" in path and path.endswith(SUBMITTED_STEPS):
        values["amendment_id"] = values["submitted_amendment_id"]
    return re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), path)


# The routes that edit the report of RP1, which the matrix's world has submitted.
REPORT_EDITS = {
    "report-detail",
    "report-contribution",
    "report-declaration",
    "report-justification",
}


# The reduction's state in which each step of its procedure reads its input.
REDUCTION_STAGES = {
    "reduction-detail": {"status": "draft", "letter_sent_on": None, "observations_due_on": None},
    "reduction-letter": {"status": "draft", "letter_sent_on": None, "observations_due_on": None},
    "reduction-confirm": {
        "status": "observations_received",
        "observations_received_on": datetime.date(2000, 1, 1),
        "letter_sent_on": datetime.date(2000, 1, 1),
    },
}


def _actor(world, method: str, url: str):
    """A user the permission matrix lets through (None: anonymous), with the record in a state
    that lets the operation read its input: the report of RP1 a draft again for its edits, the
    pre-financing approved for its payment (recorded by a second officer)."""
    name = resolve(url).url_name
    if name in REPORT_EDITS:
        PeriodicReport.objects.filter(project=world.project).update(status=ReportStatus.DRAFT)
    if name == "report-answer-information":
        # An information request waiting for the managers' answer.
        report_request_information(
            period=world.project.reporting_periods.get(number=1),
            user=world.users["officer"],
            message="Which pilot schools took part?",
        )
    if name == "instalment-payment":
        instalment_approve(project=world.project, key="prefinancing", user=world.users["officer"])
        return factories.officer_of(world.project)
    if name == "instalment-lift":
        # The pre-financing's payment is suspended since yesterday: the lift reads its input.
        PaymentSuspension.objects.create(
            project=world.project,
            key="prefinancing",
            reason="Breach.",
            suspended_on=world.now.date() - datetime.timedelta(days=1),
            suspended_at=world.now,
            suspended_by=world.users["officer"],
        )
    if name in REDUCTION_STAGES:
        # The matrix's reduction has its letter sent: put it where the step reads its input.
        Reduction.objects.filter(pk=world.ids["grant"]["reduction_id"]).update(
            **REDUCTION_STAGES[name]
        )
    expected = MATRIX[name][method]
    role = next((role for role in ACTORS if expected[role] == "ok"), "manager")
    return None if role == "anonymous" else world.users[role]


def _send(api_client, user, method: str, url: str, content: str):
    """One request in a savepoint that is rolled back, and whether it wrote anything."""
    api_client.force_authenticate(user)
    with transaction.atomic():
        before = row_counts()
        response = getattr(api_client, method)(url, content, content_type="application/json")
        written = row_counts() != before
        transaction.set_rollback(True)
    api_client.force_authenticate(None)
    return response, written


def _problem(response, written: bool, field: str) -> str:
    """What is wrong with the answer to a body whose ``field`` holds a bad value ("": none)."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code != 400:
        return f"{response.status_code} (not a refusal of the field): {response.content[:200]!r}"
    paths = [error.get("path") for error in response.json().get("errors", [])]
    # A list of numbers may name the list for an item it cannot read (reminder_days).
    if field not in paths and re.sub(r"\[0\]$", "", field) not in paths:
        return f"400 naming {paths}, not {field}"
    if written:
        return "refused, yet it wrote"
    return ""


BODY_OPERATIONS = [(method, path, schema) for method, path, schema in OPERATIONS if schema]


@pytest.mark.parametrize(
    ("method", "path", "schema"),
    BODY_OPERATIONS,
    ids=[f"{method}:{path.removeprefix('/api/v1/')}" for method, path, _ in BODY_OPERATIONS],
)
def test_every_field_of_every_write_refuses_what_it_cannot_hold(
    api_client, world, method, path, schema
):
    url = _url(world, path)
    base = _sample(schema, world.now.date())
    problems = {}
    with time_machine.travel(world.now, tick=False):
        user = _actor(world, method, url)
        for field, part in _leaves(schema):
            for value in _bad_values(part):
                response, written = _send(
                    api_client, user, method, url, _encoded(_put(base, field, value))
                )
                if found := _problem(response, written, field):
                    problems[f"{field}={value!r}"] = found
    assert problems == {}


# -- the cases the reliability issue names -----------------------------------------------------

PAYMENT = "/api/v1/projects/{project_id}/instalments/{key}/payment"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ('"1e999999999"', "give at most 10 digits before the decimal point"),
        ("1e999999999", "is not a number"),  # JSON reads it as infinity
        ('"' + "1" * 27 + '"', "give at most 10 digits before the decimal point"),
        ("1" * 27, "give at most 10 digits before the decimal point"),
        ('"-1e999999999"', "give at most 10 digits before the decimal point"),
        ('"NaN"', "is not a number"),
        ('"Infinity"', "is not a number"),
        ('"sNaN"', "is not a number"),
    ],
)
def test_a_payment_amount_beyond_any_amount_is_refused_at_the_field(
    api_client, world, amount, message
):
    url = _url(world, PAYMENT)
    day = world.now.date().isoformat()
    body = f'{{"amount": {amount}, "paid_on": "{day}", "reference": "PO-1"}}'
    with time_machine.travel(world.now, tick=False):
        user = _actor(world, "post", url)
        response, written = _send(api_client, user, "post", url, body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "The payment was not recorded."
    [error] = response.json()["errors"]
    assert error["path"] == "amount"
    assert message in error["message"]
    assert not written


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/projects/{project_id}/amendments/",
            {"justification": "A partner \x00 leaves.", "changes": []},
            "justification",
        ),
        (
            PAYMENT,
            {"amount": "1.00", "paid_on": "2000-01-01", "reference": "PO\x00-1"},
            "reference",
        ),
        (
            "/api/v1/projects/{project_id}/reductions/",
            {"percent": "10.00", "reason": "Late \x00 work."},
            "reason",
        ),
        (
            "/api/v1/projects/{project_id}/work-packages/{wp_number}/waiver",
            {"reason": "\x00"},
            "reason",
        ),
        (
            "/api/v1/projects/{project_id}/reports/{number}/contributions/{participation_id}",
            {"entries": [{"work_package": 1, "activities": "Met.", "narrative": "A\x00B"}]},
            "entries[0].narrative",
        ),
    ],
    ids=["amendment", "payment", "reduction", "waiver", "contribution"],
)
def test_a_nul_byte_in_a_free_text_is_refused_at_the_field(api_client, world, path, body, field):
    url = _url(world, path)
    method = "put" if "contributions" in path else "post"
    with time_machine.travel(world.now, tick=False):
        user = _actor(world, method, url)
        response, written = _send(api_client, user, method, url, json.dumps(body))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": field,
            "message": "The text holds a control character (U+0000), which is not allowed: "
            "write plain text (tabs and line breaks are fine).",
        }
    ]
    assert not written


def test_tabs_and_line_breaks_are_plain_text(api_client, world):
    """The rule refuses control characters, not the line breaks of a multi-line text."""
    url = _url(world, "/api/v1/projects/{project_id}/work-packages/{wp_number}/waiver")
    body = {"reason": "Two lines:\r\n\tthe second indented."}
    with time_machine.travel(world.now, tick=False):
        user = _actor(world, "post", url)
        response, _ = _send(api_client, user, "post", url, json.dumps(body))
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == body["reason"]


@pytest.mark.parametrize("content_type", ["application/json", "application/yaml"])
def test_a_grant_file_with_a_control_character_is_refused_at_its_path(
    api_client, world, spec_example_bytes, content_type
):
    data = yaml.safe_load(spec_example_bytes)
    data["participants"][1]["legal_name"] = "Zile\x00med"
    body = json.dumps(data, default=str) if "json" in content_type else yaml.safe_dump(data)
    api_client.force_authenticate(world.users["officer"])
    before = row_counts()
    response = api_client.post("/api/v1/grants/import", body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert [error["path"] for error in response.json()["errors"]] == ["participants[1].legal_name"]
    assert "control character (U+0000)" in response.json()["errors"][0]["message"]
    assert row_counts() == before


# -- query parameters and path segments --------------------------------------------------------


def _parameters(where: str) -> list[tuple[str, str, str]]:
    return [
        (method, path, parameter["name"])
        for path, operations in SCHEMA["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == where
        and _resolved(parameter.get("schema", {})).get("type", "string") == "string"
    ]


QUERY_PARAMETERS = [case for case in _parameters("query") if case[0] == "get"]
PATH_PARAMETERS = _parameters("path")


@pytest.mark.parametrize(
    ("method", "path", "name"),
    QUERY_PARAMETERS,
    ids=[f"{path.removeprefix('/api/v1/')}?{name}" for _, path, name in QUERY_PARAMETERS],
)
def test_a_control_character_in_a_filter_is_refused_by_name(api_client, world, method, path, name):
    url = _url(world, path)
    user = _actor(world, method, url)
    api_client.force_authenticate(user)
    for value in ("a\x00b", "\x07"):
        with time_machine.travel(world.now, tick=False):
            response = api_client.get(url, {name: value})
        if name == "format":  # DRF's choice of renderer: a format it does not know is not found
            assert response.status_code == 404, (value, response.content)
            continue
        assert response.status_code == 400, (value, response.content)
        assert name in [error["path"] for error in response.json()["errors"]], response.content


@pytest.mark.parametrize(
    ("method", "path", "name"),
    PATH_PARAMETERS,
    ids=[
        f"{method}:{path.removeprefix('/api/v1/')}:{name}" for method, path, name in PATH_PARAMETERS
    ],
)
def test_a_control_character_in_a_path_segment_finds_nothing(api_client, world, method, path, name):
    url = _url(world, path)
    user = _actor(world, method, url)
    api_client.force_authenticate(user)
    for value in ("a%00b", "%07"):
        bad = _url(world, path.replace("{" + name + "}", value))
        with transaction.atomic(), time_machine.travel(world.now, tick=False):
            before = row_counts()
            response = getattr(api_client, method)(bad, format="json")
            assert row_counts() == before
            transaction.set_rollback(True)
        assert response.status_code == 404, (bad, response.content)


# -- the other bodies: forms, multipart files, and the services' own bound ---------------------


def test_a_form_encoded_body_is_held_to_the_same_rule(api_client, world):
    url = _url(world, "/api/v1/projects/{project_id}/work-packages/{wp_number}/waiver")
    api_client.force_authenticate(world.users["officer"])
    before = row_counts()
    with time_machine.travel(world.now, tick=False):
        response = api_client.post(url, "reason=Late%07work", content_type=FORM)
    assert response.status_code == 400, response.content
    assert [error["path"] for error in response.json()["errors"]] == ["reason"]
    assert row_counts() == before


def test_an_uploaded_files_name_keeps_no_control_character(api_client, world):
    """Django drops them from a multipart file's name; the record stores the rest."""
    url = _url(world, "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/evidence")
    api_client.force_authenticate(world.users["manager"])
    with time_machine.travel(world.now, tick=False):
        response = api_client.post(
            url, {"file": upload("report\x00\x07.pdf", PDF)}, format="multipart"
        )
    assert response.status_code == 201, response.content
    assert response.json()["evidence"]["name"] == "report.pdf"


@pytest.mark.parametrize("text", ["1e999999999", "1" * 27, "-" + "9" * 27, "NaN", "sNaN", "-Inf"])
def test_the_payment_services_bound_a_number_before_any_arithmetic(grant, text):
    """The services' own checks, which the pages and the API share: a number beyond any amount
    is invalid input at its field, never a decimal.InvalidOperation."""
    instalment = factories.InstalmentFactory(project=grant, amount_eur=Decimal("1000.00"))
    with pytest.raises(InvalidInput) as amount:
        check_amount(Decimal(text), instalment)
    with pytest.raises(InvalidInput) as percent:
        check_percent(Decimal(text), Decimal(0))
    assert [error.path for error in amount.value.errors] == ["amount"]
    assert [error.path for error in percent.value.errors] == ["percent"]
