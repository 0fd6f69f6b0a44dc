"""Review & action: the plan page, one page of it as JSON, decisions, and the commit approval."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from littlesis.store.review import review_page
from littlesis.web import auth, notices
from littlesis.web.context import Deps, PlanMemo, job_id_of, link, store_session
from littlesis.web.csrf import require_csrf
from littlesis.web.plan_filter import PlanFilter, page_number, page_size
from littlesis.web.rendering import render
from littlesis.web.review_flow import approve, decide, load_review, require_run

router = APIRouter()
RUN = "/jobs/{dag_id}/runs/{run_id}"
TRUE = ("1", "yes", "true", "on")


@router.get(RUN, dependencies=[auth.read_runs], response_class=HTMLResponse)
def review(request: Request, dag_id: str, run_id: str, user: auth.CurrentUser, deps: Deps,
           memo: PlanMemo) -> HTMLResponse:
    query = request.query_params
    view = load_review(deps, memo, job_id_of(dag_id), run_id, PlanFilter.parse(query),
                       page_number(query.get("page", 1)), page_size(query.get("size")))
    view.may_edit = auth.may_edit(user, dag_id)
    return render(request, "review.html", user.get_name(), view=view, dag_id=dag_id,
                  notices=notices.read(query))


@router.get(RUN + "/actions.json", dependencies=[auth.read_runs])
def actions_json(request: Request, dag_id: str, run_id: str, deps: Deps) -> dict[str, Any]:
    query = request.query_params
    size = page_size(query.get("size"))
    with store_session(deps) as session:
        require_run(session, job_id_of(dag_id), run_id)
        page = review_page(session, run_id, PlanFilter.parse(query).where(),
                           offset=(page_number(query.get("page", 1)) - 1) * size, limit=size)
    return {"run_id": run_id, "total": page.total, "offset": page.offset, "limit": page.limit,
            "counts_by_kind": page.counts_by_kind,
            "items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(a).items()}
                      for a in page.items]}


@router.post(RUN + "/decisions", dependencies=[auth.edit_runs, Depends(require_csrf)])
def decisions(
    request: Request,
    dag_id: str,
    run_id: str,
    user: auth.CurrentUser,
    deps: Deps,
    decision: Annotated[str, Form()],
    action_id: Annotated[list[str] | None, Form()] = None,
    scope: Annotated[str, Form()] = "",
    after: Annotated[int | None, Form()] = None,
    progressive: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    school: Annotated[str, Form()] = "",
    teacher: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    search: Annotated[str, Form()] = "",
    size: Annotated[str, Form()] = "",
) -> Response:
    """Stage/exclude/unstage the checked actions, or (scope=matching) every action matching the filter.

    ``progressive=1`` (the page's script) answers JSON after a short time budget with the position
    to continue ``after``; a plain form post runs to the end and goes back to the page.
    """
    plan_filter = PlanFilter.parse({"kind": kind, "school": school, "teacher": teacher, "state": state,
                                    "search": search})
    matching = scope == "matching"
    outcome = decide(deps, job_id_of(dag_id), run_id, decision, user.get_name(),
                     action_ids=None if matching else list(action_id or []),
                     matching=plan_filter.where() if matching else None, after=after,
                     progressive=progressive in TRUE)
    if progressive in TRUE:
        return JSONResponse({"changed": outcome.changed, "after": outcome.after, "done": outcome.done})
    key = notices.VERB_NOTICES.get(decision, "staged")
    return RedirectResponse(link(request, "jobs", dag_id, "runs", run_id,
                                 query={**plan_filter.query(), "size": size, **notices.query(key, n=outcome.changed)}),
                            status.HTTP_303_SEE_OTHER)


@router.post(RUN + "/commit", dependencies=[auth.edit_runs, Depends(require_csrf)])
def commit(
    request: Request,
    dag_id: str,
    run_id: str,
    user: auth.CurrentUser,
    deps: Deps,
    staged_count: Annotated[int, Form()],
    confirm_unsafe: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Approve exactly the staged actions the reviewer saw counted; the DAG's sensor then lets commit run."""
    approve(deps, job_id_of(dag_id), run_id, user.get_name(), staged_count=staged_count,
            confirm_unsafe=confirm_unsafe in TRUE)
    return RedirectResponse(link(request, "jobs", dag_id, "runs", run_id,
                                 query=notices.query("approved", n=staged_count)), status.HTTP_303_SEE_OTHER)
