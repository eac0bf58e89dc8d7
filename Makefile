# 质量强市看板 — the commands of README.md. Needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS ?= redis://127.0.0.1:6379/0
# Debian packages the browser tests, chart images and Chinese PDFs need.
APT_PACKAGES := chromium poppler-utils fonts-wqy-microhei fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: run test test-pg lint format bench load system-deps install dev migrate demo worker beat clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_regions
	$(PY) manage.py load_catalog
	$(PY) manage.py seed_demo

## run: SQLite + eager Celery, demo data, http://127.0.0.1:8000
run: demo
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

## test: the whole suite (SQLite, eager). With DATABASE_URL/REDIS_URL set it runs
## against PostgreSQL + Redis and the integration tests start a real worker.
test: dev
	$(VENV)/bin/pytest

## test-pg: the suite against the machine's PostgreSQL and Redis, integration included.
test-pg: dev
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) QC_REQUIRE_INTEGRATION=1 $(VENV)/bin/pytest

lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: dev
	$(PY) -m benchmarks.run

load: dev
	$(PY) -m benchmarks.load

worker: install
	$(VENV)/bin/celery -A quality_city worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A quality_city beat --loglevel=INFO

## system-deps: Debian packages (chromium, poppler, CJK fonts, pango). Needs root.
system-deps:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  else echo "system packages present"; fi; \
	else echo "apt-get not found: install $(APT_PACKAGES) with your package manager"; fi

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
