# Two commands: `make run` (dashboard on the demo database) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= $(or $(CX_DB),data/cx.duckdb)
PORT   ?= 8501

.PHONY: run test test-fast lint format demo bench system lock clean

run: $(VENV)/.runtime $(DB)
	$(PY) -m streamlit run dashboard.py --server.address 127.0.0.1 --server.port $(PORT)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installed from the lock files only: every package, transitive ones included, pinned with its hashes.
$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.dev: requirements.lock requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $(VENV)/.runtime $@

# Re-resolve the lock files after changing requirements*.in (needs the registry).
lock: $(VENV)/.dev
	for f in requirements requirements-dev; do \
	  $(VENV)/bin/uv pip compile --python-version 3.11 --generate-hashes --no-header --annotation-style line -q $$f.in -o $$f.lock; \
	done

# Built only when missing: the demo database with 20,000 customers and 1,000,000 interactions.
$(DB): | $(VENV)/.runtime
	$(PY) -m cx demo --db $(DB)

demo: $(VENV)/.runtime
	$(PY) -m cx demo --db $(DB) --force

# The Debian packages in debian-packages.txt, installed when missing. (Slim images drop /usr/share/man,
# and the JDK's post-install step fails without man1 there.)
system:
	@missing=$$(sed 's/#.*//' debian-packages.txt | xargs -r -n1 sh -c 'dpkg -s "$$0" >/dev/null 2>&1 || echo "$$0"'); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "The tests need these Debian packages: $$missing. Run 'sudo apt-get install $$missing' and try again."; exit 1; fi; \
	$$SUDO mkdir -p /usr/share/man/man1; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null

lint: $(VENV)/.dev
	$(PY) -m ruff check cx pages tests dashboard.py
	$(PY) -m ruff format --check cx pages tests dashboard.py
	$(VENV)/bin/lint-imports

format: $(VENV)/.dev
	$(PY) -m ruff format cx pages tests dashboard.py
	$(PY) -m ruff check --fix cx pages tests dashboard.py

test: $(VENV)/.dev system lint
	$(PY) -m pytest -q

test-fast: $(VENV)/.dev
	$(PY) -m pytest -q -m "not e2e and not slow"

# Builds (once) and measures the 1M and 10M demo databases; writes bench/results/. Takes a while.
bench: $(VENV)/.dev
	$(PY) -m cx bench

clean:
	rm -rf test-artifacts .pytest_cache
