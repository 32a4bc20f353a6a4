# The two set-up commands of the README: `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
HISTAR  := $(VENV)/bin/histar
DEMO    ?= demo
ROWS    ?= 20000

.PHONY: install demo test lint format clean bench

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	test -f $(DEMO)/histar.toml || $(HISTAR) init $(DEMO) --rows $(ROWS)
	$(HISTAR) datagen -p $(DEMO)
	$(HISTAR) run -p $(DEMO) --full
	$(HISTAR) datagen changes -p $(DEMO)
	$(HISTAR) run -p $(DEMO)
	$(HISTAR) status -p $(DEMO)
	@echo
	@echo "Done. Where to look:"
	@echo "  warehouse file   $(DEMO)/histar.duckdb  (schemas raw, warehouse, staging, star_schema, ops)"
	@echo "  batches          $(HISTAR) status -p $(DEMO)"
	@echo "  one row's history $(HISTAR) history users 1 -p $(DEMO)"
	@echo "  SQL              $(PY) -c \"import duckdb; print(duckdb.connect('$(DEMO)/histar.duckdb', read_only=True).sql('from star_schema.fact_sales limit 5'))\""

test: install
	$(PY) -m pytest -q

# Benchmark suite (benchmarks/README.md): make bench BENCH_ROWS=1M BENCH_ARGS="--scaling 1M,4M"
BENCH_ROWS ?= 1M
bench: install
	$(PY) benchmarks/run.py --rows $(BENCH_ROWS) $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

format: install
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean:
	rm -rf $(DEMO) .pytest_cache .ruff_cache
