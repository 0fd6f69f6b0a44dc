"""Clone a job config: the form, then the new file written (or offered as a download)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from littlesis.core.job_files import LoadedJob
from littlesis.store.audit import append_audit
from littlesis.web import auth, notices
from littlesis.web.clone import CloneRefused, CloneRequest, clone, find_job, rules_text
from littlesis.web.context import Deps, job_id_of, link, store_session
from littlesis.web.csrf import require_csrf
from littlesis.web.rendering import render

router = APIRouter()
CLONE = "/jobs/{dag_id}/clone"


def _parent(deps: Deps, dag_id: str) -> LoadedJob:
    try:
        return find_job(deps.config_dir, job_id_of(dag_id))
    except CloneRefused as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get(CLONE, dependencies=[auth.edit_dag], response_class=HTMLResponse)
def clone_form(request: Request, dag_id: str, user: auth.CurrentUser, deps: Deps) -> HTMLResponse:
    parent = _parent(deps, dag_id)
    suggestion = f"{parent.config.id}_copy"
    form = CloneRequest(file_name=suggestion, job_id=suggestion, name=f"{parent.config.name} (copy)",
                        rules=rules_text(parent))
    return render(request, "clone.html", user.get_name(), dag_id=dag_id, parent=parent, form=form, problems=[],
                  error=None, candidate=None)


@router.post(CLONE, dependencies=[auth.edit_dag, Depends(require_csrf)])
def clone_submit(
    request: Request,
    dag_id: str,
    user: auth.CurrentUser,
    deps: Deps,
    file_name: Annotated[str, Form()],
    job_id: Annotated[str, Form()],
    name: Annotated[str, Form()],
    rules: Annotated[str, Form()] = "",
) -> Response:
    parent = _parent(deps, dag_id)
    form = CloneRequest(file_name=file_name.strip(), job_id=job_id.strip(), name=name.strip(), rules=rules)
    try:
        result = clone(deps.config_dir, parent.config.id, form, user.get_name(), deps.clock())
    except CloneRefused as exc:
        return render(request, "clone.html", user.get_name(), status.HTTP_400_BAD_REQUEST, dag_id=dag_id,
                      parent=parent, form=form, problems=[], error=str(exc), candidate=None)
    if result.problems:
        return render(request, "clone.html", user.get_name(), status.HTTP_400_BAD_REQUEST, dag_id=dag_id,
                      parent=parent, form=form, problems=result.problems, error=None, candidate=result.text)
    with store_session(deps, readonly=False) as session:
        append_audit(session, actor=user.get_name(), action="job.clone", job_id=form.job_id, now=deps.clock(),
                     detail={"from": parent.config.id, "file": form.file_name + ".yaml",
                             "written": result.path is not None})
    if result.path is None:  # the folder is read-only here: hand the file over instead
        return Response(result.text, media_type="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{form.file_name}.yaml"'})
    return RedirectResponse(link(request, query=notices.query("cloned", ref=result.path.name)),
                            status.HTTP_303_SEE_OTHER)
