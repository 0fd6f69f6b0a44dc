"""The web layer's small parts on their own: CSV cells, notices, filters, links, bars, CSRF tokens, clone names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from littlesis.store.records import ActionRecord, RunRecord
from littlesis.web import csrf, notices
from littlesis.web.charts import HEIGHT, run_bars
from littlesis.web.clone import CloneRefused, target_path
from littlesis.web.context import job_id_of, link
from littlesis.web.history_flow import csv_row, neutralize
from littlesis.web.plan_filter import PlanFilter, page_number, page_size
from littlesis.web.rendering import subject

T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)


def _action(kind: str, target: str, payload: dict[str, object], **extra: object) -> ActionRecord:
    values: dict[str, object] = dict(
        run_id="r", action_id="a" * 32, kind=kind, alias="1000-1-1-2026", target=target, payload=payload,
        reason="why", position=0, school="S", teacher="t@x.org", alternative="", decision="proposed",
        decided_by=None, decided_at=None, status="pending", result_reason=None, attempts=0, finished_at=None)
    values.update(extra)
    return ActionRecord(**values)  # type: ignore[arg-type]


def _run(run_id: str, counts: dict[str, int], state: str = "committed") -> RunRecord:
    return RunRecord(run_id=run_id, job_id="j", logical_date=None, data_interval_end=None, created_at=T0,
                     state=state, state_reason=None, superseded_by=None, unsafe=False, unsafe_reasons=[],
                     counts=counts, plan_checksum=None, sources=[], approved_by=None, approved_at=None,
                     approval="none", committed_at=None)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_like_cells_get_a_leading_quote(cell: str) -> None:
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "a=b", "", "'quoted", 42, None])
def test_other_cells_are_left_alone(cell: object) -> None:
    assert neutralize(cell) == cell


def test_a_csv_row_neutralizes_text_and_keeps_numbers_and_times() -> None:
    row = csv_row(_action("add_student", "=cmd|' /C calc'!A0", {}, position=-3, attempts=2,
                          finished_at=T0, result_reason="-boom"))
    assert row[0] == -3 and "'=cmd|' /C calc'!A0" in row and "'-boom" in row
    assert "2026-09-01T06:00:00+00:00" in row and 2 in row


def test_notices_are_fixed_sentences_chosen_by_key() -> None:
    assert notices.read({"notice": "staged", "n": "1234"})[0].text == "1,234 actions staged."
    assert notices.read({"notice": "made-up", "n": "1"}) == []
    assert notices.read({"notice": "staged", "n": "<b>"})[0].text == "Some actions staged."
    assert notices.read({"notice": "cloned", "ref": "x" * 1000})[0].text.count("x") == 255


def test_the_filter_reads_fields_and_refuses_what_makes_no_sense() -> None:
    parsed = PlanFilter.parse({"kind": " add_student ", "state": "staged", "search": "ava", "other": "x"})
    assert parsed.where().kind == "add_student" and parsed.where().decision == "staged"
    assert parsed.query() == {"kind": "add_student", "state": "staged", "search": "ava"} and parsed.active
    with pytest.raises(HTTPException) as bad_state:
        PlanFilter.parse({"state": "approved"})
    assert bad_state.value.status_code == 400 and "proposed, staged, excluded" in str(bad_state.value.detail)
    with pytest.raises(HTTPException):
        PlanFilter.parse({"search": "x" * 256})
    assert not PlanFilter.parse({}).active


@pytest.mark.parametrize(("raw", "page", "size"), [("3", 3, 100), ("0", 1, 100), ("-4", 1, 100), ("x", 1, 100),
                                                   ("9" * 40, 1_000_000_000, 100)])
def test_page_numbers_and_sizes_stay_in_bounds(raw: str, page: int, size: int) -> None:
    assert page_number(raw) == page and page_size(raw) == size
    assert page_size("200") == 200 and page_size("201") == 100


def test_links_stay_inside_the_mount_and_encode_run_ids() -> None:
    request = Request({"type": "http", "root_path": "/airflow/littlesis", "path": "/", "headers": []})
    assert link(request) == "/airflow/littlesis/"
    assert (link(request, "jobs", "littlesis_a", "runs", "manual__2026-01-01T00:00:00+00:00", query={"n": 5})
            == "/airflow/littlesis/jobs/littlesis_a/runs/manual__2026-01-01T00:00:00+00:00?n=5")
    assert link(request, "jobs", "../x") == "/airflow/littlesis/jobs/..%2Fx"


def test_only_little_sis_dags_are_jobs() -> None:
    from littlesis.orchestration.dag_builder import DAG_PREFIX, dag_id_of

    assert job_id_of(dag_id_of("demo_generic")) == "demo_generic" and DAG_PREFIX == "littlesis_"
    for dag_id in ("example_bash", "littlesis_", "littlesis_Bad", "littlesis_a/b"):
        with pytest.raises(HTTPException) as refused:
            job_id_of(dag_id)
        assert refused.value.status_code == 404


def test_bars_are_oldest_first_and_scaled_to_the_busiest_run() -> None:
    runs = [_run("r3", {"add_student": 50}), _run("r2", {}), _run("r1", {"add_student": 100, "create_course": 100})]
    bars = run_bars(runs)
    assert [b.run_id for b in bars] == ["r1", "r2", "r3"]
    assert [b.height for b in bars] == [HEIGHT, 0.0, HEIGHT / 4]
    assert all(b.y + b.height == HEIGHT for b in bars) and bars[0].x < bars[1].x < bars[2].x
    assert run_bars([]) == []
    assert len(run_bars([_run(f"r{i}", {"k": i}) for i in range(30)], slots=12)) == 12


def test_csrf_tokens_belong_to_one_session_and_scripts_with_a_bearer_header_need_none() -> None:
    secret = b"k" * 32
    assert csrf.token_for(secret, "jwt-a") == csrf.token_for(secret, "jwt-a") != csrf.token_for(secret, "jwt-b")
    assert csrf.token_for(secret, "jwt-a") != csrf.token_for(b"other", "jwt-a")

    def request(headers: dict[str, str], cookie: str | None) -> Request:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if cookie is not None:
            raw.append((b"cookie", f"_token={cookie}".encode()))
        return Request({"type": "http", "headers": raw, "path": "/"})

    csrf.check(request({"Authorization": "Bearer abc"}, None), secret, None)
    with pytest.raises(HTTPException):
        csrf.check(request({"Authorization": "Bearer abc"}, "abc"), secret, None)
    with pytest.raises(HTTPException):
        csrf.check(request({"Authorization": "Basic abc"}, None), secret, None)
    csrf.check(request({}, "jwt-a"), secret, csrf.token_for(secret, "jwt-a"))
    with pytest.raises(HTTPException):
        csrf.check(request({}, "jwt-b"), secret, csrf.token_for(secret, "jwt-a"))


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "x.yaml", "con", "-x", "", "x" * 101, "é"])
def test_clone_file_names_are_plain_names_in_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(CloneRefused):
        target_path(tmp_path, name)
    assert target_path(tmp_path, "ok_name-2") == (tmp_path / "ok_name-2.yaml").resolve()


def test_the_subject_of_an_action_is_the_person_it_is_about() -> None:
    assert subject(_action("add_student", "d:1000-1-1-2026", {"userId": "ava@x.org"})) == "ava@x.org"
    assert subject(_action("invite_guardian", "ava@x.org", {"invitedEmailAddress": "mum@y.net",
                                                            "studentId": "ava@x.org"})) == "mum@y.net"
    assert subject(_action("create_course", "d:1000-1-1-2026", {"ownerId": "t@x.org", "name": "Chem"})) == ""
    assert subject(_action("link_course", "600000000034", {"alias": "d:1000-1-1-2026"})) == "600000000034"


def test_relative_times_read_like_a_person_would_say_them() -> None:
    from littlesis.web.rendering import environment

    template = environment().from_string("{{ a|ago }}|{{ b|ago }}|{{ c|ago }}|{{ none|ago }}|{{ c|when }}")
    text = template.render(now=T0, a=T0 - timedelta(hours=3, minutes=5), b=T0 + timedelta(days=2),
                           c=T0 - timedelta(seconds=20), none=None)
    assert text == "3 h ago|in 2 d|moments ago||2026-09-01 05:59 UTC"


def test_the_memo_keeps_the_most_recently_used_figures() -> None:
    from littlesis.web.memo import Memo

    memo = Memo(size=2)
    computed: list[str] = []

    def figure(name: str) -> Callable[[], str]:
        return lambda: computed.append(name) or name.upper()

    assert memo.get("a", figure("a")) == "A" and memo.get("b", figure("b")) == "B"
    assert memo.get("a", figure("a")) == "A"  # kept, and now the most recent
    memo.get("c", figure("c"))  # evicts b, the least recently used
    assert memo.get("b", figure("b")) == "B" and computed == ["a", "b", "c", "b"] and len(memo) == 2
