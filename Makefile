# Two commands do all the set-up: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# Test processes side by side (pytest-xdist); `make test TEST_WORKERS=0` runs them in one.
TEST_WORKERS ?= auto

.PHONY: run test venv install install-test lint format migrate demo bench soak check-deploy clean

$(VENV)/bin/python:
	@py=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

venv install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: set up, migrate, load the demo department, start web server and worker on 127.0.0.1
run: $(VENV)/.installed
	@scripts/ensure-pdf-libs $(PY)
	@scripts/run

## make test: install what tests need (Python packages, Debian's chromium), lint, run every test
test: $(VENV)/.installed-test
	@scripts/ensure-chromium
	@scripts/ensure-pdf-libs $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PEERSUPPORT_ENV=test $(PY) manage.py makemigrations --check --dry-run
	PEERSUPPORT_ENV=production ALLOWED_HOSTS=peersupport.example.org \
	  SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  AUDIT_HMAC_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(40))') \
	  ENCRYPTION_KEYS=ci:$$($(PY) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())') \
	  $(PY) manage.py check --deploy --fail-level WARNING
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make bench: every benchmark (minutes; PostgreSQL too with BENCH_DATABASE_URL), then bench/RESULTS.md
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || { echo "bench/pages.py needs wrk: apt-get install -y wrk"; exit 1; }
	$(PY) bench/demo_department.py
	$(PY) bench/escalation_latency.py
	$(PY) bench/offer_latency.py
	$(PY) bench/pages.py
	@for f in bench/report*.py; do [ -e "$$f" ] || continue; echo "$(PY) $$f"; $(PY) "$$f" || exit 1; done
	$(PY) bench/collect.py

## make soak: kill -9 the web server and the worker 100 times under load; nothing may be lost
soak: $(VENV)/.installed-test
	$(PY) bench/soak.py --kills 100

clean:
	rm -rf $(VENV) var/ .pytest_cache
