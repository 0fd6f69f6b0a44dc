"""Where the demo lives, its ports, and the environment its processes get."""

from __future__ import annotations

import pytest

from littlesis.deploy.demo_settings import DemoSettings, DemoSettingsError


def test_defaults_are_the_repository_folder_and_the_usual_ports(tmp_path):
    settings = DemoSettings.from_env({}, root=tmp_path)
    assert (settings.folder, settings.port, settings.emulator_port, settings.smtp_port) == (
        tmp_path / ".demo", 8080, 8089, 8025)
    assert settings.url == "http://127.0.0.1:8080"
    assert settings.store_url == f"sqlite:///{tmp_path / '.demo' / 'airflow' / 'littlesis' / 'store.db'}"


@pytest.mark.parametrize(("value", "message"), [("http", "must be a port number, not 'http'"),
                                                 ("70000", "must be between 1 and 65535, not 70000")])
def test_a_bad_port_names_the_variable(value, message, tmp_path):
    with pytest.raises(DemoSettingsError, match=f"LITTLESIS_DEMO_EMULATOR_PORT {message}"):
        DemoSettings.from_env({"LITTLESIS_DEMO_EMULATOR_PORT": value}, root=tmp_path)


def test_a_running_demo_keeps_the_ports_it_started_with(tmp_path):
    env = {"LITTLESIS_DEMO_DIR": str(tmp_path / "d"), "LITTLESIS_DEMO_PORT": "18080"}
    DemoSettings.from_env(env, root=tmp_path).save()
    now = DemoSettings.from_env({**env, "LITTLESIS_DEMO_PORT": "28080"}, root=tmp_path)
    assert now.port == 28080 and now.as_saved().port == 18080


def test_processes_get_airflow_in_the_demo_folder_and_nothing_of_a_real_installation(tmp_path):
    settings = DemoSettings.from_env({"LITTLESIS_DEMO_PORT": "18080"}, root=tmp_path)
    env = settings.airflow_env({"PATH": "/usr/bin", "HOME": "/home/me",
                                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://prod/airflow",
                                "AIRFLOW_CONN_LITTLESIS_CLASSROOM": "google-cloud-platform://",
                                "LITTLESIS_ARTIFACTS": "/srv/artifacts"})
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env and "AIRFLOW_CONN_LITTLESIS_CLASSROOM" not in env
    assert "LITTLESIS_ARTIFACTS" not in env and env["HOME"] == "/home/me"
    assert env["AIRFLOW_HOME"] == str(tmp_path / ".demo" / "airflow")
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4" and env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["LITTLESIS_JOB_CONFIGS"] == str(tmp_path / "include" / "job_configs")
