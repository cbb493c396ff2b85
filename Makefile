PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench crash install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Without DISCORD_TOKEN (in .env or the environment): a rehearsal of the meeting day, played
# locally. ARGS passes rehearsal options on, e.g. make run ARGS="--lang fr --speed 300".
run: $(STAMP)
	$(BIN)/amphi run --rehearse-without-token $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) *.egg-info

bench: $(STAMP)
	$(BIN)/python -m bench

crash: $(STAMP)
	AMPHI_CRASH_SEEDS=20 $(BIN)/python -m pytest -s -p no:cacheprovider tests/e2e/test_crash.py tests/e2e/test_crash_questions.py -k every_promise
