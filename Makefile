PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock
LATEST := .venv-latest
LOCK_FLAGS ?= --upgrade

.PHONY: setup test lint example lock test-latest test-wheel

# setup: system packages if missing (chromium for the console's browser tests), .venv, the
# locked versions of every dependency (the `dev` extra included), then the package itself,
# editable.  Safe to run again: it only
# installs what is missing or differs from the lock.
# test: ruff, mypy --strict on engine/, then pytest (warnings are errors) with a coverage
# floor on engine/; the suite runs in about a minute (the wheel test runs only in CI).
# lock: re-resolve the lock to the newest versions pyproject.toml allows (every platform);
# `make lock LOCK_FLAGS=` keeps the current pins and only adds what pyproject.toml added.
# test-latest: the tests on the newest versions, unpinned, in a venv of their own.
# test-wheel: build the sdist and wheel, install the wheel in an empty venv, run a graph.

setup:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || missing="$$missing libzbar0"; \
	$(PY) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -x /usr/bin/chromedriver || missing="$$missing chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps -r $(LOCK)  # the lock is complete (see [tool.uv])
	$(BIN)/python -m pip install -q --no-deps -e .

test: lint
	$(BIN)/python -m pytest --cov=engine --cov-report=term:skip-covered --cov-fail-under=90

lint:
	$(BIN)/ruff check engine operators tests benchmarks examples
	$(BIN)/mypy engine

lock:
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --extra dev \
		$(LOCK_FLAGS) --custom-compile-command "make lock" --quiet -o $(LOCK)

test-latest:
	test -x $(LATEST)/bin/python || $(PY) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[dev]'
	# rapidocr-onnxruntime pulls the GUI build of OpenCV over the headless one ([tool.uv])
	$(LATEST)/bin/python -m pip uninstall -q -y opencv-python
	$(LATEST)/bin/python -m pip install -q --force-reinstall --no-deps 'opencv-python-headless<5'
	$(LATEST)/bin/python -m pip list --format=freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m pytest

test-wheel:
	OPGRAPH_TEST_WHEEL=1 $(BIN)/python -m pytest tests/test_wheel.py

example:
	$(BIN)/opgraph samples examples/media
	$(BIN)/opgraph run builtin:barcode-reading --input examples/media/shelf-label.png \
		--draw examples/media/shelf-label.drawn.png
