"""What a run left out (excluded classes, rejected rows) and a job's history with its CSV download."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from littlesis.store import run_details
from littlesis.web import auth
from littlesis.web.context import Deps, job_id_of, store_session
from littlesis.web.history_flow import load_history, results_csv
from littlesis.web.plan_filter import page_number
from littlesis.web.rendering import render
from littlesis.web.review_flow import require_run

router = APIRouter()
REJECTED_PER_PAGE = 200
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@router.get("/jobs/{dag_id}/runs/{run_id}/excluded", dependencies=[auth.read_runs], response_class=HTMLResponse)
def excluded(request: Request, dag_id: str, run_id: str, user: auth.CurrentUser, deps: Deps) -> HTMLResponse:
    page = page_number(request.query_params.get("page", 1))
    with store_session(deps) as session:
        run = require_run(session, job_id_of(dag_id), run_id)
        classes = run_details.list_excluded_classes(session, run_id)
        rejected_total = run_details.count_rejected_rows(session, run_id)
        rejected = run_details.list_rejected_rows(session, run_id, offset=(page - 1) * REJECTED_PER_PAGE,
                                                  limit=REJECTED_PER_PAGE)
    return render(request, "excluded.html", user.get_name(), dag_id=dag_id, run=run, classes=classes,
                  rejected=rejected, rejected_total=rejected_total, page=page,
                  pages=max(1, -(-rejected_total // REJECTED_PER_PAGE)))


@router.get("/jobs/{dag_id}/history", dependencies=[auth.read_runs], response_class=HTMLResponse)
def history(request: Request, dag_id: str, user: auth.CurrentUser, deps: Deps) -> HTMLResponse:
    job_id = job_id_of(dag_id)
    view = load_history(deps, job_id, page_number(request.query_params.get("page", 1)))
    return render(request, "history.html", user.get_name(), dag_id=dag_id, job_id=job_id, view=view)


@router.get("/jobs/{dag_id}/runs/{run_id}/results.csv", dependencies=[auth.read_runs])
def results(dag_id: str, run_id: str, deps: Deps) -> StreamingResponse:
    job_id = job_id_of(dag_id)
    with store_session(deps) as session:
        require_run(session, job_id, run_id)
    name = _UNSAFE_IN_FILE_NAME.sub("_", f"littlesis_{job_id}_{run_id}") + ".csv"
    return StreamingResponse(results_csv(deps, run_id), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
