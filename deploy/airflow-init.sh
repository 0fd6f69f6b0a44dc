#!/usr/bin/env bash
# The compose file's airflow-init service (and the multi-worker test, natively): run once per
# start-up, idempotent. The admin's password, then `bin/littlesis setup`: Airflow's migrations,
# the store's migrations, our connections and the littlesis_commit pool.
#
# Needs Airflow's own configuration in the environment (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, ...),
# plus AIRFLOW_ADMIN_PASSWORD and what `bin/littlesis setup` reads: LITTLESIS_STORE_URL,
# LITTLESIS_CLASSROOM_URI, LITTLESIS_SMTP_URI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${AIRFLOW_ADMIN_PASSWORD:?AIRFLOW_ADMIN_PASSWORD is not set (see .env.example)}"

# SimpleAuthManager keeps its users' passwords in this JSON file; writing it here makes the
# admin's password the one from .env instead of a random one printed in the API server's log.
python - <<'PY'
import json
import os

path = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE") or os.path.join(
    os.environ.get("AIRFLOW_HOME", os.path.expanduser("~/airflow")), "simple_auth_manager_passwords.json.generated")
os.makedirs(os.path.dirname(path), exist_ok=True)
user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
with open(path, "w", encoding="utf-8") as out:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, out)
os.chmod(path, 0o600)
PY

exec "$root/bin/littlesis" setup
