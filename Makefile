# appaudit — every task a newcomer or CI needs. `make demo` and `make test` work from a clean clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-reports

.PHONY: install demo test bench fixtures lint typecheck check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	@echo "Auditing the bundled example APKs into $(DEMO_OUT)/ ..."
	@$(VENV)/bin/appaudit scan tests/fixtures/apks/clean.apk tests/fixtures/apks/sdks.apk \
		tests/fixtures/apks/preconsent.apk tests/fixtures/apks/multidex.apk \
		tests/fixtures/apks/split.xapk -o $(DEMO_OUT)
	@echo "Reports written to $(DEMO_OUT)/:"
	@ls -1 $(DEMO_OUT)/* | sed 's/^/  /'

test: install
	$(PY) -m pytest -q -n 2

bench: install
	$(PY) bench/run.py

fixtures:
	bash tests/fixtures/build.sh

lint: install
	$(VENV)/bin/ruff check scanner signatures reports tests bench

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache .mypy_cache test-artifacts
