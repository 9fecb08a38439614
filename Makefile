PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test lint example

setup:
	@if ! ldconfig -p 2>/dev/null | grep -q libzbar.so.0; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzbar0; \
	fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'

test:
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check engine operators tests benchmarks
	$(BIN)/mypy engine

example:
	$(BIN)/python examples/make_media.py
	$(BIN)/opgraph run graphs/barcode-reading.yml --input examples/media/shelf-label.png \
		--draw examples/media/shelf-label.drawn.png
