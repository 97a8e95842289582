# The documented interface: make up | down | status | test | lint | bench | install
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/pytest

.PHONY: install up down status test test-fast test-services test-docker lint format bench graph demo

$(BIN)/bocage: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all]'
	touch $(BIN)/bocage

install: $(BIN)/bocage

OSM_SAMPLE ?= ../shared/data/osm/flanders-kempen-2013_drive.osm

up: install
	@ls var/graphs/*.npz >/dev/null 2>&1 || $(MAKE) --no-print-directory graph
	$(BIN)/bocage up

# The road graph routing loads: the Kempen sample where it is, else say what to provide.
graph: install
	@if [ -f "$(OSM_SAMPLE)" ]; then $(BIN)/bocage graph build --osm "$(OSM_SAMPLE)"; \
	else echo "No OSM sample at $(OSM_SAMPLE): build your territory with"; \
	echo "  bocage graph build --osm FILE.osm   or   bocage graph build --place 'NAME' (internet)"; fi

down:
	$(BIN)/bocage down

status:
	$(BIN)/bocage status

# The whole suite. Service tests run in their own process because they need eventlet's monkey
# patching, which must not leak into the gateway and browser tests.
test: install
	$(PYTEST) tests --ignore=tests/service -m "not docker"
	$(PYTEST) tests/service
	@if docker info >/dev/null 2>&1; then $(PYTEST) tests/docker -m docker; \
	else echo "NOTE: no Docker engine here: tests/docker (the compose stack) was not run; run 'make test-docker' where Docker runs."; fi

test-fast: install
	$(PYTEST) tests -m unit

test-services: install
	$(PYTEST) tests/service

test-docker: install
	$(PYTEST) tests/docker -m docker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
