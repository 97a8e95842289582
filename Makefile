# The documented interface: make up | down | status | test | lint | bench | install
# Python 3.12: PYTHON when given, else found by infra/find-python.sh (python3.12, else pyenv's).
PYTHON ?=
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/pytest
# make test: a test that fails is run once more, its first failure printed and listed as FLAKY
# (tests/conftest.py); one that fails twice fails the run. The 15 slowest tests are listed.
RETRY  := --reruns 1 --reruns-delay 5 -rR --durations=15

.PHONY: install up down status test test-fast test-services test-docker lint format bench graph demo

$(BIN)/bocage: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all]'
	touch $(BIN)/bocage

# A .venv built on another Python (3.11 before) is rebuilt, as is one whose Python is gone.
install:
	@python="$$(infra/find-python.sh $(PYTHON))" || exit 1; \
	want="$$("$$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; \
	if [ -e $(VENV) ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$$want" ]; then \
	  echo "$(VENV) is not on Python $$want: rebuilding it"; rm -rf $(VENV); fi; \
	$(MAKE) --no-print-directory $(BIN)/bocage PYTHON="$$python"

OSM_SAMPLE ?= ../shared/data/osm/flanders-kempen-2013_drive.osm

# The machine's set-up (Redis and RabbitMQ running, the management plugin, Chromium for the page
# tests) is done by infra/setup-host.sh, which says what to run when it cannot do it itself.
up: install
	@infra/setup-host.sh
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
# patching, which must not leak into the gateway and browser tests. Every stage runs; the exit
# code is non-zero when any stage failed (pytest's own code, including 5 for "no test ran").
# The compose stack's images build in the background meanwhile (mostly downloads; minutes on a
# fresh machine, seconds once cached), then tests/docker runs, wherever a Docker engine can be
# had; where none can, it says so.
DOCKER_IMAGES_LOG := var/log/test-docker-images.log

test: install
	@infra/setup-host.sh --browser
	@mkdir -p $(dir $(DOCKER_IMAGES_LOG)); \
	infra/docker/test-docker.sh images >$(DOCKER_IMAGES_LOG) 2>&1 & images=$$!; \
	echo "compose images building in the background (log: $(DOCKER_IMAGES_LOG))"; \
	failed=""; \
	$(PYTEST) $(RETRY) tests --ignore=tests/service --ignore=tests/docker -m "not docker" || failed="$$failed tests"; \
	$(PYTEST) $(RETRY) tests/service || failed="$$failed tests/service"; \
	wait $$images; code=$$?; cat $(DOCKER_IMAGES_LOG); \
	if [ $$code = 0 ]; then PYTEST="$(PYTEST) $(RETRY)" infra/docker/test-docker.sh tests; code=$$?; fi; \
	if [ $$code = 3 ]; then echo "NOTE: no Docker engine can be had here (not root, none running): tests/docker (the compose stack) did not run; run 'make test-docker' where Docker runs."; \
	elif [ $$code != 0 ]; then failed="$$failed tests/docker"; fi; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

test-fast: install
	$(PYTEST) tests -m unit

test-services: install
	@infra/setup-host.sh
	$(PYTEST) tests/service

# The compose stack: Docker engine, local base images, build, up, campaign, meal round, Redis
# restart, down (infra/docker/test-docker.sh).
test-docker: install
	@PYTEST="$(PYTEST)" infra/docker/test-docker.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
