"""The jobs list, a job's entry point (its newest run) and "Run sync analysis"."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from littlesis.store import runs
from littlesis.store.audit import append_audit
from littlesis.web import auth, notices
from littlesis.web.context import Deps, job_id_of, link, store_session
from littlesis.web.csrf import require_csrf
from littlesis.web.deps import TriggerRefused
from littlesis.web.jobs_view import jobs_page
from littlesis.web.rendering import render

router = APIRouter()


@router.get("/", dependencies=[auth.signed_in], response_class=HTMLResponse)
def jobs_list(request: Request, user: auth.CurrentUser, deps: Deps) -> HTMLResponse:
    page = jobs_page(deps, lambda dag_ids: auth.permissions(user, dag_ids))
    return render(request, "jobs.html", user.get_name(), page=page, notices=notices.read(request.query_params))


@router.get("/jobs/{dag_id}", dependencies=[auth.read_runs], response_class=RedirectResponse)
def job_entry(request: Request, dag_id: str, deps: Deps) -> RedirectResponse:
    job_id = job_id_of(dag_id)
    with store_session(deps) as session:
        newest = runs.list_runs(session, job_id, limit=1)
    if not newest:
        return RedirectResponse(link(request, query=notices.query("no_runs", ref=job_id)), status.HTTP_303_SEE_OTHER)
    return RedirectResponse(link(request, "jobs", dag_id, "runs", newest[0].run_id), status.HTTP_303_SEE_OTHER)


@router.post("/jobs/{dag_id}/trigger", dependencies=[auth.create_runs, Depends(require_csrf)],
             response_class=RedirectResponse)
def trigger(request: Request, dag_id: str, user: auth.CurrentUser, deps: Deps) -> RedirectResponse:
    """"Run sync analysis": a DAG run created through Airflow, as its Trigger button would."""
    job_id = job_id_of(dag_id)
    try:
        triggered = deps.trigger.trigger(dag_id, user=user.get_name())
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except TriggerRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    with store_session(deps, readonly=False) as session:
        append_audit(session, actor=user.get_name(), action="dag.trigger", job_id=job_id, run_id=triggered.run_id,
                     detail={"dag_id": dag_id, "paused": triggered.paused}, now=deps.clock())
    key = "triggered_paused" if triggered.paused else "triggered"
    return RedirectResponse(link(request, query=notices.query(key, ref=triggered.run_id)), status.HTTP_303_SEE_OTHER)
