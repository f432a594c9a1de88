# Mentor Coach: `make run` starts the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Privacy and offline defaults for everything make starts.
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export ORT_DISABLE_TELEMETRY := 1

.PHONY: setup browser run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing Mentor Coach and its dependencies (llama-cpp-python compiles once: ~7 min on 2 cores)..."
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests use: chromium for the browser tests (never `playwright install`) with a colour emoji
# font (Gradio's and the coach's titles carry emoji), strace to prove a session makes no outbound connection.
# CI runs as root.
browser:
	command -v chromium >/dev/null && command -v strace >/dev/null && command -v ip >/dev/null && \
		[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || \
		(apt-get update && apt-get install -y --no-install-recommends chromium strace iproute2 fonts-noto-color-emoji)

run: setup
	$(BIN)/python app.py

test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
