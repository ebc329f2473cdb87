#!/bin/bash
# Run once by the postgres image's entrypoint, on an empty data volume only
# (/docker-entrypoint-initdb.d): changing a password later means ALTER ROLE by hand.
# Two databases on one server, each owned by its own login, so Airflow's metadata
# and the indicator warehouse cannot touch each other's tables.
set -euo pipefail

# Passed by docker-compose.yml; the defaults only serve a bare `docker run`.
CSC_DB_PASSWORD="${CSC_DB_PASSWORD:-csc}"
AIRFLOW_DB_PASSWORD="${AIRFLOW_DB_PASSWORD:-airflow}"

# psql variables (:'name') quote the passwords, so any character is safe here.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v csc_password="$CSC_DB_PASSWORD" -v airflow_password="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE csc LOGIN PASSWORD :'csc_password';
CREATE DATABASE warehouse OWNER csc;
REVOKE ALL ON DATABASE warehouse FROM PUBLIC;

CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
SQL
