"""The review plugin in a real browser: Debian's Chromium, driven by Playwright, in Airflow's own UI on the demo.

A reviewer signs in on Airflow's login form, opens "Little SIS" from the navigation, reviews the demo's
generic plan, stages four new courses picked with a click and a shift-click, commits them behind the
confirmation, and sees the job card go back to "awaiting analysis", the results in the history and the
courses in the (emulated) Classroom. Class names full of markup and formula text are shown as text.
The screenshots of the README (docs/img/jobs.png, docs/img/review.png) are taken here.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import BrowserContext, FrameLocator, Locator, Page, expect

from littlesis.deploy.airflow_api import wait_for
from tests.browser.airflow_ui import (
    PLUGIN_ROUTE,
    card_state,
    job_card,
    log_in,
    open_little_sis,
    plugin_frame,
    screenshot,
    settle,
)
from tests.browser.conftest import DemoStack, needs_chromium
from tests.browser.hostile_job import (
    HOSTILE_CLASS_NAMES,
    HOSTILE_JOB,
    HOSTILE_JOB_NAME,
    analyze_into_demo,
    write_hostile_job,
)
from tests.conftest import ROOT
from tests.demo.stack import COMMIT_TIMEOUT_S, DEMO_JOBS

# The stack's start and the analyses count towards the first test's time.
pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium, pytest.mark.timeout(1500)]

DOCS_IMG = ROOT / "docs" / "img"
GENERIC = "demo_generic"
FIRST, LAST = 1, 4  # the rows clicked, then shift-clicked (0-based): rows 2 to 5 of the filtered plan
STAGED = LAST - FIRST + 1
expect.set_options(timeout=30_000)  # two cores shared with Airflow's scheduler, workers and other tests


def kind_counts(counts: Locator) -> dict[str, int]:
    """A counts list (``<li data-kind=...> ... <b>1,234</b></li>``) as numbers by action kind."""
    return {item.get_attribute("data-kind") or "": int(item.locator("b").inner_text().replace(",", ""))
            for item in counts.locator("li").all()}


def emulator_aliases(stack: DemoStack) -> set[str]:
    """Every course alias the emulated Classroom holds."""
    with urllib.request.urlopen(stack.settings.emulator_url + "_emulator/state", timeout=30) as answer:
        state = json.loads(answer.read())
    return {alias for course in state["courses"] for alias in course.get("aliases", [])}


def actions_by_id(context: BrowserContext, stack: DemoStack, dag_id: str, run_id: str, kind: str) -> dict[str, Any]:
    """The run's actions of one kind from the plugin's JSON, fetched with the browser's session."""
    answer = context.request.get(f"{stack.url}/littlesis/jobs/{dag_id}/runs/{quote(run_id)}/actions.json",
                                 params={"kind": kind, "size": "500"})
    assert answer.ok, answer.text()
    return {item["action_id"]: item for item in answer.json()["items"]}


def review_generic_plan(page: Page, frame: FrameLocator, run_id: str) -> dict[str, int]:
    """From the job list, open the generic job's review; what its card said was planned, by kind."""
    card = job_card(frame, GENERIC)
    planned = kind_counts(card.get_by_test_id("job-counts"))
    card.get_by_test_id("review-link").click()
    expect(frame.get_by_test_id("run-id")).to_have_text(run_id)
    settle(page)
    expect(frame.get_by_test_id("count-proposed")).to_have_attribute("data-count", str(sum(planned.values())))
    return planned


def filter_kind(page: Page, frame: FrameLocator, kind: str, expected: int) -> None:
    frame.get_by_test_id("filter-kind").select_option(kind)
    frame.get_by_test_id("filter-apply").click()
    expect(frame.get_by_test_id("match-total")).to_have_text(f"{expected} matching actions")
    settle(page)


def stage_a_shift_click_range(page: Page, frame: FrameLocator, rows_shown: int) -> tuple[list[str], set[str]]:
    """Click one row's box, shift-click another's, Stage; every action id of the page and those staged."""
    rows = frame.get_by_test_id("action-row")
    expect(rows).to_have_count(rows_shown)
    checks = frame.get_by_test_id("row-check")
    checks.nth(FIRST).click()
    checks.nth(LAST).click(modifiers=["Shift"])
    expect(frame.get_by_test_id("selection-count")).to_have_text(f"{STAGED} selected")
    picked = [FIRST <= n <= LAST for n in range(rows_shown)]
    assert [box.is_checked() for box in checks.all()] == picked
    action_ids = [row.get_attribute("data-action-id") or "" for row in rows.all()]
    staged_ids = {a for a, chosen in zip(action_ids, picked, strict=True) if chosen}

    frame.get_by_test_id("stage-button").click()
    expect(frame.locator("[data-testid=notice][data-notice=staged]")).to_contain_text(f"{STAGED} actions staged")
    settle(page)
    expect(frame.get_by_test_id("count-staged")).to_have_attribute("data-count", str(STAGED))
    assert kind_counts(frame.get_by_test_id("staged-by-kind")) == {"create_course": STAGED}
    for row in rows.all():
        decision = "staged" if row.get_attribute("data-action-id") in staged_ids else "proposed"
        expect(row.get_by_test_id("decision")).to_have_attribute("data-decision", decision)
    return action_ids, staged_ids


def commit_after_confirmation(frame: FrameLocator, planned_total: int) -> None:
    """"Commit N staged actions": the confirmation restates what will happen before anything does."""
    frame.get_by_test_id("commit-button").click()
    dialog = frame.get_by_test_id("commit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(f"Commit {STAGED} staged actions?")
    times = "\u00d7"  # the dialog's multiplication sign
    expect(dialog.get_by_test_id("commit-counts").locator("li")).to_have_text([f"{STAGED} {times} Create course"])
    expect(dialog).to_contain_text(f"{planned_total - STAGED:,} proposed and 0 excluded actions are not applied")
    dialog.get_by_test_id("commit-confirm").click()
    expect(frame.locator("[data-testid=notice][data-notice=approved]")).to_be_visible()
    expect(frame.get_by_test_id("approved-by")).to_have_text("admin")


def test_review_stage_and_commit_part_of_the_demo_plan(demo_stack: DemoStack, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, demo_stack.url, "admin", demo_stack.password)
    frame = open_little_sis(page)
    for job_id in DEMO_JOBS.values():
        expect(job_card(frame, job_id).get_by_test_id("job-state")).to_have_attribute("data-state", "pending_review")
    screenshot(context, demo_stack.url + "/littlesis/", DOCS_IMG / "jobs.png")

    run_id = demo_stack.pending[GENERIC]
    planned = review_generic_plan(page, frame, run_id)
    # Only the new courses; the second to fifth of them.
    filter_kind(page, frame, "create_course", planned["create_course"])
    action_ids, staged_ids = stage_a_shift_click_range(page, frame, planned["create_course"])
    screenshot(context, plugin_frame(page).url, DOCS_IMG / "review.png")
    commit_after_confirmation(frame, sum(planned.values()))

    # The DAG's sensor sees the approval, the commit task applies it, the card goes back to waiting.
    page.goto(demo_stack.url + PLUGIN_ROUTE)

    def card_back_to_awaiting_analysis() -> bool:
        page.reload()
        return card_state(frame, GENERIC) == "awaiting_analysis"

    wait_for(card_back_to_awaiting_analysis, COMMIT_TIMEOUT_S, "the generic job's card back to awaiting analysis",
             interval_s=3)
    card = job_card(frame, GENERIC)
    expect(card.get_by_test_id("job-last-run").get_by_test_id("run-state")).to_have_attribute("data-state",
                                                                                             "committed")

    card.get_by_test_id("history-link").click()
    entry = frame.locator(f"[data-testid=history-row][data-run-id='{run_id}']")
    expect(entry.get_by_test_id("run-state")).to_have_attribute("data-state", "committed")
    results = entry.get_by_test_id("history-results").locator("li")
    expect(results).to_have_count(1)  # every applied action succeeded: no failed, no skipped
    expect(results).to_have_attribute("data-status", "done")
    expect(results.locator("b")).to_have_text(str(STAGED))
    expect(frame.get_by_test_id("history-failures")).to_have_count(0)

    # Exactly the staged courses exist in Classroom; the others were not created.
    actions = actions_by_id(context, demo_stack, f"littlesis_{GENERIC}", run_id, "create_course")
    assert {a: item["status"] for a, item in actions.items()} == {
        a: "done" if a in staged_ids else "pending" for a in action_ids}
    in_classroom = emulator_aliases(demo_stack)
    assert {actions[a]["target"] for a in staged_ids} <= in_classroom
    assert not {actions[a]["target"] for a in set(action_ids) - staged_ids} & in_classroom


def test_markup_and_formulas_in_class_names_are_shown_as_text(demo_stack: DemoStack, context: BrowserContext,
                                                              tmp_path) -> None:
    summary = analyze_into_demo(write_hostile_job(tmp_path / "hostile"), demo_stack.settings)
    assert summary["counts"]["create_course"] == len(HOSTILE_CLASS_NAMES)

    page = context.new_page()
    log_in(page, demo_stack.url, "admin", demo_stack.password)
    frame = open_little_sis(page)
    card = job_card(frame, HOSTILE_JOB)
    expect(card.get_by_test_id("job-name")).to_have_text(HOSTILE_JOB_NAME)
    assert plugin_frame(page).evaluate("window.__cspViolations") == []
    card.get_by_test_id("review-link").click()
    expect(frame.get_by_role("heading", level=1)).to_contain_text(HOSTILE_JOB_NAME)
    settle(page)
    filter_kind(page, frame, "create_course", len(HOSTILE_CLASS_NAMES))
    names = frame.get_by_test_id("action-name")
    expect(names).to_have_count(len(HOSTILE_CLASS_NAMES))
    assert sorted(names.all_text_contents()) == sorted(HOSTILE_CLASS_NAMES)
    for name in HOSTILE_CLASS_NAMES:
        expect(frame.get_by_text(name, exact=True)).to_be_visible()

    # Nothing became markup, nothing ran, and nothing even tried (the page's policy would have said).
    review = plugin_frame(page)
    assert review.locator("main script, main img").count() == 0
    assert review.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert review.evaluate("window.__cspViolations") == []
