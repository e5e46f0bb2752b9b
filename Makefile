# Grantwatch: `make run` starts the whole system on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
GW := $(BIN)/grantwatch
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := frontend/node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export PATH := $(CURDIR)/$(BIN):$(PATH)

# The days the date-sensitive tests also run at (GRANTWATCH_TEST_TODAY): in the last months of
# the demo grant file's own calendar (month 47 of 2024-03 .. 2028-02) and a year after its end.
TEST_DAYS ?= 2028-01-31 2029-03-01
DATE_SENSITIVE_TESTS ?= tests/demo tests/grants/test_demo.py tests/reporting/test_demo_record.py \
  tests/monitoring tests/workplan/test_timeline.py tests/frontend/test_project_home.py \
  tests/payments tests/browser

.PHONY: install run test check pytest pytest-pages pytest-life pytest-days pytest-day lane-suite lane-life bench constraints messages clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e ".[dev]"
	touch $(STAMP)

# The web pages' front-end packages, exactly as frontend/package-lock.json pins them.
$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18 or newer) is needed for the web pages' packages" >&2; exit 1; }
	npm ci --prefix frontend --no-audit --no-fund --loglevel error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: install
	$(GW) migrate --noinput
	$(GW) load-demo
	@echo ""
	@echo "Grantwatch is starting at http://$(HOST):$(PORT)/  (API: /api/v1/, docs: /api/docs/)"
	@echo "Stop it with Ctrl-C."
	GRANTWATCH_HOST=$(HOST) GRANTWATCH_PORT=$(PORT) $(BIN)/honcho --procfile Procfile start

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(GW) makemigrations --check --dry-run
	$(GW) check

# The browser checks that walk the demo as each kind of user (axe-core over every page, the
# keyboard journeys) and the sign-in through a live OpenID provider: pytest-pages runs them in the
# second lane, on a test database of their own, so that the two lanes take about as long.
PAGE_TESTS ?= tests/accessibility tests/accounts/test_oidc_browser.py

# The suite, without the demo's life (pytest-life runs it beside, on a test database of its own)
# and PAGE_TESTS (pytest-pages).
pytest: install
	$(BIN)/pytest -m "not life" $(addprefix --ignore=,$(PAGE_TESTS)) $(PYTEST_ARGS)

pytest-pages: install
	GRANTWATCH_TEST_DB_SUFFIX=pages $(BIN)/pytest -m "not life" $(PAGE_TESTS)

# The demo loaded at every month of its life (tests/demo/test_across_life.py).
pytest-life: install
	GRANTWATCH_TEST_DB_SUFFIX=life $(BIN)/pytest -m life tests/demo

# The date-sensitive tests again, as if today were each of TEST_DAYS, one after the other.
pytest-days: install
	@for day in $(TEST_DAYS); do $(MAKE) --no-print-directory pytest-day DAY=$$day || exit 1; done

# The date-sensitive tests as if today were DAY, on a test database of their own (so that they
# can run beside the suite).
pytest-day: install
	@test -n "$(DAY)" || { echo "DAY=YYYY-MM-DD is needed" >&2; exit 1; }
	@echo "== the date-sensitive tests as if today were $(DAY)"
	GRANTWATCH_TEST_DB_SUFFIX=day$(subst -,,$(DAY)) GRANTWATCH_TEST_TODAY=$(DAY) \
	  $(BIN)/pytest -m "not life" $(DATE_SENSITIVE_TESTS)

# make test's two lanes on a 2-core machine: the suite, then the first of TEST_DAYS; beside it
# the demo's life, then the other days.
FIRST_DAY := $(firstword $(TEST_DAYS))
OTHER_DAYS := $(wordlist 2,$(words $(TEST_DAYS)),$(TEST_DAYS))

lane-suite: pytest
	$(MAKE) --no-print-directory pytest-day DAY=$(FIRST_DAY)

lane-life: pytest-life
	$(MAKE) --no-print-directory pytest-pages
	@for day in $(OTHER_DAYS); do $(MAKE) --no-print-directory pytest-day DAY=$$day || exit 1; done

test: check
	$(MAKE) --no-print-directory -j2 --output-sync=recurse lane-suite lane-life

# The scale figures at two sizes, side by side (benchmarks/run.py lists the BENCH_* settings);
# PostgreSQL and Redis must answer. The figures also go to var/bench/ (BENCH_OUTPUT).
bench: install
	$(BIN)/python -m benchmarks.run

# Re-pin the whole dependency tree after changing pyproject.toml.
constraints: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -vi '^grantwatch' \
	  | sed '1i # The whole dependency tree, pinned: make installs against this file (pip -c).\n# Regenerate after changing pyproject.toml: make constraints' \
	  > requirements/constraints.txt

# Refresh the translation catalogues (needs GNU gettext) after changing user-visible strings;
# English is the source language; the compiled .mo files are committed so that running
# needs no gettext.
messages: install
	$(GW) makemessages --locale lv --no-obsolete \
	  --ignore tests --ignore var --ignore build --ignore benchmarks --ignore 'migrations' --ignore node_modules
	$(GW) compilemessages --ignore .venv --ignore var --ignore build

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache frontend/node_modules test-artifacts
