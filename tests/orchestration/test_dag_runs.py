"""The real DAG run with ``dag.test()`` end to end against the Classroom emulator.

Each run is a subprocess with the module's own AIRFLOW_HOME (migrated once); the emulator
runs in this process and the store is a SQLite file per test, so the test can read the
store, and act as a reviewer, while a run waits in await_approval.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from littlesis.core.job_files import read_job
from littlesis.core.preview import preview
from littlesis.emulator import EmulatorServer
from littlesis.orchestration import approval_state, artifacts, stages
from littlesis.store import decisions, jobs, runs
from littlesis.store.actions import iter_actions
from littlesis.store.engine import make_engine, session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord, RunRecord
from tests.orchestration.conftest import DEMO_ROSTER, DEMO_SEED, airflow_env, demo_config
from tests.orchestration.task_calls import TaskCalls

pytestmark = pytest.mark.slow

SEED = DEMO_SEED
ROSTER = DEMO_ROSTER
RUNNER = Path(__file__).with_name("dag_test_runner.py")
RUN_TIMEOUT = 180
REVIEWER = "reviewer@district.example.org"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated Airflow home for the module (``airflow db migrate`` takes a few seconds)."""
    tmp = tmp_path_factory.mktemp("airflow")
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=_base_env(tmp),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-4000:]
    return tmp


def _base_env(tmp: Path, **extra: str) -> dict[str, str]:
    return airflow_env(
        tmp,
        AIRFLOW__API_AUTH__JWT_SECRET="littlesis-dag-test-secret-0123456789",
        **extra,
    )


class World:
    """The emulated Classroom domain, the store, the job configs folder and the env of a run."""

    def __init__(self, home: Path, tmp: Path, server: EmulatorServer) -> None:
        self.server = server
        self.configs = tmp / "job_configs"
        self.configs.mkdir()
        self.store = tmp / "store.db"
        self.artifacts = tmp / "artifacts"
        self.env = _base_env(
            home,
            LITTLESIS_JOB_CONFIGS=str(self.configs),
            LITTLESIS_ARTIFACTS=f"file://{self.artifacts}",  # any fsspec URL; a file:// one here
            LITTLESIS_SOURCE_ROOTS=str(tmp),  # the test's exports live beside the configs
            AIRFLOW_CONN_LITTLESIS_CLASSROOM=json.dumps({"conn_type": "google_cloud_platform", "extra": {
                "api_endpoint": server.base_url, "delegated_admin": "admin@district.example.org", "qps": 500}}),
            AIRFLOW_CONN_LITTLESIS_STORE=json.dumps({"conn_type": "sqlite", "host": str(self.store)}),
        )

    def classroom(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.server.base_url + "_emulator/state") as answer:
            return json.loads(answer.read())

    def start(self, dag_id: str, conf: dict[str, Any] | None = None,
              logical_date: datetime | None = None, **env: str) -> subprocess.Popen[str]:
        dated = ["1", logical_date.isoformat()] if logical_date is not None else []
        return subprocess.Popen([sys.executable, str(RUNNER), dag_id, json.dumps(conf or {}), *dated],
                                env={**self.env, **env},
                                cwd=RUNNER.parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen[str]) -> dict[str, Any]:
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"dag.test did not end in {RUN_TIMEOUT} s:\n{err[-4000:]}") from None
        assert proc.returncode == 0, err[-4000:]
        return json.loads(out.strip().splitlines()[-1])

    def run(self, dag_id: str, conf: dict[str, Any] | None = None,
            logical_date: datetime | None = None) -> dict[str, Any]:
        return self.finish(self.start(dag_id, conf, logical_date))

    @contextmanager
    def started(self, dag_id: str, conf: dict[str, Any] | None = None, logical_date: datetime | None = None,
                **env: str) -> Iterator[subprocess.Popen[str]]:
        """A DAG run going on while the block runs; killed if the block leaves it running (a failed assert)."""
        proc = self.start(dag_id, conf, logical_date, **env)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    @contextmanager
    def session(self, readonly: bool = True) -> Iterator[Any]:
        engine = make_engine(f"sqlite:///{self.store}")
        try:
            with session_scope(engine, readonly=readonly) as session:
                yield session
        finally:
            engine.dispose()

    def store_run(self, run_id: str) -> RunRecord:
        with self.session() as session:
            record = runs.get_run(session, run_id)
        assert record is not None, run_id
        return record

    def card(self, job_id: str) -> tuple[str, str | None]:
        """The job card the plugin page shows (our store only)."""
        with self.session() as session:
            job = jobs.get_job(session, job_id)
        assert job is not None, job_id
        return job.state, job.state_reason

    def wait_for_review(self, proc: subprocess.Popen[str] | None, job_id: str, timeout: float = 120) -> RunRecord:
        """The job's run once it waits for a person (the DAG run still going)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"the DAG run ended while it should wait: {out[-1000:]}\n{err[-4000:]}")
            try:
                with self.session() as session:
                    waiting = runs.list_runs(session, job_id, states=("pending_review",), limit=10)
            except Exception:  # the store is not created (migrated) yet
                waiting = []
            if waiting:
                return waiting[0]
            time.sleep(0.5)
        raise AssertionError(f"no run of {job_id} waited for review within {timeout} s")


class Reviewer(threading.Thread):
    """A person on the review page, in another thread: once the job's run waits for review, marks the card
    in review (as the page does), stages what ``choose`` picks from the plan and approves the run."""

    def __init__(self, world: World, job_id: str, choose: Callable[[list[ActionRecord]], list[ActionRecord]]
                 ) -> None:
        super().__init__(name=f"reviewer of {job_id}", daemon=True)
        self.world, self.job_id, self.choose = world, job_id, choose
        self.run_id: str | None = None
        self.chosen: list[ActionRecord] = []
        self.card_seen: tuple[str, str | None] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            waiting = self.world.wait_for_review(None, self.job_id)
            self.card_seen = self.world.card(self.job_id)
            with self.world.session(readonly=False) as session:
                jobs.set_job_state(session, self.job_id, "in_review")
                self.chosen = self.choose(list(iter_actions(session, waiting.run_id)))
                decisions.stage_actions(session, waiting.run_id, actor=REVIEWER,
                                        action_ids=[a.action_id for a in self.chosen])
                decisions.approve_run(session, waiting.run_id, actor=REVIEWER)
            self.run_id = waiting.run_id
        except BaseException as exc:  # handed to the test's thread by done()
            self.error = exc

    def done(self) -> Reviewer:
        self.join(timeout=RUN_TIMEOUT)
        if self.error is not None:
            raise self.error
        assert self.run_id is not None, "the reviewer never saw a run to review"
        return self


def _two_courses(plan: list[ActionRecord]) -> list[ActionRecord]:
    return [a for a in plan if a.kind == "create_course"][:2]


def _two_whole_courses(plan: list[ActionRecord]) -> list[ActionRecord]:
    """Two new courses with everything of theirs (rosters, guardians): nothing of them is left half done."""
    chosen = {a.alias for a in _two_courses(plan)}
    return [a for a in plan if a.alias in chosen]


@pytest.fixture
def world(airflow_home: Path, tmp_path: Path) -> Iterator[World]:
    with EmulatorServer(seed=json.loads(SEED.read_text())) as server:
        yield World(airflow_home, tmp_path, server)


def _ok(result: dict[str, Any]) -> None:
    assert result["state"] == "success", result
    assert set(result["tasks"].values()) == {"success"}, result


def _aliases(state: dict[str, Any]) -> list[str]:
    return [a for c in state["courses"] for a in c["aliases"]]


def _students(state: dict[str, Any]) -> dict[str, set[str]]:
    return {a: {s["emailAddress"] for s in c["students"]} for c in state["courses"] for a in c["aliases"]}


AUTOMATIC = 'mode: automatic\n  schedule: "@daily"'
DAYS = [datetime(2026, 3, d, tzinfo=UTC) for d in (1, 2, 3)]


def test_stage_all_syncs_the_demo_district_then_a_second_run_commits_nothing(world: World) -> None:
    config = demo_config(world.configs, "demo_generic")

    first = world.run("littlesis_demo_generic", {"approval": "stage-all"})
    _ok(first)
    state = world.classroom()
    aliases = _aliases(state)
    assert len(state["courses"]) == 19  # 16 created + the 3 teacher-made ones, linked
    assert len(aliases) == len(set(aliases)) == 19  # one alias per course, no duplicate
    assert all(a.startswith("d:") for a in aliases)
    wanted = preview(read_job(config), config).in_scope
    assert {a.removeprefix("d:") for a in aliases} == set(wanted.sections["alias"])
    run = world.store_run(first["run_id"])
    assert run.state == "committed"
    assert run.counts == {"create_course": 16, "link_course": 3, "add_student": 338, "invite_guardian": 61}
    assert world.card("demo_generic") == ("awaiting_analysis", None)
    # The tasks handed each other files in the run's artifacts (the file:// URL of $LITTLESIS_ARTIFACTS).
    folder = artifacts.run_folder("demo_generic", first["run_id"], world.env["LITTLESIS_ARTIFACTS"])
    assert all(folder.child(stage).exists(stages.META) for stage in (stages.LOADED, stages.SCOPED, stages.MATCHES))

    second = world.run("littlesis_demo_generic", {"approval": "stage-all"})
    _ok(second)
    assert second["run_id"] != first["run_id"]
    again = world.store_run(second["run_id"])
    assert again.counts == {}  # the analysis plans nothing
    assert again.state == "committed"
    after = world.classroom()
    assert _aliases(after) == aliases
    assert _students(after) == _students(state)
    assert world.card("demo_generic") == ("awaiting_analysis", None)


def test_an_export_cut_in_half_stops_an_automatic_job_at_await_approval(world: World, tmp_path: Path) -> None:
    config = demo_config(world.configs, "auto_cut", automation=AUTOMATIC)
    _ok(world.run("littlesis_auto_cut"))  # automatic: the first sync stages everything and commits
    synced = world.classroom()
    wanted = preview(read_job(config), config).in_scope
    assert sorted(a.removeprefix("d:") for a in _aliases(synced)) == sorted(wanted.sections["alias"])

    lines = ROSTER.read_text(encoding="utf-8").splitlines(keepends=True)
    half = tmp_path / "half_roster.csv"
    half.write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(str(ROSTER), str(half)), encoding="utf-8")

    with world.started("littlesis_auto_cut") as proc:
        waiting = world.wait_for_review(proc, "auto_cut")
        assert waiting.unsafe, waiting
        assert waiting.counts.get("remove_student", 0) > 0
        time.sleep(3)  # a few polls of the trigger: still waiting, nothing staged, nothing applied
        assert proc.poll() is None
        assert world.store_run(waiting.run_id).state == "pending_review"
        assert world.card("auto_cut") == ("pending_review", None)
        with world.session() as session:
            staged = list(iter_actions(session, waiting.run_id, ActionFilter(decision="staged")))
        assert staged == []
        assert _students(world.classroom()) == _students(synced)
        # The review window ends without a person: the run expires and the DAG run stops.
        engine = make_engine(f"sqlite:///{world.store}")
        try:
            approval_state.expire(engine, waiting.run_id, "test: review window ended")
        finally:
            engine.dispose()
        result = world.finish(proc)
    assert result["run_id"] == waiting.run_id
    assert result["tasks"]["await_approval"] == "skipped", result
    assert result["tasks"]["commit"] == "skipped", result
    assert world.store_run(waiting.run_id).state == "expired"
    assert world.card("auto_cut") == ("awaiting_analysis", None)  # nothing else waits
    assert _students(world.classroom()) == _students(synced)


def test_a_scheduled_review_job_commits_what_a_reviewer_staged_and_proposes_the_rest_again(world: World) -> None:
    demo_config(world.configs, "reviewed", automation='mode: review\n  schedule: "0 5 * * 1-5"')
    before = world.classroom()
    with world.started("littlesis_reviewed", logical_date=DAYS[0]) as proc:
        reviewer = Reviewer(world, "reviewed", _two_courses)
        reviewer.start()
        result = world.finish(proc)
    reviewer.done()
    _ok(result)
    assert result["run_id"] == reviewer.run_id
    assert reviewer.card_seen == ("pending_review", None)
    after = world.classroom()
    new = Counter(_aliases(after)) - Counter(_aliases(before))
    assert sorted(new) == sorted(f"d:{a.alias}" for a in reviewer.chosen)
    assert len(after["courses"]) == len(before["courses"]) + 2
    assert all(not students for alias, students in _students(after).items() if alias in new)  # none staged
    assert len(after["guardianInvitations"]) == len(before["guardianInvitations"])
    with world.session() as session:
        statuses = Counter(a.status for a in iter_actions(session, reviewer.run_id))
    assert statuses["done"] == 2 and statuses["pending"] == sum(statuses.values()) - 2
    committed = world.store_run(reviewer.run_id)
    assert (committed.state, committed.approval) == ("committed", "partial")
    assert world.card("reviewed") == ("awaiting_analysis", None)

    # The next scheduled run proposes the rest again (and only the rest), and waits for a person.
    with world.started("littlesis_reviewed", logical_date=DAYS[1]) as proc:
        waiting = world.wait_for_review(proc, "reviewed")
        assert world.card("reviewed") == ("pending_review", None)
        assert waiting.counts["create_course"] == committed.counts["create_course"] - 2
        assert {k: v for k, v in waiting.counts.items() if k != "create_course"} == \
            {k: v for k, v in committed.counts.items() if k != "create_course"}
        with world.session() as session:
            creates = {a.alias for a in iter_actions(session, waiting.run_id, ActionFilter(kind="create_course"))}
        assert creates.isdisjoint(a.alias for a in reviewer.chosen)
        engine = make_engine(f"sqlite:///{world.store}")
        try:
            approval_state.expire(engine, waiting.run_id, "test: review window ended")
        finally:
            engine.dispose()
        ended = world.finish(proc)
    assert ended["tasks"]["await_approval"] == "skipped", ended
    assert world.classroom() == after
    assert world.card("reviewed") == ("awaiting_analysis", None)


def test_an_automatic_job_approves_the_rest_of_a_partial_review_on_its_next_run(world: World) -> None:
    config = demo_config(world.configs, "auto_rest", automation=AUTOMATIC)
    with world.started("littlesis_auto_rest", {"approval": "review"}) as proc:  # this once, a person decides
        reviewer = Reviewer(world, "auto_rest", _two_whole_courses)
        reviewer.start()
        result = world.finish(proc)
    reviewer.done()
    _ok(result)
    assert len(world.classroom()["courses"]) == 3 + 2  # the teacher-made ones, and the two staged
    assert world.store_run(reviewer.run_id).approval == "partial"

    nightly = world.run("littlesis_auto_rest")  # job-default: automatic
    _ok(nightly)
    rest = world.store_run(nightly["run_id"])
    assert rest.counts["create_course"] == 14 and rest.approval == "all" and rest.approved_by == "automatic staging"
    state = world.classroom()
    wanted = preview(read_job(config), config).in_scope
    assert sorted(a.removeprefix("d:") for a in _aliases(state)) == sorted(wanted.sections["alias"])
    enrolled = {a.removeprefix("d:"): s for a, s in _students(state).items()}
    sis = {str(alias): set(emails) for alias, emails in wanted.enrollments.groupby("alias")["email"]}
    assert all(sis[alias] <= enrolled[alias] for alias in sis)  # every SIS student is in their course
    assert world.card("auto_rest") == ("awaiting_analysis", None)


def test_a_newer_analysis_supersedes_an_older_run_still_waiting(world: World, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    config = demo_config(world.configs, "superseded")
    before = world.classroom()
    with world.started("littlesis_superseded") as proc:
        waiting = world.wait_for_review(proc, "superseded")
        # A newer analysis of the same job (its tasks run here, in the test process, against the same store).
        for name in ("AIRFLOW_CONN_LITTLESIS_STORE", "AIRFLOW_CONN_LITTLESIS_CLASSROOM", "LITTLESIS_ARTIFACTS",
                     "LITTLESIS_SOURCE_ROOTS"):
            monkeypatch.setenv(name, world.env[name])
        newer = TaskCalls(config, "manual__newer", datetime.now(UTC)).analysis()
        assert newer["superseded"] == [waiting.run_id]
        result = world.finish(proc)
    assert result["run_id"] == waiting.run_id
    assert result["tasks"]["await_approval"] == "skipped", result
    assert result["tasks"]["commit"] == "skipped", result
    older = world.store_run(waiting.run_id)
    assert older.state == "superseded"
    assert older.superseded_by == "manual__newer"
    assert older.state_reason == "a newer analysis (manual__newer) replaced it"
    assert world.store_run("manual__newer").state == "pending_review"
    assert world.card("superseded") == ("pending_review", None)  # the newer run waits
    assert _students(world.classroom()) == _students(before)


def _dated_exports(root: Path, extra_students: int) -> Path:
    """exports/<ds>/roster.csv for the three days: the demo roster plus one more student each day."""
    lines = ROSTER.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[1]
    for day, date in enumerate(DAYS):
        rows = [first.replace("100000", f"9{n:05d}").replace("ava.garcia0@", f"new.student{n}@")
                for n in range(day + extra_students)]
        folder = root / "exports" / date.date().isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "roster.csv").write_text("".join(lines + rows), encoding="utf-8")
    return root / "exports" / "{ds}" / "roster.csv"


def _dated_job(world: World, job_id: str, dated: Path) -> Path:
    return demo_config(world.configs, job_id, automation=AUTOMATIC, roster=dated)


def _course_students(state: dict[str, Any]) -> set[str]:
    return {s["emailAddress"] for c in state["courses"] for s in c["students"]}


def test_a_backfill_commits_each_date_in_order_and_a_rerun_reads_its_archive(world: World, tmp_path: Path) -> None:
    dated = _dated_exports(tmp_path, extra_students=0)
    _dated_job(world, "backfill", dated)
    results = [world.run("littlesis_backfill", logical_date=day) for day in DAYS]
    for result in results:
        _ok(result)
    stored = [world.store_run(r["run_id"]) for r in results]
    assert [r.state for r in stored] == ["committed"] * 3
    assert [r.counts.get("add_student", 0) for r in stored[1:]] == [1, 1]  # the student each day adds
    assert world.card("backfill") == ("awaiting_analysis", None)
    newest = world.classroom()
    assert {"new.student0@district.example.org", "new.student1@district.example.org"} <= _course_students(newest)
    aliases = _aliases(newest)
    assert len(aliases) == len(set(aliases))

    # The newest date's export changes after its run; clearing and re-running that run reads the archive.
    export = Path(str(dated).replace("{ds}", DAYS[-1].date().isoformat()))
    original = stored[-1].sources
    exported = hashlib.sha256(export.read_bytes()).hexdigest()
    export.write_text(export.read_text(encoding="utf-8") + (
        export.read_text(encoding="utf-8").splitlines(keepends=True)[1]
        .replace("100000", "988888").replace("ava.garcia0@", "late.student@")), encoding="utf-8")
    again = world.run("littlesis_backfill", logical_date=DAYS[-1])
    _ok(again)
    assert again["run_id"] == results[-1]["run_id"]  # the same DAG run, cleared and re-run
    rerun = world.store_run(again["run_id"])
    assert rerun.state == "committed" and rerun.counts == stored[-1].counts and rerun.sources == original
    folder = artifacts.run_folder("backfill", again["run_id"], world.env["LITTLESIS_ARTIFACTS"])
    archive = artifacts.load_archive(folder)
    assert archive is not None
    assert [(f["original"], f["sha256"]) for f in archive.files] == [(str(export), exported)]
    assert "late.student@" not in Path(archive.files[0]["archived"]).read_text(encoding="utf-8")
    # The re-run's load_csv loaded that copy into the run's own artifacts, which its later tasks read.
    loaded = json.loads(folder.child(stages.LOADED).read_bytes(stages.META))
    assert (loaded["run_id"], [f["sha256"] for f in loaded["files"]]) == (again["run_id"], [exported])
    assert hashlib.sha256(export.read_bytes()).hexdigest() != exported
    after = world.classroom()
    assert "late.student@district.example.org" not in _course_students(after)
    assert _students(after) == _students(newest)  # nothing committed twice, nothing new
    assert _aliases(after) == aliases
    assert len(after["guardianInvitations"]) == len(newest["guardianInvitations"])
    assert world.card("backfill") == ("awaiting_analysis", None)


def test_a_backfill_run_backwards_supersedes_the_older_dates(world: World, tmp_path: Path) -> None:
    _dated_job(world, "backwards", _dated_exports(tmp_path, extra_students=0))
    newest = world.run("littlesis_backwards", logical_date=DAYS[-1])
    _ok(newest)
    committed = world.store_run(newest["run_id"])
    assert committed.state == "committed"
    synced = world.classroom()
    for day in reversed(DAYS[:-1]):
        result = world.run("littlesis_backwards", logical_date=day)
        assert result["tasks"]["analyze"] == "success", result
        assert result["tasks"]["await_approval"] == "skipped", result
        assert result["tasks"]["commit"] == "skipped", result
        assert result["tasks"]["refresh_cache"] == "skipped", result
        older = world.store_run(result["run_id"])
        assert older.state == "superseded", older
        assert older.state_reason == (f"data older than committed run {committed.run_id} "
                                      f"({DAYS[-1].isoformat(timespec='minutes')})")
        assert older.counts.get("remove_student", 0) > 0  # committing it would have rolled the newer data back
        with world.session() as session:
            assert list(iter_actions(session, older.run_id, ActionFilter(decision="staged"))) == []
        assert world.card("backwards") == ("awaiting_analysis", None)
    assert world.classroom() == synced


def test_task_code_touching_airflows_metadata_db_fails_under_dag_test(world: World) -> None:
    demo_config(world.configs, "orm_guard")
    with world.started("littlesis_orm_guard", {"approval": "stage-all"}, LITTLESIS_TEST_TOUCH_ORM="1") as proc:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, err[-4000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["state"] == "failed", result
    assert result["tasks"]["load_csv"] == "success", result
    assert result["tasks"]["apply_rules"] == "failed", result
    assert result["tasks"]["commit"] == "upstream_failed", result
    assert "MetadataDbAccess" in out + err
    assert "task code must not use Airflow's metadata database" in out + err
    # The failure callback wrote our store: the card and the run (no plan yet) say what failed and why.
    state, reason = world.card("orm_guard")
    assert state == "failed" and (reason or "").startswith(
        "apply_rules failed: MetadataDbAccess: task code must not use Airflow's metadata database")
    assert (world.store_run(result["run_id"]).state, world.store_run(result["run_id"]).state_reason) == \
        ("failed", reason)
