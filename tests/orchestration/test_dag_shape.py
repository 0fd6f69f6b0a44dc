"""The DAGs as Airflow objects, built from configs with no database."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from littlesis.core.job_files import read_job
from littlesis.orchestration.approval import ApprovalSensor
from littlesis.orchestration.dag_builder import COMMIT_POOL, TASK_IDS, RecordFailure, build_dags
from tests.orchestration.conftest import SHIPPED, write_config


@pytest.fixture
def dags(configs):
    write_config(configs, "nightly_auto", mode="automatic", schedule="30 2 * * *")
    return build_dags(configs)


def test_one_dag_per_config_named_after_the_job(dags):
    assert set(dags) == {"littlesis_demo_generic", "littlesis_demo_oneroster", "littlesis_nightly_auto"}


@pytest.mark.parametrize("dag_id", ["littlesis_demo_generic", "littlesis_demo_oneroster", "littlesis_nightly_auto"])
def test_tasks_run_in_the_design_order(dags, dag_id):
    dag = dags[dag_id]
    assert [t.task_id for t in dag.topological_sort()] == list(TASK_IDS)
    for upstream, downstream in itertools.pairwise(TASK_IDS):
        assert dag.get_task(upstream).downstream_task_ids == {downstream}
    assert dag.get_task("refresh_cache").downstream_task_ids == set()


def test_retries_on_io_tasks_none_on_commit_and_commit_in_its_pool(dags):
    dag = dags["littlesis_demo_generic"]
    retries = {t.task_id: t.retries for t in dag.tasks}
    assert retries == {"load_csv": 2, "apply_rules": 0, "match_teacher_classes": 0, "analyze": 2,
                       "await_approval": 0, "commit": 0, "refresh_cache": 2}
    assert dag.get_task("analyze").retry_delay == timedelta(minutes=1)
    assert dag.get_task("commit").pool == COMMIT_POOL
    assert {t.pool for t in dag.tasks if t.task_id != "commit"} == {"default_pool"}
    assert {t.owner for t in dag.tasks} == {"littlesis"}


def test_every_task_records_its_failure_on_the_job_card(dags, configs):
    dag = dags["littlesis_demo_generic"]
    for task in dag.tasks:
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert [type(c) for c in callbacks] == [RecordFailure], task.task_id
        assert callbacks[0].config_path == str((configs / "demo_generic.yaml").resolve())


def test_schedule_tags_and_defaults_follow_the_automation_mode(dags):
    manual, review, auto = (dags[f"littlesis_{j}"] for j in ("demo_generic", "demo_oneroster", "nightly_auto"))
    assert manual.schedule is None
    assert review.schedule == "0 5 * * 1-5"
    assert auto.schedule == "30 2 * * *"
    assert set(manual.tags) == {"littlesis", "manual", "generic"}
    assert set(review.tags) == {"littlesis", "review", "oneroster"}
    assert set(auto.tags) == {"littlesis", "automatic", "generic"}
    for dag in (manual, review, auto):
        assert dag.catchup is False
        assert dag.max_active_runs == 1
        assert dag.start_date is not None and dag.start_date.year == 2024


def test_approval_param_offers_the_three_choices(dags):
    param = dags["littlesis_demo_generic"].params.get_param("approval")
    assert param.value == "job-default"
    assert param.schema["enum"] == ["job-default", "review", "stage-all"]


def test_doc_md_tells_the_job_and_its_settings(dags):
    doc = dags["littlesis_demo_oneroster"].doc_md
    job = read_job(SHIPPED / "demo_oneroster.yaml")
    assert doc.startswith(f"# {job.name}")
    assert job.description in doc
    assert "| Preset | oneroster |" in doc
    assert "review (scheduled `0 5 * * 1-5`" in doc
    assert "| New courses | PROVISIONED |" in doc


def test_sensor_carries_the_job_automation(dags):
    sensor = dags["littlesis_nightly_auto"].get_task("await_approval")
    assert isinstance(sensor, ApprovalSensor)
    assert sensor.automation_mode == "automatic"
    assert sensor.stages_automatically("job-default")
    assert not sensor.stages_automatically("review")
    review = dags["littlesis_demo_oneroster"].get_task("await_approval")
    assert not review.stages_automatically("job-default")
    assert review.stages_automatically("stage-all")


def test_a_broken_config_costs_only_itself(configs, caplog):
    (configs / "broken.yaml").write_text("id: broken\nname: Broken\nsource: {preset: generic}\n", encoding="utf-8")
    write_config(configs, "typo", extra="preferencs: {}\n")
    (configs / "not_yaml.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    dags = build_dags(configs)
    assert set(dags) == {"littlesis_demo_generic", "littlesis_demo_oneroster"}
    logged = caplog.text
    assert "broken.yaml" in logged and "typo.yaml" in logged and "not_yaml.yaml" in logged


def test_a_missing_folder_gives_no_dags_and_no_error(tmp_path):
    assert build_dags(tmp_path / "nowhere") == {}


@pytest.mark.parametrize(("setting", "deferrable", "mode"), [
    (None, True, "poke"), ("false", False, "reschedule"), ("no", False, "reschedule"), ("maybe", True, "poke")])
def test_the_sensor_defers_unless_the_deployment_has_no_triggerer(configs, monkeypatch, setting, deferrable, mode):
    if setting is not None:
        monkeypatch.setenv("LITTLESIS_APPROVAL_DEFERRABLE", setting)
    sensor = build_dags(configs)["littlesis_demo_generic"].get_task("await_approval")
    assert isinstance(sensor, ApprovalSensor)
    assert (sensor.deferrable, sensor.mode) == (deferrable, mode)
