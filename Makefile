# Two commands do all set-up on a fresh machine with Python 3.11:
#   make demo   - install, generate synthetic exports, run the csc_nightly DAG once, show figures and alerts
#   make test   - install, make sure PostgreSQL is up, run the whole test suite
#   make airflow - without Docker: PostgreSQL metadata, the four Airflow processes, setup, DAGs unpaused
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (as on the CI machines), every process
# (test workers, the CLI, Airflow's processes) would otherwise compile Airflow and Great Expectations from source.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet --compile-bytecode -r requirements.lock
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/csc-monitor demo

test: $(VENV)/.installed
	scripts/ensure-postgres
	scripts/ensure-chromium
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15

airflow: $(VENV)/.installed
	scripts/ensure-postgres
	scripts/airflow-local

airflow-stop:
	scripts/airflow-local stop

bench: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)

lock:
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock

.PHONY: install demo test airflow airflow-stop bench lock
