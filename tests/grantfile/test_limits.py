"""Input limits: a request body or a grant file nested deeper than the readers allow, or larger,
is refused with a message naming the limit, and nothing is written. The API's JSON parser
refuses before it parses; the grant-file reader refuses through the API (as the body or as an
uploaded form file) and on the command line (exit status 1, no traceback)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.loading import MAX_DEPTH, MAX_FILE_BYTES, load_grant_file
from tests.factories import UserFactory
from tests.helpers import row_counts
from tests.workplan import files

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GRANTWATCH = str(Path(sys.executable).with_name("grantwatch"))
IMPORT_URL = "/api/v1/grants/import"
TOKEN_URL = "/api/v1/auth/token"
TOO_DEEP = "nested more than 32 levels deep"


def nested_yaml_block(levels: int) -> bytes:
    """A grant file's first keys, then mappings nested ``levels`` deep under one key, in
    YAML's block style (the top mapping is the first level)."""
    lines = ["format: grantwatch/grant@1"]
    lines += [f"{'  ' * level}k{level}:" for level in range(levels - 1)]
    lines.append(f"{'  ' * (levels - 1)}last: 1")
    return "\n".join(lines).encode()


def nested_yaml_flow(levels: int) -> bytes:
    """As ``nested_yaml_block``, with lists in YAML's flow style ([[[...]]])."""
    inner = levels - 1
    return f"format: grantwatch/grant@1\nnested: {'[' * inner}{']' * inner}\n".encode()


def nested_json(levels: int) -> bytes:
    inner = levels - 1
    return f'{{"format": "grantwatch/grant@1", "nested": {"[" * inner}{"]" * inner}}}'.encode()


NESTED_FILES = {
    "yaml-300-block": (nested_yaml_block(300), "grant.yaml", "application/yaml"),
    "yaml-10000-flow": (nested_yaml_flow(10_000), "grant.yaml", "application/yaml"),
    "json-500": (nested_json(500), "grant.json", "application/json"),
    "json-10000": (nested_json(10_000), "grant.json", "application/json"),
}

ALIAS_BOMB = b"""format: grantwatch/grant@1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.fixture
def importer(api_client):
    api_client.force_authenticate(UserFactory(username="po", is_agency_officer=True))
    return api_client


def _refused_as_invalid_file(response, words: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The grant file was not imported."
    assert [error["path"] for error in body["errors"]] == [""]
    assert words in body["errors"][0]["message"]


# -- the grant-file reader ----------------------------------------------------------------------


@pytest.mark.parametrize("build", [nested_yaml_block, nested_yaml_flow, nested_json])
def test_the_reader_takes_a_file_nested_to_the_limit_and_refuses_one_level_more(build):
    data = load_grant_file(build(MAX_DEPTH))
    assert data["format"] == "grantwatch/grant@1"

    with pytest.raises(GrantFileInvalid) as refused:
        load_grant_file(build(MAX_DEPTH + 1))

    assert TOO_DEEP in str(refused.value)


def test_the_reader_names_the_line_where_yaml_gets_too_deep():
    with pytest.raises(GrantFileInvalid) as refused:
        load_grant_file(nested_yaml_block(300))

    # The format line, then the mappings k0..k31 on lines 2..33: k32 on line 34 is too deep.
    assert str(refused.value) == (
        "(file): The file is nested more than 32 levels deep (mappings and lists) at line 34; "
        "a grant file never is."
    )


def test_brackets_inside_json_strings_do_not_count_as_nesting():
    text = json.dumps({"format": "grantwatch/grant@1", "title": "[{" * 100 + '\\"' + "]}"})

    assert load_grant_file(text.encode())["title"].startswith("[{[{")


# -- through the API, the uploaded file and the command line -----------------------------------


@pytest.mark.parametrize("name", NESTED_FILES)
def test_the_api_refuses_a_deeply_nested_grant_file_sent_as_the_body(importer, name):
    content, _filename, content_type = NESTED_FILES[name]
    before = row_counts()

    response = importer.post(IMPORT_URL, content, content_type=content_type)

    _refused_as_invalid_file(response, TOO_DEEP)
    assert row_counts() == before


@pytest.mark.parametrize("name", NESTED_FILES)
def test_the_api_refuses_a_deeply_nested_grant_file_uploaded_as_a_form_file(importer, name):
    content, filename, content_type = NESTED_FILES[name]
    upload = SimpleUploadedFile(filename, content, content_type=content_type)
    before = row_counts()

    response = importer.post(IMPORT_URL, {"file": upload}, format="multipart")

    _refused_as_invalid_file(response, TOO_DEEP)
    assert row_counts() == before


@pytest.mark.parametrize("name", NESTED_FILES)
def test_the_command_line_refuses_a_deeply_nested_grant_file(tmp_path, capsys, name):
    content, filename, _content_type = NESTED_FILES[name]
    path = tmp_path / filename
    path.write_bytes(content)
    before = row_counts()

    with pytest.raises(CommandError) as failed:
        call_command("import-grant", str(path))

    assert failed.value.returncode == 1
    assert "1 error(s); nothing was written" in str(failed.value)
    assert TOO_DEEP in capsys.readouterr().err
    assert row_counts() == before


def test_the_command_line_program_exits_1_with_the_message_and_no_traceback(tmp_path):
    """The program as a user runs it, on a file ten thousand levels deep (refused before the
    database is used: its database is an empty file)."""
    path = tmp_path / "deep.json"
    path.write_bytes(nested_json(10_000))
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "GRANTWATCH_", "DJANGO_"))
    }
    environment |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "GRANTWATCH_VAR_DIR": str(tmp_path),
    }

    run = subprocess.run(
        [GRANTWATCH, "import-grant", str(path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 1
    assert f"{path}: (file): The file is {TOO_DEEP}" in run.stderr
    assert "nothing was written" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_yaml_alias_bomb_is_refused_through_the_api(importer):
    before = row_counts()

    response = importer.post(IMPORT_URL, ALIAS_BOMB, content_type="application/yaml")

    _refused_as_invalid_file(response, "aliases (*name) are not allowed in a grant file")
    assert row_counts() == before


def test_a_grant_file_larger_than_the_limit_is_refused_by_name(importer, tmp_path, capsys):
    content = b"format: grantwatch/grant@1\ntitle: " + b"x" * MAX_FILE_BYTES + b"\n"
    path = tmp_path / "big.yaml"
    path.write_bytes(content)
    before = row_counts()

    response = importer.post(IMPORT_URL, content, content_type="application/yaml")
    with pytest.raises(CommandError):
        call_command("import-grant", str(path))

    _refused_as_invalid_file(response, f"at most {MAX_FILE_BYTES} bytes")
    assert f"at most {MAX_FILE_BYTES} bytes" in capsys.readouterr().err
    assert row_counts() == before


def test_a_normal_grant_file_still_imports_by_body_form_and_command_line(
    importer, spec_example_bytes, tmp_path, capsys
):
    by_body = importer.post(IMPORT_URL, spec_example_bytes, content_type="application/yaml")
    as_json = json.loads(json.dumps(load_grant_file(spec_example_bytes)))
    as_json["grant_agreement_number"] = "101056998"
    upload = SimpleUploadedFile("grant.json", json.dumps(as_json).encode())
    by_form = importer.post(IMPORT_URL, {"file": upload}, format="multipart")
    path = tmp_path / "grant.yaml"
    path.write_bytes(spec_example_bytes.replace(b'"101056201"', b'"101056997"'))
    call_command("import-grant", str(path))

    assert (by_body.status_code, by_form.status_code) == (201, 201), by_form.content
    assert [by_body.json()["grant_agreement_number"], by_form.json()["grant_agreement_number"]] == [
        "101056201",
        "101056998",
    ]
    assert "Imported SECOVE (grant agreement 101056997" in capsys.readouterr().out


# -- the API's JSON parser -----------------------------------------------------------------------


def _refused_by_the_parser(response, words: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert [error["path"] for error in body["errors"]] == [""]
    assert words in body["errors"][0]["message"]
    assert body["detail"]


def test_a_deeply_nested_json_body_is_refused_at_sign_in_without_an_account(api_client):
    body = '{"username": "someone", "password": "secret", "x": ' + "[" * 10_000 + "]" * 10_000
    before = row_counts()

    response = api_client.post(TOKEN_URL, body + "}", content_type="application/json")

    _refused_by_the_parser(response, "The JSON body is nested more than 32 levels deep")
    assert row_counts() == before


def test_json_nested_to_the_limit_reaches_the_view_and_one_level_more_does_not(api_client):
    def body(levels: int) -> str:
        return (
            '{"username": "nobody", "password": "wrong", "x": '
            + "[" * (levels - 1)
            + ("]" * (levels - 1) + "}")
        )

    at_the_limit = api_client.post(TOKEN_URL, body(32), content_type="application/json")
    over_it = api_client.post(TOKEN_URL, body(33), content_type="application/json")

    # The view answers the wrong password; the parser answers the nesting.
    assert TOO_DEEP not in at_the_limit.content.decode()
    assert at_the_limit.status_code in (400, 401, 403)
    _refused_by_the_parser(over_it, TOO_DEEP)


def test_a_deeply_nested_json_body_is_refused_on_a_signed_in_write(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    body = '{"title": "More time", "changes": ' + "[" * 10_000 + "]" * 10_000 + "}"
    before = row_counts()

    response = api_client.post(
        f"/api/v1/projects/{grant.pk}/amendments/", body, content_type="application/json"
    )

    _refused_by_the_parser(response, TOO_DEEP)
    assert row_counts() == before


def test_a_json_body_larger_than_the_limit_is_refused_by_name(
    api_client, grant, grant_users, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    api_client.force_authenticate(grant_users["manager"])
    url = f"/api/v1/projects/{grant.pk}/amendments/"
    before = row_counts()

    as_read = api_client.post(
        url, json.dumps({"justification": "x" * 3000}), content_type="application/json"
    )
    # A small body whose stated length is over the limit is refused before it is read.
    as_stated = api_client.post(
        url, "{}", content_type="application/json", CONTENT_LENGTH="10000000"
    )
    as_form = api_client.post(
        url, "justification=" + "x" * 3000, content_type="application/x-www-form-urlencoded"
    )

    for response in (as_read, as_stated, as_form):
        _refused_by_the_parser(
            response, "The request body is larger than 2000 bytes, the most the API accepts."
        )
    assert row_counts() == before


# -- the request's size, before its body is read -------------------------------------------------

REQUEST_TOO_LARGE = (
    "The request is larger than 9.8\xa0KB (10000 bytes), the most this site accepts."
)


@pytest.fixture
def small_requests(settings):
    settings.GRANTWATCH_MAX_REQUEST_BYTES = 10_000


def test_an_upload_too_large_for_the_site_is_refused_before_its_form_is_read(
    client, grant, grant_users, small_requests
):
    """The upload page: a file over the site's limit gets 413 before the CSRF check reads the
    form (which it would otherwise refuse, as this client sends no CSRF token)."""
    deliverable = grant.deliverables.get(code="D1.1")
    client.force_login(grant_users["manager"])
    client.handler.enforce_csrf_checks = True
    url = f"/projects/{grant.pk}/deliverables/{deliverable.pk}/upload/"
    before = row_counts()

    too_large = client.post(url, {"file": files.upload("report.pdf", files.PDF + b"0" * 20_000)})
    small = client.post(url, {"file": files.upload("report.pdf", files.PDF)})

    assert too_large.status_code == 413
    assert too_large.content.decode() == REQUEST_TOO_LARGE
    assert small.status_code == 403  # read, and refused for its missing CSRF token
    assert row_counts() == before


def test_an_api_request_too_large_for_the_site_is_refused_in_the_apis_shape(
    api_client, small_requests
):
    response = api_client.post(
        TOKEN_URL, {"username": "someone", "password": "x" * 20_000}, format="json"
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": REQUEST_TOO_LARGE,
        "errors": [{"path": "", "message": REQUEST_TOO_LARGE}],
    }


def _api_views():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "view_class", None) or getattr(
                    entry.callback, "cls", None
                )
                if view is not None and hasattr(view, "parser_classes"):
                    yield entry.pattern, view

    return list(walk(get_resolver().url_patterns))


def test_every_api_view_reads_its_body_through_the_limited_parsers():
    """A view that names DRF's own JSON, form or multipart parser skips the limits."""
    views = _api_views()
    assert views, "no API view found"
    unlimited = sorted(
        f"{pattern} {view.__name__}: {parser.__module__}.{parser.__name__}"
        for pattern, view in views
        for parser in view.parser_classes
        if parser.__module__.startswith("rest_framework")
    )
    assert unlimited == []
