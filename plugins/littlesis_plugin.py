"""Little SIS Sync: the Airflow plugin (the only module the plugin loader sees; the package is in .airflowignore).

It mounts the review app at /littlesis on the API server, adds "Little SIS" to the navigation and a
"Little SIS review" tab to every DAG run. Importing this file is cheap and opens no database: the
app is built the first time Airflow asks for ``fastapi_apps`` (only the API server does), and it
reaches the store on its first request.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/littlesis"


def _airflow_base() -> str:
    """Airflow's own base path (``[api] base_url``), which the UI's links must start with."""
    return urlsplit(conf.get("api", "base_url", fallback="") or "/").path.rstrip("/")


@functools.cache
def _review_app() -> Any:
    from littlesis.web.app import create_app
    from littlesis.web.defaults import default_dependencies

    return create_app(default_dependencies())


class LittleSisPlugin(AirflowPlugin):
    name = "littlesis"
    external_views = [
        {"name": "Little SIS", "href": f"{_airflow_base()}{URL_PREFIX}/", "destination": "nav",
         "url_route": "littlesis", "nav_top_level": True, "icon": f"{_airflow_base()}{URL_PREFIX}/static/icon.svg"},
        {"name": "Little SIS review", "href": f"{_airflow_base()}{URL_PREFIX}/jobs/{{DAG_ID}}/runs/{{RUN_ID}}",
         "destination": "dag_run", "url_route": "littlesis_run"},
    ]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]  # built on first read
        return [{"app": _review_app(), "url_prefix": URL_PREFIX, "name": "Little SIS Sync review"}]
