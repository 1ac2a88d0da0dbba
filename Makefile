# The two commands of the README:
#   make samples   set up, then render, number and register the bundled samples
#   make test      set up (incl. LibreOffice, fonts, PostgreSQL when root), run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://lettergen:lettergen@127.0.0.1:5432/lettergen_test

.PHONY: samples test bench gallery screenshots clean-samples

$(BIN)/lettergen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,postgres]'
	touch $@

samples: $(BIN)/lettergen
	@for kind in sales_letter payment_reminder complaint_response after_sales; do \
		$(BIN)/lettergen batch $$kind samples/$$kind.csv --out out/$$kind || exit $$?; \
	done
	$(BIN)/lettergen register verify

test: $(BIN)/lettergen
	scripts/system-deps.sh
	@if pg_isready -q -h 127.0.0.1 2>/dev/null; then export LETTERGEN_TEST_PG_URL="$${LETTERGEN_TEST_PG_URL:-$(PG_URL)}"; fi; \
		$(BIN)/python -m pytest -q

bench: $(BIN)/lettergen
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_template_diff.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_pdf.py -n 20
	$(BIN)/python benchmarks/bench_service.py
	$(BIN)/python benchmarks/bench_web_preview.py

gallery: $(BIN)/lettergen
	$(BIN)/python scripts/gallery.py

screenshots: $(BIN)/lettergen
	LETTERGEN_SCREENSHOTS=$(CURDIR)/docs $(BIN)/python -m pytest -q tests/test_web_browser.py tests/test_web_browser_more.py

clean-samples:
	rm -rf out lettergen-register.sqlite lettergen-register.sqlite-wal lettergen-register.sqlite-shm
