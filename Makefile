# Two commands on a fresh machine with Python 3.11:  `make run`  and  `make test`.
# Each creates and fills .venv itself when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# TEXT=0 skips the optional MiniLM text model (torch + sentence-transformers); its tests then skip.
TEXT   ?= 1
comma  := ,
EXTRAS := $(if $(filter 1,$(TEXT)),text$(comma))spark$(comma)dev
PORT   ?= 8501

.PHONY: run test test-fast lint bench install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null

# torch is pinned before the text extra: here a CPU wheel of 2.13.0 is at hand, while a bare
# `torch` requirement would pull several GB of CUDA packages.
$(STAMP): pyproject.toml | $(BIN)/python
	@if [ "$(TEXT)" = "1" ]; then $(BIN)/pip install "torch==2.13.0" || \
	  echo "warning: torch==2.13.0 not installable here; the MiniLM text model will be unavailable"; fi
	$(BIN)/pip install -e ".[$(EXTRAS)]" || $(BIN)/pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests and dataset-fashion-mnist for the real-data tests (need root and
# apt-get; skipped with a note otherwise).
system-deps:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing="$$missing dataset-fashion-mnist"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = "0" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: $$missing missing and cannot be installed here; the tests that need them will skip"; fi

run: install
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# The linter, the formatter's check and the type checker (configured in pyproject.toml), then every test.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint system-deps
	$(BIN)/python -m pytest -q

test-fast: lint
	$(BIN)/python -m pytest -q -m "not browser and not slow"

bench: install
	$(BIN)/python benchmarks/engine_speed.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
