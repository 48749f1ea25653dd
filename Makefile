# appaudit — every task a newcomer or CI needs. `make demo` and `make test` work from a clean clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-reports

.PHONY: install demo test bench accuracy fixtures lint typecheck check clean fuzz i18n

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_APPS := clean.apk sdks.apk preconsent.apk provider_init.apk obfuscated.apk packed.apk split.xapk \
             bundles/aab_feature.aab policy/policy_zh.apk

demo: install
	@echo "Auditing the bundled example APKs into $(DEMO_OUT)/ ..."
	@rm -rf $(DEMO_OUT)
	@$(VENV)/bin/appaudit scan $(addprefix tests/fixtures/apks/,$(DEMO_APPS)) -o $(DEMO_OUT) -f json,html,md,sdk-list
	@echo
	@echo "Reports (open the .html files in a browser; .json is the machine-readable result):"
	@ls -1 $(DEMO_OUT)/*.html | sed 's/^/  /'

test: install
	$(PY) -m pytest -q -n 2

# ARGS: flags of bench/run.py, e.g. make bench ARGS=--store (the store-shaped APKs end to end only)
bench: install
	$(PY) bench/run.py $(ARGS)

# real vendor SDKs (pinned npm packages) in evaluation apps: build them (cached in bench/cache/accuracy),
# score appaudit against truth derived without its knowledge base (bench/accuracy/)
accuracy: install
	PYTHONPATH=bench $(PY) -m accuracy
	@echo "Privacy policy against behaviour: the fixture set, then five hold-out sets, each written without seeing the engine"
	$(PY) bench/policy_eval.py tests/fixtures/policies bench/policies_holdout bench/policies_holdout2 bench/policies_holdout3 \
	    bench/policies_holdout4 bench/policies_holdout5

# a longer fuzz campaign of the hostile-input readers (tests/fuzz/): FUZZ_MINUTES per target (default 3),
# FUZZ_TARGETS=zip,manifest,arsc,dex,signing,axml,signing-verifier (default all), FUZZ_JOBS processes; new crashes are saved in fuzz-findings/
fuzz: install
	FUZZ_MINUTES=$${FUZZ_MINUTES:-3} $(PY) -m tests.fuzz.campaign

fixtures:
	bash tests/fixtures/build.sh

# report languages (reports/i18n.py): extract every message (templates, writers, rules.toml, pi_categories.toml)
# into the template, merge it into each catalog (new messages untranslated, changed ones fuzzy: translate them in
# reports/locale/zh_CN/LC_MESSAGES/appaudit.po), then compile the .mo that is committed with it
I18N_KEYWORDS := -k nformat:2,3 -k _least:3,4 -k C_:1c,2
i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output --omit-header \
		-o reports/locale/appaudit.pot .
	$(VENV)/bin/pybabel update -i reports/locale/appaudit.pot -d reports/locale -D appaudit -l zh_CN \
		--width 100 --ignore-obsolete
	$(VENV)/bin/pybabel compile -d reports/locale -D appaudit --statistics

lint: install
	$(VENV)/bin/ruff check scanner signatures reports tests bench

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache .mypy_cache test-artifacts
