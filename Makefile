# `make run` and `make test` are the two commands README.md promises on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help run cluster test checks packages lint imports typecheck audit secrets web chromium nginx tools unit unit-covered unit-sqlite unit-system bench bench-quick format clean bytecode

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv installs what the package needs in seconds where pip takes most of a minute; pip installs uv.
# It compiles the bytecode as it installs (pip does; uv does not by default): where
# PYTHONDONTWRITEBYTECODE is set, as on the CI machines, nothing else would, and every process
# would compile every module it imports again (`python -c 'import laneway.app'`: 3.0 s, 1.3 s compiled).
$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check uv

# Running needs only the package; the checks add the test tools (pytest, mypy, playwright, ...).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]'
	touch $@

run: $(VENV)/.installed-run ## Install and run Laneway on the embedded default (SQLite, demo data); PORT=8080 HOST=0.0.0.0 to change where it listens
	$(BIN)/laneway serve --demo $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# `make cluster`: the database is made if missing; PORT=9000 moves nginx (replicas on the next ports)
CLUSTER_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/laneway_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0

cluster: $(VENV)/.installed nginx ## Two replicas on PostgreSQL + Redis, a worker, nginx in front on :8080 (deploy/local/); Ctrl-C stops all
	$(BIN)/python -m deploy.local.cluster --create-database \
	  --database-url $(CLUSTER_DATABASE_URL) --redis-url $(CLUSTER_REDIS_URL) $(if $(PORT),--port $(PORT))

# The installs first (pip, npm and apt side by side; the apt ones one after another, as apt
# holds a lock), then every check at once, each one's output printed whole when it ends. The
# checks are independent, and much of the suite waits on servers, browsers and timers, so both
# cores stay busy.
test: ## Install what tests need and run every check (CI runs this)
	$(MAKE) --jobs --output-sync=target $(VENV)/.installed web/node_modules/.installed packages
	$(MAKE) bytecode
	$(MAKE) --jobs --output-sync=target checks

# The project's own modules, compiled once for the hundreds of processes the suite starts (see
# the install above); compileall skips what is up to date.
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q -j0 src tests bench checks deploy

packages:
	$(MAKE) -j1 chromium nginx tools

checks: lint imports typecheck secrets audit web bench-quick unit-covered unit-sqlite unit-system

lint: $(VENV)/.installed ## ruff format check and lint (incl. security rules)
	$(BIN)/ruff format --check src tests bench deploy checks
	$(BIN)/ruff check src tests bench deploy checks

# The layers and what may import what: the contracts in pyproject.toml's [tool.importlinter].
imports: $(VENV)/.installed ## The import contracts: layers point down, no cycle, domains never import the app state
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed ## mypy --strict on src/, deploy/ and checks/
	$(BIN)/mypy

# Known advisories: pip-audit over the installed dependencies (PyPI's JSON API) and
# `npm audit --omit=dev` over web/package-lock.json; checks/advisories-allowed.toml lets one
# pass only with a reason. A source out of reach (a registry mirror without the advisory
# endpoints, as on the development machines) is reported as NOT CHECKED and does not fail the
# target; AUDIT_REQUIRE=1 makes it fail (where the sources are reachable, CI should set it).
audit: $(VENV)/.installed ## Known advisories in the Python and web dependencies (AUDIT_REQUIRE=1: an unreachable source fails)
	$(BIN)/python -m checks.audit $(if $(AUDIT_REQUIRE),--require)

secrets: $(VENV)/.installed ## Secret scan of the tracked files (detect-secrets) against .secrets.baseline
	$(BIN)/python -m checks.secrets

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# web/src/openapi.d.ts is generated from the server's OpenAPI document and committed: it must match.
web: $(VENV)/.installed web/node_modules/.installed ## Check the API types, type-check and build the web board into the package; vitest
	cd web && LANEWAY=$(abspath $(BIN))/laneway npm run --silent check:api \
	  || { echo "web/src/openapi.d.ts is stale: run 'npm run gen:api' in web/ and commit it" >&2; exit 1; }
	cd web && npm run --silent build && npm test --silent

# The browser tests drive Debian's Chromium; Playwright's own browser download does not work here.
chromium: ## Install Debian's Chromium for the browser tests, if it is missing
	@test -x /usr/bin/chromium || { \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; }

# The cluster test and `make cluster` run Debian's nginx as a child process. Debian 12's `nginx`
# package is the smallest build: proxy, upstream, map and WebSocket upgrades are built in
# (nginx-light adds only the echo module). Its postinst starts no service where policy-rc.d
# forbids it (containers); elsewhere it also starts the system's nginx on port 80.
nginx: ## Install Debian's nginx for the cluster test and `make cluster`, if it is missing
	@test -x /usr/sbin/nginx || { \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends nginx; }

# tests/test_deploy_manifests.py checks deploy/ with Debian's promtool, nginx and docker-compose
# (its Python validators come with the test extra). Recommends stay out: no Docker engine.
DEPLOY_TOOLS := /usr/bin/promtool:prometheus /usr/sbin/nginx:nginx /usr/bin/docker-compose:docker-compose
tools: ## Install the validators of deploy/ (promtool, nginx, docker-compose) from Debian, if missing
	@missing=$$(for tool in $(DEPLOY_TOOLS); do test -x $${tool%%:*} || echo $${tool#*:}; done); \
	test -z "$$missing" || { \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; }

unit: unit-covered unit-sqlite unit-system ## pytest on SQLite and PostgreSQL on every core: the in-process tests with coverage on PostgreSQL, the same on SQLite and the system tier without

# The system tier (markers `system` and `stress`) drives other processes that coverage cannot
# see into, fuzzes the API or hammers it with concurrent writers: tracing would slow those to
# half speed for lines the other tests already cover. The web build runs meanwhile: it changes the served files only by rename.
# pytest rewrites the asserts of the test modules and of its plugins' packages (hypothesis,
# schemathesis...) in each process it starts; it keeps the result only where bytecode may be written.
# Coverage tracing doubles a test's CPU time, so the in-process tests are traced on PostgreSQL
# (and those that need no database) and run untraced on SQLite: each line is measured once, and
# the lines only SQLite runs show as missed in the report.
unit-covered: $(VENV)/.installed
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -m "not system and not stress" -k "not sqlite" -n auto --cov --cov-report=term --durations=20

unit-sqlite: $(VENV)/.installed
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -m "not system and not stress" -k sqlite -n auto --durations=20 \
	  || test $$? = 5  # none selected: LANEWAY_TEST_BACKENDS without sqlite

unit-system: $(VENV)/.installed
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -m "system or stress" -n auto --durations=20

bench-quick: $(VENV)/.installed ## The bench on a small dataset, a few seconds per workload; fails on any error or a regression against bench/results/QUICK.json
	$(BIN)/python -m bench --quick

bench: $(VENV)/.installed ## The full bench; writes bench/results/<date>-<commit>.{json,md,png}
	$(BIN)/python -m bench

format: $(VENV)/.installed ## Apply ruff formatting and safe fixes
	$(BIN)/ruff format src tests bench deploy
	$(BIN)/ruff check --fix src tests bench deploy

clean: ## Remove the virtualenv and caches (keeps laneway-data/)
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache .coverage
