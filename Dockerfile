# syntax=docker/dockerfile:1
# Grantwatch production image. docker-compose.yml runs this one image as the services
# migrate, web, worker and beat; only the command differs. (Prometheus, Grafana and Flower run
# their own official images; their configuration in monitoring/ is mounted, not built in.)
#
# The project is installed (non-editable) into /opt/venv against the pinned tree in
# requirements/constraints.txt; the source tree itself stays in the build stage.

# --- frontend: the web pages' packages (htmx, Chart.js), as frontend/package-lock.json pins them;
# the development packages (axe-core, for the accessibility tests) stay out of the image
FROM node:20-slim AS frontend
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel error

# --- build: the virtualenv ---------------------------------------------------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The runtime dependencies (pyproject's [project].dependencies, not the dev extra) get a
# layer of their own, so that a change to the code does not download them again.
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/runtime-requirements.txt \
    && pip install -c requirements/constraints.txt -r /tmp/runtime-requirements.txt

# The project itself: a regular (non-editable) install, so /opt/venv is self-contained.
COPY . .
RUN pip install -c requirements/constraints.txt .

# --- runtime -----------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

# GRANTWATCH_VAR_DIR, MEDIA_ROOT and STATIC_ROOT are settings (backend/config/settings.py).
# DEBUG=false makes the image fail closed: without SECRET_KEY and ALLOWED_HOSTS it refuses
# to start instead of serving in debug mode.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DEBUG=false \
    GRANTWATCH_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/static

# libmagic identifies uploaded evidence files by their content (python-magic loads it).
# WeasyPrint (the compliance report's PDF) loads Pango, PangoFT2 and HarfBuzz's subsetter; the
# report is set in DejaVu, which holds the Latvian letters.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libmagic1 \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 grantwatch \
    && useradd --system --uid 10001 --gid grantwatch --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin grantwatch

COPY --from=build /opt/venv /opt/venv
# collectstatic takes the front-end packages from here (GRANTWATCH_FRONTEND_PACKAGES).
COPY --from=frontend /frontend/node_modules /opt/frontend/node_modules
ENV GRANTWATCH_FRONTEND_PACKAGES=/opt/frontend/node_modules
WORKDIR /app

# Static files are collected into the image (whitenoise serves them from STATIC_ROOT). The
# settings refuse DEBUG=false without SECRET_KEY and ALLOWED_HOSTS, so this one step gets
# throw-away values; they exist only in this RUN's environment, never in the image's. Anything
# the embedded defaults make on first use (var/ and what is in it) goes to a scratch directory
# that is removed again.
# The compiled translation catalogues (.mo) ship inside the packages: no gettext needed.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-at-build-time-only \
    ALLOWED_HOSTS=build.invalid \
    GRANTWATCH_VAR_DIR=/tmp/build-var \
    grantwatch collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var/media \
    && chown -R grantwatch:grantwatch /app/var

# Only var/ is writable by the service user; the code in /opt/venv and the collected static
# files in /app/static stay root-owned. /app/var/media is where docker-compose.yml mounts the
# media volume (no VOLUME here: it would leave an anonymous volume behind every one-shot
# container such as migrate or `docker compose run`).
USER grantwatch:grantwatch

# gunicorn's configuration (backend/config/gunicorn.py): JSON logs, no access log (the
# application logs each request), and the Prometheus multiprocess hooks, which take effect
# when PROMETHEUS_MULTIPROC_DIR is set (docker-compose.yml sets it for web).
EXPOSE 8000
CMD ["gunicorn", "--config", "python:backend.config.gunicorn", "backend.config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-tmp-dir", "/dev/shm"]
