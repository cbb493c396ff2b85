PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency pinned with its hashes (make lock refreshes them); pyproject.toml keeps the ranges.
LOCK := requirements-dev.lock
COMPILE := CUSTOM_COMPILE_COMMAND="make lock" .venv-lock/bin/pip-compile --quiet --upgrade \
	--generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

.PHONY: run test lint format bench crash long install clean lock

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

lock:
	@test -x .venv-lock/bin/pip-compile || \
		($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools)
	$(COMPILE) -o requirements.lock pyproject.toml
	$(COMPILE) --extra dev -o requirements-dev.lock pyproject.toml

install: $(STAMP)

# Without DISCORD_TOKEN (in .env or the environment): a rehearsal of the meeting day, played
# locally. ARGS passes rehearsal options on, e.g. make run ARGS="--lang fr --speed 300".
run: $(STAMP)
	$(BIN)/amphi run --rehearse-without-token $(ARGS)

# The tests mostly wait (on the fake Discord, the stores, processes): more workers than cores;
# a worker out of tests takes some of another's, as the end-to-end ones last seconds each.
PYTEST_WORKERS ?= 6
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist worksteal

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-lock *.egg-info

bench: $(STAMP)
	$(BIN)/python -m bench

# The long versions of what make test plays short: the shipped day rehearsed whole, with a full
# room, and 1,000 hostile questions.
long: $(STAMP)
	AMPHI_LONG=1 AMPHI_FUZZ_QUESTIONS=1000 $(BIN)/python -m pytest -p no:cacheprovider \
		tests/e2e/test_rehearsal.py tests/e2e/test_hostile_questions.py

crash: $(STAMP)
	AMPHI_CRASH_SEEDS=20 $(BIN)/python -m pytest -s -p no:cacheprovider tests/e2e/test_crash.py tests/e2e/test_crash_questions.py tests/e2e/test_crash_notices.py tests/e2e/test_crash_proposals.py tests/e2e/test_takeover_crash.py -k "every_promise or once"
