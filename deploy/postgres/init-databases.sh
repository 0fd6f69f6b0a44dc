#!/usr/bin/env bash
# The postgres image runs this once, on an empty data directory (mounted into
# /docker-entrypoint-initdb.d). The passwords come from the environment (.env), never from a file
# in the repository; psql passes them to create-databases.sql as quoted literals.
set -euo pipefail
: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD is not set (see .env.example)}"
: "${LITTLESIS_DB_PASSWORD:?LITTLESIS_DB_PASSWORD is not set (see .env.example)}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

psql --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set airflow_user="${AIRFLOW_DB_USER:-airflow}" \
  --set airflow_password="$AIRFLOW_DB_PASSWORD" \
  --set airflow_db="${AIRFLOW_DB_NAME:-airflow}" \
  --set store_user="${LITTLESIS_DB_USER:-littlesis}" \
  --set store_password="$LITTLESIS_DB_PASSWORD" \
  --set store_db="${LITTLESIS_DB_NAME:-littlesis}" \
  --file "${LITTLESIS_INIT_SQL:-$here/create-databases.sql}"
