PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test lint example

# test: ruff, mypy --strict on engine/, then pytest (warnings are errors) with a coverage
# floor on engine/; the suite runs in well under a minute

setup:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || missing="$$missing libzbar0"; \
	$(PY) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'

test: lint
	$(BIN)/python -m pytest --cov=engine --cov-report=term:skip-covered --cov-fail-under=90

lint:
	$(BIN)/ruff check engine operators tests benchmarks examples
	$(BIN)/mypy engine

example:
	$(BIN)/python examples/make_media.py
	$(BIN)/opgraph run graphs/barcode-reading.yml --input examples/media/shelf-label.png \
		--draw examples/media/shelf-label.drawn.png
