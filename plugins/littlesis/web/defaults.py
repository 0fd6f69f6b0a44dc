"""The real dependencies of the plugin: our store and Classroom connections, Airflow's trigger and DagModel.

Nothing here touches a database until a page asks for it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from littlesis.web.airflow_bridge import AirflowDagDirectory, AirflowDagTrigger
from littlesis.web.deps import LazyEngine, WebDependencies

log = logging.getLogger(__name__)
# plugins/littlesis/web/defaults.py -> the folder holding plugins/, dags/ and include/.
ROOT = Path(__file__).resolve().parents[3]


def default_dependencies() -> WebDependencies:
    from littlesis.orchestration.connections import store_url
    from littlesis.orchestration.dag_builder import default_config_dir

    return WebDependencies(
        store=LazyEngine(store_url),
        config_dir=default_config_dir(ROOT),
        trigger=AirflowDagTrigger(),
        dags=AirflowDagDirectory(),
        clock=lambda: datetime.now(UTC),
        csrf_secret=airflow_csrf_secret,
        classroom_domain=classroom_domain,
    )


@functools.cache
def airflow_csrf_secret() -> bytes:
    """A key derived from ``[api] secret_key``, which every API server worker shares (never the key itself)."""
    from airflow.configuration import conf

    secret = conf.get("api", "secret_key")
    if not secret:
        raise RuntimeError("[api] secret_key is empty: CSRF tokens need a shared secret")
    return hashlib.sha256(b"littlesis-csrf\0" + secret.encode("utf-8")).digest()


def classroom_domain() -> str | None:
    """The cache key of the ``littlesis_classroom`` connection, or None when it isn't usable."""
    from littlesis.classroom.connection import load_settings
    from littlesis.classroom.credentials import ClassroomConfigError
    from littlesis.orchestration.connections import classroom_domain as domain_of

    try:
        return domain_of(load_settings())
    except ClassroomConfigError as exc:  # an undefined or broken connection only hides the teacher's roster
        log.warning("littlesis: no Classroom domain for the match page: %s", exc)
        return None
