"""The API against its own published schema: schemathesis (pinned in pyproject.toml) generates
requests for every operation of the schema that a live server publishes, as the grant's officer
and as its manager, and checks every answer: no server error, a status the operation declares,
and a body of the declared shape.

The run is bounded and repeatable (hypothesis: ``EXAMPLES`` examples per operation and user,
derandomised, no deadline). Three examples in four name the grant's own objects in their path (its
project, report 1, its first deliverable...), so that the checks reach past the 404 of an object
that does not exist; the others take whatever schemathesis draws. Every example signs in
with a token of its own, so that revoking the user's tokens signs out no other example. The
sign-in lockout and the API's rates are raised for the run: they would refuse it long before it
ends.
"""

import json
import re
import time
from collections import Counter

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import get_token_model
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

EXAMPLES = 10
# How many operations at least answer 2xx to each user in the run (24 to 29 do, as the ids the
# database gives vary): fewer would mean that the examples stop at the sign-in or at objects
# that do not exist.
REACHED = {"officer": 20, "manager": 20}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def _no_limits(settings):
    rest_framework = dict(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/minute", "user": "100000/minute"}
    settings.REST_FRAMEWORK = rest_framework
    settings.AXES_FAILURE_LIMIT = 100000


def _token(user) -> str:
    _, key = get_token_model().objects.create(user=user)
    return key


def _known_ids(grant) -> dict:
    """The grant's own objects, by the name of the path parameter that names them."""
    return {
        "project_id": grant.pk,
        "number": 1,
        "participation_id": grant.participations.order_by("pk").first().pk,
        "deliverable_id": grant.deliverables.order_by("pk").first().pk,
        "milestone_id": grant.milestones.order_by("pk").first().pk,
        "wp_number": 1,
        "key": "rp1",
        "k": 1,
    }


def _examples(operation, base_url: str, user, known: dict, answered: Counter) -> None:
    """``EXAMPLES`` requests to ``operation`` as ``user``, counting the statuses answered;
    raises on the first failed check. Each example makes its own token: an example of one
    operation that revokes the user's tokens does not sign out the others."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), ours=st.integers(0, 3))
    def run(case, ours):
        if ours:
            for name in case.path_parameters or {}:
                if name in known:
                    case.path_parameters[name] = known[name]
        headers = {"Authorization": f"Token {_token(user)}"}
        response = case.call(base_url=base_url, headers=headers)
        answered[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def _run(schema, base_url: str, user, known: dict) -> tuple[list[str], dict[str, Counter]]:
    """Every operation's examples, as ``user``: what failed (one entry per operation; each
    failure is reported, not only the first), and the statuses each operation answered."""
    failed, answers = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        answers[name] = Counter()
        try:
            _examples(operation, base_url, user, known, answers[name])
        except (Exception, FailureGroup) as error:
            failed.append(f"{name}: {error}")
    return failed, answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("_no_limits")
@pytest.mark.parametrize("role", ["officer", "manager"])
def test_every_operation_answers_as_the_schema_says(role, live_server, grant, grant_users):
    key = _token(grant_users[role])
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json",
        headers={"Authorization": f"Token {key}"},
    )
    operations = sum(1 for _ in schema.get_all_operations())
    assert operations == sum(1 for _ in _operations(_published_schema())) > 60
    started = time.monotonic()
    failures, answers = _run(schema, live_server.url, grant_users[role], _known_ids(grant))
    took = time.monotonic() - started
    assert not failures, f"{len(failures)} of {operations} operations ({took:.0f} s):\n" + (
        "\n\n".join(failures)
    )
    assert len(answers) == operations
    reached = [name for name, counts in answers.items() if any(200 <= s < 300 for s in counts)]
    assert len(reached) >= REACHED[role], (
        f"only {len(reached)} operations answered 2xx: the run did not get past the refusals"
    )


# -- the schema's error responses, and the code that gives them --------------------------------


def _published_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_4xx_the_schema_declares_has_an_error_body():
    schema = _published_schema()
    components = schema["components"]["schemas"]
    assert components["Refusal"]["required"] == ["detail"]
    assert set(components["PathErrors"]["required"]) == {"detail", "errors"}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        assert {"406", "429"} <= set(responses), (method, path)
        if operation.get("security"):
            assert "401" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= set(responses), (method, path)
        for code, response in responses.items():
            if not code.startswith("4"):
                continue
            body = response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            if code in ("400", "429"):
                assert body == "PathErrors", (method, path, code)
            else:
                assert "detail" in components[body]["required"], (method, path, code)


def test_the_grant_file_and_evidence_downloads_are_declared_as_what_they_are():
    schema = _published_schema()
    paths = schema["paths"]
    grant_file = paths["/api/v1/projects/{project_id}/grant-file"]["get"]["responses"]["200"]
    assert {media: body["schema"] for media, body in grant_file["content"].items()} == {
        "application/yaml": {"type": "object", "additionalProperties": {}},
        "application/json": {"type": "object", "additionalProperties": {}},
    }
    evidence = "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/evidence"
    for path in (evidence, evidence + "-files/{file_id}"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert {"application/pdf", "text/csv", "application/zip", "*/*"} <= set(content)
        assert {body["schema"]["format"] for body in content.values()} == {"binary"}


def _json_write_operations(schema: dict):
    for path, method, operation in _operations(schema):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            yield path, method


def test_a_body_that_is_not_json_is_refused_like_any_invalid_input(api_client, grant, grant_users):
    """Every write operation that reads a JSON body, sent one that is not JSON by someone who
    may take the step: 400 in the one shape, its one error the parser's, at the body as a
    whole."""
    known = _known_ids(grant)
    api_client.force_authenticate(grant_users["admin"])
    refused = {}
    for path, method in _json_write_operations(_published_schema()):
        url = re.sub(r"\{(\w+)\}", lambda found: str(known.get(found.group(1), 1)), path)
        response = getattr(api_client, method)(
            url, data=b'{"not": json', content_type="application/json"
        )
        if response.status_code == 400:
            refused[f"{method.upper()} {path}"] = response.json()
    assert len(refused) >= 16, refused
    for name, body in refused.items():
        assert set(body) == {"detail", "errors"}, name
        assert len(body["errors"]) == 1, name
        assert body["errors"][0]["path"] == "", name
        assert "JSON" in body["errors"][0]["message"], name
