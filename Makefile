# The two commands a newcomer needs:
#   make run    set up, then serve the API on http://127.0.0.1:8000 (embedded SQLite)
#   make test   set up, then lint and run the whole test suite (DATABASE_URL picks the database)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

install: $(BIN)/.installed

# Development settings for this checkout, read by every `manage.py` (config/settings.py
# loads .env): DEBUG on, and a key of its own so sessions and tokens survive a restart.
.env:
	printf 'DEBUG=1\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@

# PORT (default 8000) picks the port. The background worker (webhooks, pruning) runs
# beside the server and stops with it.
run: install .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py ensure_dev_account
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$${PORT:-8000}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The test settings (tests/settings.py) supply a throwaway key and test-only secrets.
test: export DJANGO_SETTINGS_MODULE = tests.settings
test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/pytest $(PYTEST_ARGS)

# BENCH_ARGS: bench/run.sh options, e.g. BENCH_ARGS="--remote-db 1" (bench/README.md)
bench: install
	bench/run.sh $(BENCH_ARGS)
