# The two commands of the README:  make run  and  make test.
PYTHON ?= python3
VENV ?= .venv
TERRITORY ?= monza-brianza
INSTANCE ?= territories/$(TERRITORY)
HOST ?= 127.0.0.1
PORT ?= 5000

BIN := $(VENV)/bin
AMAL := AMAL_ENV=development $(BIN)/amal --instance $(INSTANCE)
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: install run test lint format browser bench translations imports clean load

# Installed once, again when a pyproject changes.
# constraints.txt pins every version (SECURITY.md: how operators audit them).
$(BIN)/.installed: pyproject.toml constraints.txt $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]' $(patsubst %,-e %,$(dir $(PLUGINS)))
	touch $@

install: $(BIN)/.installed

run: install
	$(AMAL) init --generate-password
	$(AMAL) demo --if-empty
	$(AMAL) serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suite runs every database test on SQLite and on PostgreSQL
# (AMAL_TEST_POSTGRES_URL, default: database test on 127.0.0.1:5432).
# Browser tests drive Debian's Chromium (never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "Chromium is missing: browser tests will be skipped (sudo apt-get install chromium)"; \
		fi; \
	fi

# pytest exits 5 when it collected no test: that is a failure too.
test: lint browser
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest ran no test" >&2; exit 1; fi; exit $$status

# Re-extract visible strings, merge them into the Italian catalogue, compile it.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
		-o core/amal/translations/messages.pot .
	$(BIN)/pybabel update -i core/amal/translations/messages.pot -d core/amal/translations -l it
	$(BIN)/pybabel compile -d core/amal/translations -l it

# Figures, not pass/fail: page and report timings and query counts.
bench: install
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# The import graph between packages, its cycles and upward imports
# (REV=<commit> for a past revision, IMPORTS_ARGS=--modules for module edges).
imports:
	$(PYTHON) scripts/import_graph.py $(if $(REV),--rev $(REV)) $(IMPORTS_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info core/*.egg-info plugins/*/*.egg-info

# 50 staff users for 60 s on gunicorn + PostgreSQL (loopback only): requests,
# errors, p50/p95/p99; fails on any error. Not part of `make test`.
load: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[load]'
	$(BIN)/python scripts/load.py $(LOAD_ARGS)
