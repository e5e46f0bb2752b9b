"""The production stack files name only things that exist.

Dockerfile, docker-compose.yml and .env.example are parsed (no Docker needed), and every
entry point, management command, Celery app, health check and environment variable they name
is looked up in this checkout: the console scripts of the project and of its runtime
dependencies, the variables backend/config/settings.py reads, the URL the web health check
asks for.
"""

import ast
import importlib
import inspect
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.bin.celery import celery as celery_cli
from django.core.management import get_commands
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
PYPROJECT = ROOT / "pyproject.toml"
SETTINGS_FILE = ROOT / "backend" / "config" / "settings.py"

APP_SERVICES = ("migrate", "web", "worker", "beat")
MONITORING_SERVICES = ("prometheus", "grafana", "flower")
LONG_RUNNING_SERVICES = ("postgres", "redis", "web", "worker", "beat", *MONITORING_SERVICES)
HEALTHCHECKED_SERVICES = ("postgres", "redis", "web", "worker", "beat", *MONITORING_SERVICES)
# The official images the stack runs besides its own, each pinned to a release tag.
PINNED_IMAGES = {
    "postgres": "postgres",
    "redis": "redis",
    "prometheus": "prom/prometheus",
    "grafana": "grafana/grafana",
    "flower": "mher/flower",
}
PROMETHEUS_CONFIG = ROOT / "monitoring" / "prometheus" / "prometheus.yml"

# A WSGI/Celery target such as backend.config.wsgi:application (not an address like 0.0.0.0:8000).
TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
# ${NAME}, ${NAME:-default}, ${NAME:?error}, $NAME; $$ is compose's escape for a literal $.
INTERPOLATION = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<modifier>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
# NAME=value in .env.example, also when commented out (an optional setting shown as example).
ENV_ASSIGNMENT = re.compile(r"^\s*(?P<comment>#\s*)?(?:export\s+)?(?P<name>[A-Za-z_]\w*)=")
# Variables for the interpreter and pip that an image may set besides the settings' own.
INTERPRETER_VARIABLE = re.compile(r"PATH|PYTHON\w+|PIP_\w+|LANG|LC_\w+")
CELERY_OPTIONS_WITH_VALUE = {"-A", "--app", "-b", "--broker", "--result-backend", "--loader"}
CELERY_OPTIONS_WITH_VALUE |= {"--config", "--workdir"}


# Reading the files
# ------------------------------------------------------------------------------------------


@cache
def settings_variables() -> frozenset[str]:
    """The names settings.py reads: env("X"), env.bool("X"), env.db("X"), ... calls."""
    tree = ast.parse(SETTINGS_FILE.read_text(), filename=str(SETTINGS_FILE))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        on_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        )
        first = node.args[0]
        if on_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return frozenset(names)


@cache
def compose() -> dict:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE.name} is missing at the repository root"
    return yaml.safe_load(COMPOSE_FILE.read_text())  # resolves anchors and << merges


def services() -> dict[str, dict]:
    return compose().get("services") or {}


def strings_in(value) -> list[str]:
    """Every string (keys too) in a parsed YAML document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in strings_in(key) + strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def interpolations(value) -> dict[str, set[str]]:
    """Variables docker compose fills in, each with the modifiers it is used with ("" for none)."""
    found: dict[str, set[str]] = {}
    for text in strings_in(value):
        for match in INTERPOLATION.finditer(text.replace("$$", "")):
            name = match["braced"] or match["bare"]
            found.setdefault(name, set()).add(match["modifier"] or "")
    return found


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def argv(command) -> list[str]:
    """A compose command or a Dockerfile CMD as a list of words."""
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def healthcheck_argv(service: dict) -> list[str]:
    test = (service.get("healthcheck") or {}).get("test")
    words = argv(test) if isinstance(test, list) else ["CMD-SHELL", test] if test else []
    if words[:1] == ["CMD"]:
        return words[1:]
    if words[:1] == ["CMD-SHELL"]:
        return shlex.split(" ".join(words[1:]))
    return words


def env_example() -> dict[str, bool]:
    """The names .env.example assigns, each with whether the assignment is active."""
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE.name} is missing at the repository root"
    names: dict[str, bool] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ENV_ASSIGNMENT.match(line)
        if match:
            names[match["name"]] = names.get(match["name"], False) or not match["comment"]
    return names


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, (KEYWORD, arguments), grouped by build stage."""
    assert DOCKERFILE.is_file(), f"{DOCKERFILE.name} is missing at the repository root"
    stages: list[list[tuple[str, str]]] = []
    logical = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank and comment lines, also inside a continued instruction
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        keyword, _, arguments = (logical + stripped).partition(" ")
        logical = ""
        if keyword.upper() == "FROM":
            stages.append([])
        assert stages, "the Dockerfile has an instruction before its first FROM"
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def instruction_argv(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def env_instruction_names(arguments: str) -> list[str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return [words[0]]  # the legacy form ENV NAME value
    return [word.split("=", 1)[0] for word in words]


# Entry points
# ------------------------------------------------------------------------------------------


def runtime_distributions(requirements: list[str]) -> frozenset[str]:
    """The distributions `pip install .` installs: the requirements and what they require."""
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [Requirement(spec) for spec in requirements]
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            specs = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for spec in specs:
            dependency = Requirement(spec)
            marker = dependency.marker
            if marker is None or any(
                marker.evaluate({"extra": extra}) for extra in {"", *requirement.extras}
            ):
                pending.append(dependency)
    return frozenset(name for name, _ in seen)


@cache
def console_scripts() -> dict[str, str]:
    """Console script -> "module:attribute", for the project (from pyproject.toml, so a renamed
    script counts even before the virtualenv is reinstalled) and its runtime dependencies (not
    the dev extra: the image does not have it)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    scripts = dict(project.get("scripts", {}))
    runtime = runtime_distributions(project.get("dependencies", []))
    for entry_point in metadata.entry_points(group="console_scripts"):
        dist = entry_point.dist
        if dist is not None and canonicalize_name(dist.metadata["Name"]) in runtime:
            scripts.setdefault(entry_point.name, entry_point.value)
    return scripts


def wsgi_problems(target: str) -> list[str]:
    module_name, _, attribute = target.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        return [f"the WSGI application {target!r} does not resolve: {error!r}"]
    if not callable(obj):
        return [f"{target!r} is not callable, so it is no WSGI application"]
    if len(inspect.signature(obj).parameters) != 2:
        return [f"{target!r} does not take (environ, start_response), so it is no WSGI app"]
    return []


def celery_problems(words: list[str]) -> list[str]:
    app_name, subcommand, skip_next = None, None, False
    for index, word in enumerate(words):
        if skip_next:
            skip_next = False
        elif word.startswith("--app="):
            app_name = word.split("=", 1)[1]
        elif word in CELERY_OPTIONS_WITH_VALUE:
            skip_next = True
            if word in ("-A", "--app") and index + 1 < len(words):
                app_name = words[index + 1]
        elif not word.startswith("-"):
            subcommand = word
            break
    problems = []
    if app_name is None:
        problems.append("the celery command names no --app")
    else:
        try:
            app = find_app(app_name)
        except (ImportError, AttributeError) as error:
            app = error
        if not isinstance(app, Celery):
            problems.append(f"celery --app {app_name} does not give a Celery app: {app!r}")
    if subcommand not in celery_cli.commands:
        problems.append(
            f"{subcommand!r} is not a celery subcommand ({sorted(celery_cli.commands)})"
        )
    return problems


def entry_point_problems(words: list[str]) -> list[str]:
    """What is wrong with a command's entry point; empty when it would start."""
    if not words:
        return ["the command is empty"]
    script, *arguments = words
    scripts = console_scripts()
    if script not in scripts:
        return [
            f"{script!r} is not a console script of the project or its runtime dependencies "
            f"(there are: {', '.join(sorted(scripts))})"
        ]
    try:
        metadata.EntryPoint(script, scripts[script], "console_scripts").load()
    except (ImportError, AttributeError) as error:
        return [f"the console script {script!r} = {scripts[script]!r} does not load: {error!r}"]
    if script == "grantwatch":
        subcommand = next((word for word in arguments if not word.startswith("-")), None)
        if subcommand not in get_commands():
            return [f"`grantwatch {subcommand}`: {subcommand!r} is no Django management command"]
    elif script == "celery":
        return celery_problems(arguments)
    elif script == "gunicorn":
        config, rest = gunicorn_config(arguments)
        targets = [word for word in rest if TARGET.fullmatch(word)]
        if len(targets) != 1:
            return [f"gunicorn should name exactly one module:application, found {targets}"]
        return gunicorn_config_problems(config) + wsgi_problems(targets[0])
    return []


def gunicorn_config(arguments: list[str]) -> tuple[str | None, list[str]]:
    """gunicorn's --config (-c) value, and the other arguments."""
    config, rest, words = None, [], iter(arguments)
    for word in words:
        if word in ("-c", "--config"):
            config = next(words, "")
        elif word.startswith("--config="):
            config = word.split("=", 1)[1]
        else:
            rest.append(word)
    return config, rest


def gunicorn_config_problems(config: str | None) -> list[str]:
    """The image holds the project as an installed package, not as files: a gunicorn
    configuration must be given as python:<module> and import."""
    if config is None:
        return []
    if not config.startswith("python:"):
        return [f"gunicorn --config {config!r}: give the installed module, python:<module>"]
    try:
        importlib.import_module(config.removeprefix("python:"))
    except ImportError as error:
        return [f"gunicorn --config {config!r} does not import: {error!r}"]
    return []


def embedded_python(words: list[str]) -> str | None:
    """The code of `python -c CODE` or `grantwatch shell --command CODE`."""
    for flag in ("-c", "--command"):
        if flag in words[:-1] and words[0] in ("python", "python3", "grantwatch"):
            return words[words.index(flag) + 1]
    return None


# docker-compose.yml: services, health checks, entry points
# ------------------------------------------------------------------------------------------


def test_compose_defines_the_services():
    missing = {"postgres", "redis", *APP_SERVICES, *MONITORING_SERVICES} - set(services())
    assert not missing, f"docker-compose.yml lacks the services {sorted(missing)}"


@pytest.mark.parametrize("name", HEALTHCHECKED_SERVICES)
def test_service_has_a_healthcheck(name):
    healthcheck = services()[name].get("healthcheck") or {}
    test = healthcheck.get("test")
    assert test, f"service {name!r} has no healthcheck test"
    assert not healthcheck.get("disable"), f"service {name!r} disables its healthcheck"
    assert argv(test)[:1] != ["NONE"], f"service {name!r} disables its healthcheck with NONE"


@pytest.mark.parametrize(("name", "tool"), [("postgres", "pg_isready"), ("redis", "redis-cli")])
def test_database_healthchecks_use_their_clients(name, tool):
    words = healthcheck_argv(services()[name])
    assert tool in words, f"the {name} healthcheck should run {tool}, it runs {words}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_builds_this_repository_dockerfile(name):
    build = services()[name].get("build")
    assert build, f"service {name!r} has no build: it must be built from the Dockerfile"
    if isinstance(build, str):
        build = {"context": build}
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert context == ROOT, f"service {name!r} builds from {context}, not this repository"
    assert dockerfile == DOCKERFILE, f"service {name!r} builds {dockerfile}, not {DOCKERFILE}"
    assert dockerfile.is_file(), f"service {name!r} builds {dockerfile}, which does not exist"


def test_app_services_share_one_image():
    images = {name: services()[name].get("image") for name in APP_SERVICES}
    assert len(set(images.values())) == 1, f"the app services should share one image: {images}"
    assert None not in images.values(), f"give the app services one image name: {images}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_command_names_an_existing_entry_point(name):
    words = argv(services()[name].get("command"))
    problems = entry_point_problems(words)
    assert not problems, f"service {name!r} runs {words}: " + "; ".join(problems)


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_service_healthcheck_runs_something_that_exists(name):
    words = healthcheck_argv(services()[name])
    code = embedded_python(words)
    if words[:1] in (["python"], ["python3"]):
        assert code is not None, f"the {name} healthcheck runs {words}; only python -c is checked"
    else:
        problems = entry_point_problems(words)
        assert not problems, f"the {name} healthcheck runs {words}: " + "; ".join(problems)
    if code is not None:
        try:
            compile(code, f"<{name} healthcheck>", "exec")
        except SyntaxError as error:
            pytest.fail(f"the {name} healthcheck's Python does not compile: {error}")


def test_web_healthcheck_asks_for_a_page_that_answers(client):
    code = embedded_python(healthcheck_argv(services()["web"])) or ""
    match = re.search(r"https?://[^/'\"\s]+:8000(?P<path>/[^'\"\s]*)", code)
    assert match, f"the web healthcheck should request http://...:8000/<path>, it runs {code!r}"
    response = client.get(match["path"])
    assert response.status_code == 200, (
        f"the web healthcheck requests {match['path']}, which answers {response.status_code}"
    )


@pytest.mark.django_db
def test_the_probes_over_plain_http_are_not_sent_to_https(client, settings):
    """Production redirects plain HTTP to HTTPS; web's health check and Prometheus reach the
    container over plain HTTP and must get their answer, not a redirect."""
    settings.SECURE_SSL_REDIRECT = True
    settings.GRANTWATCH_METRICS_TOKEN = "scrape"
    code = embedded_python(healthcheck_argv(services()["web"])) or ""
    health = re.search(r"http://[^/'\"\s]+:8000(?P<path>/[^'\"\s]*)", code)
    assert health, f"the web healthcheck should request http://...:8000/<path>, it runs {code!r}"
    (job,) = [
        job
        for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
        if job["job_name"] == "grantwatch"
    ]
    assert job.get("scheme", "http") == "http"

    probe = client.get(health["path"])
    scrape = client.get(
        job.get("metrics_path", "/metrics"), headers={"Authorization": "Bearer scrape"}
    )
    page = client.get("/login/")

    assert probe.status_code == 200, f"{health['path']} answers {probe.status_code}"
    assert scrape.status_code == 200, f"/metrics answers {scrape.status_code}"
    assert page.status_code == 301, "the redirect to HTTPS is not on: this test shows nothing"


GRANTWATCH = str(Path(sys.executable).with_name("grantwatch"))
# What the app services' environment gives the settings: required values stand in.
STAND_INS = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "grantwatch.example.org",
    "POSTGRES_PASSWORD": "example",
    "GRANTWATCH_METRICS_TOKEN": "example",
}


def resolved(value: str) -> str:
    """A compose value as compose fills it in from an empty .env: the defaults, and a stand-in
    for each required variable."""

    def fill(match: re.Match) -> str:
        name, modifier = match["braced"] or match["bare"], match["modifier"] or ""
        if modifier.startswith((":-", "-")):
            return modifier.split("-", 1)[1]
        return STAND_INS[name]

    return INTERPOLATION.sub(fill, value)


def test_web_with_the_compose_defaults_passes_the_deploy_check(tmp_path):
    """What docker-compose.yml gives web when .env sets only the required values is what
    `grantwatch check --deploy` wants: HTTPS redirect, HSTS, secure cookies, no DEBUG."""
    web = {
        name: resolved(value)
        for name, value in environment(services()["web"]).items()
        if name not in ("PROMETHEUS_MULTIPROC_DIR", "GRANTWATCH_VAR_DIR", "MEDIA_ROOT")
    }
    clean = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [GRANTWATCH, "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **web, "GRANTWATCH_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert web["SECURE_SSL"] == "true"
    assert web["GRANTWATCH_PUBLIC_API_DOCS"] == "false"


def test_migrate_applies_the_migrations_once():
    migrate = services()["migrate"]
    words = argv(migrate.get("command"))
    assert words[:2] == ["grantwatch", "migrate"], f"migrate runs {words}"
    assert "--noinput" in words, f"migrate must not wait for input: it runs {words}"
    assert migrate.get("restart") == "no", (
        f'migrate is one-shot and needs restart: "no" (quoted), it has {migrate.get("restart")!r}'
    )
    condition = (migrate.get("depends_on") or {}).get("postgres", {}).get("condition")
    assert condition == "service_healthy", f"migrate should wait for postgres healthy: {condition}"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_service_waits_for_migrations_and_redis(name):
    depends_on = services()[name].get("depends_on") or {}
    expected = {"migrate": "service_completed_successfully", "redis": "service_healthy"}
    for dependency, condition in expected.items():
        found = (depends_on.get(dependency) or {}).get("condition") if depends_on else None
        assert found == condition, f"{name} should depend on {dependency} {condition}: {found}"


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_restarts(name):
    restart = services()[name].get("restart")
    assert restart == "unless-stopped", f"{name} has restart {restart!r}, not unless-stopped"


def test_beat_is_a_single_instance():
    beat = services()["beat"]
    replicas = (beat.get("deploy") or {}).get("replicas", 1)
    assert replicas <= 1, f"beat has deploy.replicas {replicas}: two beats send every task twice"
    assert (beat.get("deploy") or {}).get("mode") != "global", "beat must not run in global mode"
    assert beat.get("scale", 1) <= 1, f"beat has scale {beat['scale']}: run exactly one beat"
    for name, service in services().items():
        words = argv(service.get("command"))
        if name == "beat" or words[:1] != ["celery"]:
            continue
        assert "beat" not in words, f"{name} runs a second beat: {words}"
        embedded = "worker" in words and ("-B" in words or "--beat" in words)
        assert not embedded, f"{name} runs a worker with an embedded beat: {words}"


def test_volumes_are_declared_and_media_is_mounted_at_media_root():
    missing = {"pgdata", "redisdata", "media", "prometheusdata", "grafanadata"} - set(
        compose().get("volumes") or {}
    )
    assert not missing, f"docker-compose.yml does not declare the volumes {sorted(missing)}"
    for name in ("web", "worker"):
        service = services()[name]
        mounts = dict(str(volume).split(":")[:2] for volume in service.get("volumes") or [])
        media_root = environment(service).get("MEDIA_ROOT")
        assert mounts.get("media") == media_root, (
            f"{name} mounts the media volume at {mounts.get('media')!r} but MEDIA_ROOT is "
            f"{media_root!r}: uploaded files would not persist or not be shared"
        )


# Environment variables
# ------------------------------------------------------------------------------------------


def test_settings_variables_are_found():
    assert settings_variables(), f"found no env(...) call in {SETTINGS_FILE}: the parser is wrong"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_sets_only_variables_the_settings_read(name):
    unknown = set(environment(services()[name])) - settings_variables()
    assert not unknown, (
        f"service {name!r} sets {sorted(unknown)}, which backend/config/settings.py does not "
        f"read (it reads {sorted(settings_variables())})"
    )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_without_debug(name):
    debug = environment(services()[name]).get("DEBUG", "")
    assert debug.lower() in ("false", "0", "off", "no"), f"{name} runs with DEBUG={debug!r}"


@pytest.mark.parametrize(
    ("name", "variable"),
    [("migrate", "SECRET_KEY"), ("web", "SECRET_KEY"), ("postgres", "POSTGRES_PASSWORD")],
)
def test_secrets_have_no_default(name, variable):
    value = environment(services()[name]).get(variable, "")
    used = interpolations(value).get(variable, set())
    expected = f"{name} should take {variable} as ${{{variable}:?...}} (required, no default)"
    assert used, f"{expected}, it has {value!r}"
    assert all(m.startswith((":?", "?")) for m in used), f"{expected}, it has {value!r}"


def test_env_example_names_only_variables_that_are_used():
    used = settings_variables() | set(interpolations(compose()))
    unknown = set(env_example()) - used
    assert not unknown, (
        f".env.example sets {sorted(unknown)}, which neither settings.py reads nor "
        f"docker-compose.yml interpolates"
    )


def test_env_example_sets_every_variable_compose_needs():
    set_in_example = {name for name, active in env_example().items() if active}
    needed = {
        name
        for name, modifiers in interpolations(compose()).items()
        if any(not m.startswith((":-", "-", ":+", "+")) for m in modifiers)
    }
    missing = needed - set_in_example
    assert not missing, (
        f"docker-compose.yml needs {sorted(missing)} (no default), but .env.example does not "
        f"set them (a variable the container's shell should expand is written $$NAME)"
    )


# Dockerfile
# ------------------------------------------------------------------------------------------


def final_stage() -> list[tuple[str, str]]:
    return dockerfile_stages()[-1]


def test_dockerfile_runs_its_command_from_python_slim_as_a_non_root_user():
    base = final_stage()[0][1].split()[0]
    assert base.startswith("python:3.11-slim"), f"the image is based on {base}"
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the Dockerfile's final stage sets no USER: it would run as root"
    assert users[-1].split(":")[0] not in ("root", "0"), f"the image runs as {users[-1]}"
    exposed = [arguments for keyword, arguments in final_stage() if keyword == "EXPOSE"]
    assert any("8000" in ports.split() for ports in exposed), f"EXPOSE 8000 missing: {exposed}"


def test_dockerfile_command_names_an_existing_entry_point():
    words = []
    for keyword in ("ENTRYPOINT", "CMD"):
        found = [arguments for kw, arguments in final_stage() if kw == keyword]
        words += instruction_argv(found[-1]) if found else []
    problems = entry_point_problems(words)
    assert not problems, f"the Dockerfile's command {words}: " + "; ".join(problems)


def test_dockerfile_installs_the_project_and_collects_static_files():
    runs = [arguments for stage in dockerfile_stages() for kw, arguments in stage if kw == "RUN"]
    assert any(
        re.search(r"pip install -c requirements/constraints\.txt \.(\s|$)", r) for r in runs
    ), (
        "the Dockerfile should install the project (non-editable) with "
        "pip install -c requirements/constraints.txt ."
    )
    assert not any(re.search(r"pip install[^&;|]* (-e|--editable)\b", r) for r in runs), (
        "the Dockerfile installs the project editable: the image would depend on /src"
    )
    final_runs = [arguments for kw, arguments in final_stage() if kw == "RUN"]
    assert any("collectstatic --noinput" in r for r in final_runs), (
        "the final stage should run collectstatic --noinput"
    )


def test_dockerfile_collects_the_front_end_packages_the_lock_file_pins():
    """The pages need htmx and Chart.js: a Node stage installs them from the lock file and the
    final stage hands them to collectstatic through the setting that says where they are."""
    stages = dockerfile_stages()
    node_stage = next(
        (stage for stage in stages if stage[0][1].split()[0].startswith("node:")), None
    )
    assert node_stage is not None, "no build stage FROM an official node image"
    copies = [arguments for kw, arguments in node_stage if kw == "COPY"]
    assert any("frontend/package-lock.json" in c and "frontend/package.json" in c for c in copies)
    assert any(re.search(r"\bnpm ci\b", arguments) for kw, arguments in node_stage if kw == "RUN")
    stage_name = node_stage[0][1].split()[-1]
    final = final_stage()
    copied = [
        arguments.split()[-1]
        for kw, arguments in final
        if kw == "COPY" and f"--from={stage_name}" in arguments
    ]
    environment = " ".join(arguments for kw, arguments in final if kw == "ENV")
    match = re.search(r"GRANTWATCH_FRONTEND_PACKAGES=(\S+)", environment)
    assert match, "the final stage does not tell the settings where the packages are"
    assert match[1] in copied, "the packages are not copied where the setting points"
    assert "GRANTWATCH_FRONTEND_PACKAGES" in settings_variables()
    collect = [i for i, (kw, arguments) in enumerate(final) if "collectstatic" in arguments]
    copy_at = [i for i, (kw, arguments) in enumerate(final) if f"--from={stage_name}" in arguments]
    assert collect
    assert copy_at
    assert copy_at[0] < collect[0], "the packages are copied after collectstatic ran"


def test_dockerfile_environment_holds_settings_but_no_secrets():
    for stage in dockerfile_stages():
        for keyword, arguments in stage:
            if keyword not in ("ENV", "ARG"):
                continue
            names = env_instruction_names(arguments)
            baked = {"SECRET_KEY", "ALLOWED_HOSTS"} & set(names)
            assert not baked, f"{keyword} {arguments} bakes {sorted(baked)} into the image"
            unknown = {
                name
                for name in names
                if keyword == "ENV"
                and name not in settings_variables()
                and not INTERPRETER_VARIABLE.fullmatch(name)
            }
            assert not unknown, f"ENV sets {sorted(unknown)}, which settings.py does not read"


def test_dockerfile_image_runs_without_debug():
    """The image fails closed: without DEBUG in the environment it runs as production (the
    settings' development default would otherwise apply)."""
    environment = " ".join(arguments for kw, arguments in final_stage() if kw == "ENV")
    match = re.search(r"\bDEBUG=(\S+)", environment)
    assert match, "the final stage does not set DEBUG: the image would run in debug mode"
    assert match[1].lower() in ("false", "0", "off", "no"), f"the image sets DEBUG={match[1]}"


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_build():
    assert DOCKERIGNORE.is_file(), ".dockerignore is missing: .venv, var/ and .env would be sent"
    patterns = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    missing = {".env", ".venv", "var", ".git"} - patterns
    assert not missing, f".dockerignore does not exclude {sorted(missing)}"


# Monitoring: Prometheus, Grafana, Flower
# ------------------------------------------------------------------------------------------


def bind_mounts(service: dict) -> dict[str, Path]:
    """Target in the container -> source in this repository, for the ./ bind mounts."""
    mounts = {}
    for volume in service.get("volumes") or []:
        source, target, *_ = str(volume).split(":")
        if source.startswith(("./", "../")):
            mounts[target] = (COMPOSE_FILE.parent / source).resolve()
    return mounts


def option_value(words: list[str], option: str) -> str | None:
    for word in words:
        if word.startswith(f"{option}="):
            return word.split("=", 1)[1]
    return None


@pytest.mark.parametrize(("name", "repository"), sorted(PINNED_IMAGES.items()))
def test_official_images_are_pinned_to_a_release(name, repository):
    image = services()[name].get("image", "")
    found, _, tag = image.partition(":")
    assert found == repository, f"{name} runs {image!r}, not {repository}"
    pin = f"{name} runs {image!r}: pin a release tag (an upgrade is a reviewed change)"
    assert tag, pin
    assert tag != "latest", pin
    assert re.search(r"\d", tag), pin


def test_flower_runs_only_under_its_profile():
    assert services()["flower"].get("profiles") == ["flower"]
    others = [
        name for name, service in services().items() if name != "flower" and "profiles" in service
    ]
    assert others == [], f"these services would not start with a plain `up`: {others}"


def test_flower_watches_the_stack_broker_and_insists_on_a_login():
    flower = services()["flower"]
    script = " ".join(argv(flower.get("command")))
    broker = environment(services()["worker"])["CELERY_BROKER_URL"]
    assert f"--broker={broker}" in script, f"flower should watch {broker}: {script}"
    assert "FLOWER_BASIC_AUTH" in environment(flower), "flower needs FLOWER_BASIC_AUTH"
    assert 'test -n "$$FLOWER_BASIC_AUTH"' in script or 'test -n "$FLOWER_BASIC_AUTH"' in script


@pytest.mark.parametrize("name", MONITORING_SERVICES)
def test_monitoring_ports_stay_on_the_loopback_interface_by_default(name):
    for port in services()[name].get("ports") or []:
        published = str(port).rsplit(":", 1)[0]
        default = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", published)
        assert default.startswith("127.0.0.1:"), f"{name} publishes {port} beyond the loopback"


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_monitoring_configuration_mounted_from_the_repository_exists(name):
    mounts = bind_mounts(services()[name])
    assert mounts, f"{name} mounts nothing from the repository"
    for target, source in mounts.items():
        assert source.is_relative_to(ROOT / "monitoring" / name), f"{name} mounts {source}"
        assert source.exists(), f"{name} mounts {source} at {target}, which does not exist"


def test_prometheus_loads_the_mounted_configuration_and_rules():
    prometheus = services()["prometheus"]
    mounts = bind_mounts(prometheus)
    config_path = option_value(argv(prometheus.get("command")), "--config.file")
    assert mounts.get(config_path) == PROMETHEUS_CONFIG, (
        f"--config.file={config_path} is not where {PROMETHEUS_CONFIG} is mounted: {mounts}"
    )
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    container_dir = Path(config_path).parent
    for pattern in config["rule_files"]:
        folder = str(container_dir / Path(pattern).parent)
        assert folder in mounts, f"rule_files {pattern}: nothing is mounted at {folder}"
        assert list(mounts[folder].glob(Path(pattern).name)), f"no rule file matches {pattern}"


def test_prometheus_scrapes_web_metrics_with_the_token_it_is_given():
    prometheus = services()["prometheus"]
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "grantwatch"]
    targets = [target for static in job["static_configs"] for target in static["targets"]]
    assert targets == ["web:8000"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    authorization = job["authorization"]
    assert authorization.get("type", "Bearer") == "Bearer"
    # The entrypoint writes the token from the environment where the config expects it.
    entrypoint = " ".join(argv(prometheus.get("entrypoint")))
    assert f"> {authorization['credentials_file']}" in entrypoint, entrypoint
    assert "exec /bin/prometheus" in entrypoint, entrypoint
    token = environment(prometheus).get("GRANTWATCH_METRICS_TOKEN", "")
    assert token == environment(services()["web"]).get("GRANTWATCH_METRICS_TOKEN"), (
        "prometheus and web must be given the same GRANTWATCH_METRICS_TOKEN"
    )
    assert interpolations(token).get("GRANTWATCH_METRICS_TOKEN") == {
        ":?set GRANTWATCH_METRICS_TOKEN in .env (see .env.example)"
    }
    allowed = environment(services()["web"])["ALLOWED_HOSTS"].split(",")
    assert "web" in allowed, "web must allow the Host header Prometheus sends (web:8000)"


def test_grafana_provisions_the_datasource_and_the_dashboards():
    grafana = services()["grafana"]
    mounts = bind_mounts(grafana)
    provisioning = mounts.get("/etc/grafana/provisioning")
    assert provisioning == ROOT / "monitoring" / "grafana" / "provisioning", mounts
    datasources = [
        source
        for path in (provisioning / "datasources").glob("*.yml")
        for source in yaml.safe_load(path.read_text())["datasources"]
    ]
    assert [(d["type"], d["url"]) for d in datasources] == [
        ("prometheus", "http://prometheus:9090")
    ]
    providers = [
        provider
        for path in (provisioning / "dashboards").glob("*.yml")
        for provider in yaml.safe_load(path.read_text())["providers"]
    ]
    for provider in providers:
        folder = mounts.get(provider["options"]["path"])
        assert folder is not None, f"nothing is mounted at {provider['options']['path']}"
        dashboards = [json.loads(path.read_text()) for path in folder.glob("*.json")]
        assert dashboards, f"no dashboard in {folder}"
        used = {
            target["datasource"]["uid"]
            for dashboard in dashboards
            for panel in dashboard["panels"]
            for target in panel.get("targets", [])
        }
        assert used <= {d["uid"] for d in datasources}, f"dashboards use data sources {used}"
    password = environment(grafana).get("GF_SECURITY_ADMIN_PASSWORD", "")
    assert all(
        m.startswith(":?") for m in interpolations(password).get("GRAFANA_ADMIN_PASSWORD", {""})
    )


def test_web_runs_gunicorn_with_the_multiprocess_metrics_folder():
    web = services()["web"]
    words = argv(web.get("command"))
    config, _ = gunicorn_config(words)
    assert config == "python:backend.config.gunicorn", f"web runs {words}"
    folder = environment(web).get("PROMETHEUS_MULTIPROC_DIR", "")
    assert folder.startswith("/dev/shm/"), (
        f"PROMETHEUS_MULTIPROC_DIR={folder!r}: keep it on the container's tmpfs"
    )
    for name in ("worker", "beat", "migrate"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in environment(services()[name]), (
            f"{name} would write metrics files nobody reads"
        )
