"""A commit in a process of its own, set up the way a deployment is: connections from the environment.

    AIRFLOW_CONN_LITTLESIS_CLASSROOM='{"conn_type": "google_cloud_platform", "extra": {"api_endpoint": ...}}'
    AIRFLOW_CONN_LITTLESIS_STORE='{"conn_type": "sqlite", "host": "/path/store.db"}'
    python -m tests.classroom.apply_child RUN_ID DOMAIN [WAVE_SIZE] [LEASE_SECONDS]

Prints the report's summary as JSON. The kill -9 test kills it half way.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from littlesis.classroom.apply import apply_run
from littlesis.classroom.connection import connect
from littlesis.orchestration.connections import store_url
from littlesis.store.engine import make_engine


def main(argv: list[str]) -> int:
    run_id, domain = argv[0], argv[1]
    wave = int(argv[2]) if len(argv) > 2 else 200
    lease = float(argv[3]) if len(argv) > 3 else 120.0
    engine = make_engine(store_url())
    with connect() as client:
        report = apply_run(client, engine, run_id, domain=domain, actor="child", wave_size=wave,
                           lock_ttl=timedelta(seconds=lease))
    print(json.dumps(report.summary()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
