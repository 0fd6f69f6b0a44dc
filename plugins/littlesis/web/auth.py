"""Who may do what: Airflow's own permission checks, declared on every route.

Reading a job's pages needs read access to runs of its DAG; deciding, committing and
triggering need edit (PUT) or create (POST) access to them; cloning needs edit access to the
DAG itself. The DAG id is the ``dag_id`` path parameter, which ``requires_access_dag`` reads.
Each dependency carries ``littlesis_access`` so a test can prove no route lacks one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import get_user, requires_access_dag, requires_authenticated
from fastapi import Depends

from littlesis.web.deps import DagPermissions

READ = "read"
EDIT = "edit"
SIGNED_IN = "signed-in"
ACCESS_ATTRIBUTE = "littlesis_access"


def _declared(dependency: Callable[..., Any], level: str) -> Any:
    setattr(dependency, ACCESS_ATTRIBUTE, level)
    return Depends(dependency)


# Reading any page of a job: the runs of its DAG.
read_runs = _declared(requires_access_dag("GET", DagAccessEntity.RUN), READ)
# Stage, exclude, commit, decide a match: changing one of the DAG's runs.
edit_runs = _declared(requires_access_dag("PUT", DagAccessEntity.RUN), EDIT)
# "Run sync analysis": what Airflow's own trigger endpoint requires.
create_runs = _declared(requires_access_dag("POST", DagAccessEntity.RUN), EDIT)
# Clone: a new job derived from this DAG's config.
edit_dag = _declared(requires_access_dag("PUT"), EDIT)
# The jobs list: any signed-in user; it shows only the cards whose DAG the user may read.
signed_in = _declared(requires_authenticated(), SIGNED_IN)

CurrentUser = Annotated[BaseUser, Depends(get_user)]


def permissions(user: BaseUser, dag_ids: Iterable[str]) -> dict[str, DagPermissions]:
    """What ``user`` may do with each DAG, asked the way the route dependencies ask."""
    from airflow.models.dag import DagModel

    ids = list(dag_ids)
    teams = DagModel.get_dag_id_to_team_name_mapping(ids) if ids else {}
    manager = get_auth_manager()

    def allowed(method: Any, dag_id: str) -> bool:
        return manager.is_authorized_dag(method=method, access_entity=DagAccessEntity.RUN,
                                         details=DagDetails(id=dag_id, team_name=teams.get(dag_id)), user=user)

    out: dict[str, DagPermissions] = {}
    for dag_id in ids:
        read = allowed("GET", dag_id)
        out[dag_id] = DagPermissions(read=read, edit=read and allowed("PUT", dag_id))
    return out


def may_edit(user: BaseUser, dag_id: str) -> bool:
    """Whether to show the page's buttons (the POST routes check again for themselves)."""
    return permissions(user, [dag_id])[dag_id].edit
