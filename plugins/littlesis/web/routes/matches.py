"""Match review of one suggested link, and the reviewer's answer: link or create."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from littlesis.web import auth, notices
from littlesis.web.context import Deps, job_id_of, link
from littlesis.web.csrf import require_csrf
from littlesis.web.match_flow import decide_match, load_match
from littlesis.web.rendering import render

router = APIRouter()
MATCH = "/jobs/{dag_id}/runs/{run_id}/matches/{action_id}"


@router.get(MATCH, dependencies=[auth.read_runs], response_class=HTMLResponse)
def match(request: Request, dag_id: str, run_id: str, action_id: str, user: auth.CurrentUser,
          deps: Deps) -> HTMLResponse:
    view = load_match(deps, job_id_of(dag_id), run_id, action_id)
    return render(request, "match.html", user.get_name(), view=view, dag_id=dag_id,
                  may_edit=auth.may_edit(user, dag_id))


@router.post(MATCH, dependencies=[auth.edit_runs, Depends(require_csrf)], response_class=RedirectResponse)
def decide(request: Request, dag_id: str, run_id: str, action_id: str, user: auth.CurrentUser, deps: Deps,
           decision: Annotated[str, Form()]) -> RedirectResponse:
    alias = decide_match(deps, job_id_of(dag_id), run_id, action_id, decision, user.get_name())
    key = "linked" if decision == "link" else "created"
    return RedirectResponse(link(request, "jobs", dag_id, "runs", run_id, query=notices.query(key, ref=alias)),
                            status.HTTP_303_SEE_OTHER)
