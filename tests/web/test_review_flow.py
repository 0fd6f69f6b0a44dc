"""Reviewing a real analyzed plan through the pages: stage part of it, everything matching, commit, matches."""

from __future__ import annotations

import csv
import json
import re

import httpx
import pytest

from littlesis.core.job_files import read_job
from littlesis.service.analysis_run import run_analysis
from littlesis.store import jobs, run_details
from littlesis.store.actions import count_actions
from littlesis.store.audit import read_audit
from littlesis.store.cache import CacheSnapshot, replace_domain_cache
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.review import class_actions, review_page
from tests.web.conftest import SUGGEST_EVERY_MATCH, WebWorld, run_path

pytestmark = pytest.mark.slow


def _counts(web: WebWorld, run_id: str, by: str = "decision", **where: str) -> dict[str, int]:
    with session_scope(web.engine, readonly=True) as session:
        return count_actions(session, run_id, by=by, where=ActionFilter(**where))


def _job_state(web: WebWorld, job_id: str) -> str:
    with session_scope(web.engine, readonly=True) as session:
        job = jobs.get_job(session, job_id)
        assert job is not None
        return job.state


def test_a_reviewer_stages_part_of_the_plan_and_commits_it(web: WebWorld) -> None:
    job_id = web.fresh_job()
    run = web.analyze(job_id)
    assert run.counts == {"create_course": 16, "link_course": 3, "add_student": 338, "invite_guardian": 61}
    review = run_path(job_id, run.run_id)
    with web.http("editor", cookie=True) as browser:
        page = browser.get(review, params={"kind": "create_course"})
        assert page.status_code == 200
        assert re.search(r'data-testid="match-total"><b>16</b>', page.text)
        ids = re.findall(r'name="action_id" value="([0-9a-f]+)"', page.text)
        assert len(ids) == 16
        token = web.csrf_of(page)
        staged = browser.post(review + "/decisions", data={"decision": "stage", "action_id": ids[:5],
                                                           "csrf_token": token, "kind": "create_course"})
        assert staged.status_code == 303
        assert "notice=staged" in staged.headers["location"] and "n=5" in staged.headers["location"]
        assert _job_state(web, job_id) == "in_review"  # the first decision moves the card

        # Everything matching a filter, the way the page's script asks: time-boxed rounds until done.
        rounds, changed, after = 0, 0, None
        while True:
            form = {"decision": "stage", "scope": "matching", "kind": "add_student", "progressive": "1",
                    "csrf_token": token, **({"after": after} if after is not None else {})}
            answer = browser.post(review + "/decisions", data=form).json()
            rounds, changed, after = rounds + 1, changed + answer["changed"], answer["after"]
            if answer["done"]:
                break
        assert changed == 338 and after is None
        excluded = browser.post(review + "/decisions", data={"decision": "exclude", "scope": "matching",
                                                              "kind": "invite_guardian", "csrf_token": token})
        assert excluded.status_code == 303 and "n=61" in excluded.headers["location"]
        assert _counts(web, run.run_id) == {"staged": 343, "excluded": 61, "proposed": 14}

        page = browser.get(review)
        assert 'data-testid="count-staged" data-count="343"' in page.text
        assert "Commit 343 staged actions" in page.text
        assert '<li data-kind="add_student">338 \u00d7 Add student</li>' in page.text

        stale = browser.post(review + "/commit", data={"staged_count": 340, "csrf_token": token},
                             headers={"Accept": "text/html"})
        assert stale.status_code == 409 and "343 actions are staged now, not the 340" in stale.text
        assert web.run(run.run_id).state == "pending_review"

        committed = browser.post(review + "/commit", data={"staged_count": 343, "csrf_token": token})
        assert committed.status_code == 303 and "notice=approved" in committed.headers["location"]
        after_commit = browser.post(review + "/decisions", data={"decision": "stage", "scope": "matching",
                                                                  "csrf_token": token})
        assert after_commit.status_code == 409  # approved: the commit may start any moment
    approved = web.run(run.run_id)
    assert (approved.state, approved.approval, approved.approved_by) == ("approved", "partial", "editor")
    with session_scope(web.engine, readonly=True) as session:
        trail = read_audit(session, run_id=run.run_id, limit=50)
    assert {entry.actor for entry in trail} == {"editor"}
    assert trail[0].action == "run.approve"  # newest first
    assert trail[0].detail["decisions"] == {"staged": 343, "excluded": 61, "proposed": 14}
    chunked = [e for e in trail if e.detail.get("filter") == {"kind": "add_student"}]
    assert sum(e.detail["changed"] for e in chunked) == 338


def test_pages_filter_and_page_through_the_plan(web: WebWorld) -> None:
    job_id = web.fresh_job()
    run = web.analyze(job_id)
    review = run_path(job_id, run.run_id)
    with web.http("reader") as reader, session_scope(web.engine, readonly=True) as session:
        whole = review_page(session, run.run_id, limit=1000).items
        teacher = whole[40].teacher
        expected = [a.action_id for a in whole if (a.teacher or "").lower() == (teacher or "").lower()
                    and a.kind == "add_student"]
        page = reader.get(review, params={"teacher": (teacher or "").upper(), "kind": "add_student", "size": 50})
        assert re.findall(r'data-action-id="([0-9a-f]+)"', page.text) == expected[:50]
        second = reader.get(review + "/actions.json", params={"size": 50, "page": 2})
        assert [i["action_id"] for i in second.json()["items"]] == [a.action_id for a in whole[50:100]]
        assert second.json()["total"] == len(whole) == 418
        # Search finds a student in the details of the actions about them (an add_student's target is the course).
        student = next(a.payload["userId"] for a in whole if a.kind == "add_student")
        searched = reader.get(review + "/actions.json", params={"search": student.upper(), "size": 500}).json()
        about = [a.action_id for a in whole
                 if student in " ".join([a.alias or "", a.target or "", json.dumps(a.payload)])]
        assert [i["action_id"] for i in searched["items"]] == about
        assert {i["kind"] for i in searched["items"]} >= {"add_student", "invite_guardian"}
        assert reader.get(review, params={"state": "bogus"}).status_code == 400
        last = reader.get(review, params={"page": 9, "size": 50})
        assert 'data-testid="page-position">Page 9 of 9<' in last.text
        assert re.findall(r'data-action-id="([0-9a-f]+)"', last.text) == [a.action_id for a in whole[400:]]


def test_an_unsafe_plan_needs_the_explicit_confirmation(web: WebWorld) -> None:
    """Half of every class missing from tonight's export: the safety guard holds the plan."""
    students = [f"s{i}@district.example.org" for i in range(10)]
    domain = "cut-export-domain"
    cache = CacheSnapshot(
        courses=[{"course_id": f"c{n}", "name": "Algebra", "section": "Period 1", "room": "", "description_heading": "",
                  "description": "", "owner_id": "t@district.example.org", "course_state": "ACTIVE",
                  "creation_time": None, "update_time": None, "alternate_link": None} for n in range(4)],
        aliases=[{"course_id": f"c{n}", "alias": f"d:C{n}"} for n in range(4)],
        teachers=[{"course_id": f"c{n}", "user_id": "t@district.example.org", "email": "t@district.example.org"}
                  for n in range(4)],
        students=[{"course_id": f"c{n}", "user_id": s, "email": s} for n in range(4) for s in students],
    )
    with session_scope(web.engine) as session:
        replace_domain_cache(session, domain, cache)
    roster = web.configs / "cut_roster.csv"
    roster.write_text("SchoolID,CourseID,SectionID,Year,CourseName,Period,Room,TeacherEmail,StudentEmail\n" + "".join(
        f"1,1,{n},2026,Algebra,1,,t@district.example.org,{s}\n" for n in range(4) for s in students[::2]))
    config = web.configs / "cut_job.yaml"
    config.write_text("id: cut_job\nname: Cut export\nsource: {preset: generic, files: {roster: cut_roster.csv}}\n"
                      "mapping: {class_alias: 'C{SectionID}'}\npreferences: {remove_students: true}\n")
    run_analysis(read_job(config), config, web.engine, domain, run_id="manual__cut_1")
    run = web.run("manual__cut_1")
    assert run.unsafe and run.counts == {"remove_student": 20}
    review = run_path("cut_job", run.run_id)
    with web.http("editor", cookie=True) as browser:
        token = web.csrf_of(browser.get(review))
        browser.post(review + "/decisions", data={"decision": "stage", "scope": "matching", "csrf_token": token})
        page = browser.get(review)
        assert 'data-testid="unsafe-warning"' in page.text
        assert "would remove 20 of 40 students (50.0%), over the 10% limit" in page.text
        assert 'data-testid="confirm-unsafe"' in page.text and "want to commit 20 actions anyway" in page.text
        refused = browser.post(review + "/commit", data={"staged_count": 20, "csrf_token": token})
        assert refused.status_code == 400 and "would remove 20 of 40 students" in refused.json()["detail"]
        assert web.run(run.run_id).state == "pending_review"
        confirmed = browser.post(review + "/commit", data={"staged_count": 20, "confirm_unsafe": "yes",
                                                           "csrf_token": token})
        assert confirmed.status_code == 303
    with session_scope(web.engine, readonly=True) as session:
        (approval,) = read_audit(session, run_id=run.run_id, action="run.approve")
    assert approval.actor == "editor" and approval.detail["confirmed_unsafe"] is True


def test_match_review_shows_both_rosters_and_the_choice_stages_one_alternative(web: WebWorld) -> None:
    job_id = web.fresh_job(matching=SUGGEST_EVERY_MATCH)
    run = web.analyze(job_id)
    with session_scope(web.engine, readonly=True) as session:
        suggestions = run_details.list_match_suggestions(session, run.run_id)
        links = [a for a in review_page(session, run.run_id, ActionFilter(kind="link_course"), limit=50).items
                 if a.alternative == "link"]
    assert len(suggestions) == len(links) == 3
    review = run_path(job_id, run.run_id)
    with web.http("editor", cookie=True) as browser:
        page = browser.get(review)
        assert 'data-testid="suggestions-banner"' in page.text
        first, second = links[0], links[1]
        match = browser.get(run_path(job_id, run.run_id, "matches", first.action_id))
        assert match.status_code == 200
        sis = re.findall(r'<li class="(overlap|only)" data-testid="sis-student">([^<]+)</li>', match.text)
        course = re.findall(r'<li class="(overlap|only)" data-testid="course-student">([^<]+)</li>', match.text)
        assert sis and course
        overlap = {email for _, email in sis} & {email for _, email in course}
        assert overlap and {e for kind, e in sis if kind == "overlap"} == overlap
        assert {e for kind, e in course if kind == "overlap"} == overlap
        assert f'data-testid="overlap-count">{len(overlap)}<' in match.text
        assert "Roster share sis" in match.text and 'data-testid="score-parts"' in match.text
        token = web.csrf_of(match)
        linked = browser.post(run_path(job_id, run.run_id, "matches", first.action_id),
                              data={"decision": "link", "csrf_token": token})
        created = browser.post(run_path(job_id, run.run_id, "matches", second.action_id),
                               data={"decision": "create", "csrf_token": token})
        assert linked.status_code == created.status_code == 303
        not_a_match = browser.get(run_path(job_id, run.run_id, "matches", "0" * 32))
        assert not_a_match.status_code == 404
    with session_scope(web.engine, readonly=True) as session:
        decided = {s.alias: (s.decision, s.decided_by) for s in run_details.list_match_suggestions(session,
                                                                                                  run.run_id)}
        assert decided[first.alias] == ("link", "editor") and decided[second.alias] == ("create", "editor")
        for alias, chosen in ((first.alias, "link"), (second.alias, "create")):
            rows = [a for a in class_actions(session, run.run_id, alias) if a.alternative]
            assert {a.decision for a in rows if a.alternative == chosen} == {"staged"}
            assert {a.decision for a in rows if a.alternative != chosen} == {"excluded"}


def test_run_sync_analysis_creates_an_airflow_dag_run(web: WebWorld) -> None:
    with web.http("editor", cookie=True) as browser:
        token = web.csrf_of(browser.get("/littlesis/"))
        answer = browser.post("/littlesis/jobs/littlesis_demo_generic/trigger", data={"csrf_token": token})
        assert answer.status_code == 303
        run_id = httpx.URL(answer.headers["location"]).params["ref"]
        shown = browser.get(answer.headers["location"])
        assert f"Run {run_id} was created, but the DAG is paused" in shown.text  # new DAGs start paused
        unknown = browser.post(f"/littlesis/jobs/littlesis_{web.fresh_job()}/trigger", data={"csrf_token": token})
        assert unknown.status_code == 404  # a config the DAG processor hasn't parsed: Airflow has no DAG
    with web.http("admin") as api:
        runs = api.get("/api/v2/dags/littlesis_demo_generic/dagRuns").json()["dag_runs"]
    (run,) = [r for r in runs if r["dag_run_id"] == run_id]
    assert run["state"] == "queued" and run["triggered_by"] == "ui" and run["triggering_user_name"] == "editor"
    assert run["conf"] == {"approval": "job-default"}


def test_entry_point_redirects_to_the_newest_run_and_excluded_rows_are_listed(web: WebWorld) -> None:
    job_id = web.fresh_job()
    with web.http("reader") as reader:
        none_yet = reader.get(f"/littlesis/jobs/littlesis_{job_id}")
        assert none_yet.status_code == 303 and "notice=no_runs" in none_yet.headers["location"]
        web.analyze(job_id)
        newest = web.analyze(job_id)
        entry = reader.get(f"/littlesis/jobs/littlesis_{job_id}")
        assert entry.headers["location"] == run_path(job_id, newest.run_id)
        excluded = reader.get(run_path(job_id, newest.run_id, "excluded"))
        assert excluded.text.count('data-testid="excluded-row"') == 2
        assert "exclude: CourseName equals &#39;Health&#39;" in excluded.text
        rejected = re.findall(r'<tr data-testid="rejected-row">(.*?)</tr>', excluded.text, re.S)
        assert len(rejected) == 1 and "not-an-address" in rejected[0] and ">14<" in rejected[0]
        assert reader.get("/littlesis/jobs/not_littlesis/history").status_code == 404
        other = reader.get(run_path("demo_generic", newest.run_id))
        assert other.status_code == 404  # the run belongs to another job


def test_results_csv_is_readable(web: WebWorld) -> None:
    job_id = web.fresh_job()
    run = web.analyze(job_id)
    with web.http("reader") as reader:
        answer = reader.get(run_path(job_id, run.run_id, "results.csv"))
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(answer.text.splitlines()))
    assert len(rows) == 418 and {r["status"] for r in rows} == {"pending"}
    assert rows[0]["kind"] == "create_course" and rows[0]["position"] == "0"
