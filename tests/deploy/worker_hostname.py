"""``[core] hostname_callable`` of the multi-worker test's Celery workers.

In docker-compose.yaml every worker container has a host name of its own, and Airflow records it
on each task instance it runs. The test's two workers share this machine, so each is started with
LITTLESIS_TEST_WORKER_HOST and its tasks (its child processes, which inherit it) report that name.
"""

from __future__ import annotations

import os
import socket

HOST_ENV = "LITTLESIS_TEST_WORKER_HOST"


def hostname() -> str:
    return os.environ.get(HOST_ENV) or socket.getfqdn()
