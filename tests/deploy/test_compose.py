"""docker-compose.yaml: valid for Debian's docker-compose, and the topology the product needs.

Validation runs `docker-compose config` (Debian's v1 package; no Docker engine needed). The
topology is read from the YAML itself: the services, CeleryExecutor everywhere, the same code
folders in every Airflow container, the artifacts volume shared by the workers, the start-up
order, and no secret written in the file.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from littlesis.core.sources.roots import ARTIFACTS_ENV
from littlesis.deploy import setup
from tests.conftest import ROOT
from tests.deploy.celery_cluster import CeleryCluster
from tests.deploy.compose_files import (
    COMPOSE,
    DOCKERFILE,
    GOOGLE_KEY_OVERRIDE,
    SECRET_NAME,
    compose_config,
    env_example,
    filled_env_file,
    raw_compose,
    required_variables,
)

AIRFLOW_SERVICES = {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                    "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                    "airflow-worker": "celery worker"}
LONG_RUNNING = set(AIRFLOW_SERVICES)
INIT = "airflow-init"
CODE_MOUNTS = {"./dags": "/opt/airflow/dags", "./plugins": "/opt/airflow/plugins", "./include": "/opt/airflow/include"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return raw_compose()


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


def bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """host path (or volume name) -> container path, for the short `source:target[:mode]` syntax."""
    mounts = {}
    for entry in service.get("volumes", []):
        source, target = entry.split(":")[:2]
        mounts[source] = target
    return mounts


# --- docker-compose config -----------------------------------------------------------------

def test_validates_with_debian_docker_compose(tmp_path: Path):
    env_file, fills = filled_env_file(tmp_path)
    done = compose_config(env_file)
    assert done.returncode == 0, done.stderr
    # Every stand-in secret of the env file reaches a container: .env is where they come from.
    for name, value in fills.items():
        assert value in done.stdout, f"{name} from the env file is used by no service"
    worker = yaml.safe_load(done.stdout)["services"]["airflow-worker"]
    assert worker["deploy"]["replicas"] == int(env_example()["AIRFLOW_WORKERS"]) >= 2


def test_validates_with_the_emulator_profile_and_with_the_google_key_override(tmp_path: Path):
    env_file, _ = filled_env_file(tmp_path)
    done = compose_config(env_file, "--profile", "emulator")
    assert done.returncode == 0, done.stderr
    assert "littlesis-emulator" in yaml.safe_load(done.stdout)["services"]

    env_file.write_text(env_file.read_text() + "LITTLESIS_CLASSROOM_KEY_FILE=/srv/littlesis/key.json\n")
    done = compose_config(env_file, files=(COMPOSE, GOOGLE_KEY_OVERRIDE))
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert resolved["secrets"]["classroom_key"]["file"] == "/srv/littlesis/key.json"
    assert [s if isinstance(s, str) else s["source"] for s in resolved["services"]["airflow-worker"]["secrets"]] == [
        "classroom_key"]


@pytest.mark.parametrize("name", sorted(required_variables()))
def test_refuses_to_run_without_each_required_value(tmp_path: Path, name: str):
    values = env_example()
    env_file, _ = filled_env_file(tmp_path, skip=name)
    if values.get(name):  # a value .env.example ships (the emulator's connection): blank it
        env_file.write_text(re.sub(rf"(?m)^{name}=.*$", f"{name}=", env_file.read_text()))
    done = compose_config(env_file)
    assert done.returncode != 0
    assert f"set {name} in .env" in done.stderr, done.stderr


# --- topology --------------------------------------------------------------------------------

def test_services_are_airflows_distributed_setup_plus_init_and_optional_emulator(services):
    assert set(services) == {"postgres", "redis", INIT, *AIRFLOW_SERVICES, "littlesis-emulator"}
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command
    assert services["littlesis-emulator"]["profiles"] == ["emulator"]
    assert not any("littlesis-emulator" in s.get("depends_on", {}) for s in services.values())
    assert "littlesis-emulator:8089" in env_example()["LITTLESIS_CLASSROOM_URI"]


def test_every_airflow_container_runs_celery_on_the_same_databases_and_keys(services):
    shared = ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL",
              "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
              "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", ARTIFACTS_ENV)
    reference = services["airflow-scheduler"]["environment"]
    assert reference["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert reference["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert "@redis:6379/" in reference["AIRFLOW__CELERY__BROKER_URL"]
    assert reference["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert reference["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    for name in [*AIRFLOW_SERVICES, INIT]:
        env = services[name]["environment"]
        assert {key: env.get(key) for key in shared} == {key: reference[key] for key in shared}, name


def test_the_native_multi_worker_test_sets_what_the_compose_file_sets(services, tmp_path: Path):
    """tests/deploy/test_celery_multiworker.py proves this topology; it must configure Airflow the same way."""
    compose_env = services["airflow-worker"]["environment"]
    native = CeleryCluster(tmp_path, metadata_url="postgresql+psycopg2://u@h/db", broker_url="redis://h/0").env()
    assert set(compose_env) - {"DUMB_INIT_SETSID"} <= set(native)
    for key in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"):
        assert native[key] == compose_env[key].replace("${AIRFLOW_ADMIN_USER:-admin}", "admin")
    assert native["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")


def test_airflow_and_the_store_use_separate_databases_and_roles(services):
    metadata = services["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    store = services[INIT]["environment"][setup.STORE_URL_ENV]
    assert re.search(r"://airflow:.*@postgres:5432/airflow$", metadata)
    assert re.search(r"://littlesis:.*@postgres:5432/littlesis$", store)
    init_sql = bind_mounts(services["postgres"])
    assert init_sql["./deploy/postgres/init-databases.sh"].startswith("/docker-entrypoint-initdb.d/")
    assert init_sql["./deploy/postgres/create-databases.sql"] == services["postgres"]["environment"][
        "LITTLESIS_INIT_SQL"]


def test_every_airflow_container_mounts_the_same_code_folders_where_the_dag_file_looks(services):
    for name in [*AIRFLOW_SERVICES, INIT]:
        mounts = bind_mounts(services[name])
        assert {host: mounts.get(host) for host in CODE_MOUNTS} == CODE_MOUNTS, name
        assert all(entry.endswith(":ro") for entry in services[name]["volumes"] if entry.split(":")[0] in CODE_MOUNTS)
    # dags/littlesis_jobs.py reads <its folder's parent>/include/job_configs; Airflow's defaults
    # for AIRFLOW_HOME=/opt/airflow are the dags and plugins folders mounted above.
    assert Path(CODE_MOUNTS["./dags"]).parent == Path(CODE_MOUNTS["./include"]).parent == Path("/opt/airflow")
    assert (ROOT / "plugins" / ".airflowignore").read_text().split() == ["littlesis/"]


def test_workers_scale_and_share_one_artifacts_volume(compose, services):
    worker = services["airflow-worker"]
    target = worker["environment"][ARTIFACTS_ENV]
    volume = {v: t for v, t in bind_mounts(worker).items() if t == target}
    assert len(volume) == 1
    (name,) = volume
    assert name in compose["volumes"], "the artifacts must live in a named volume, shared by every worker"
    assert "deploy" in worker and "replicas" in worker["deploy"]
    assert "container_name" not in worker and "ports" not in worker  # either would stop `--scale`
    # Only workers run tasks, so only they archive and read exports.
    assert [s for s, svc in services.items() if name in bind_mounts(svc)] == ["airflow-worker"]


def test_start_up_order_and_healthchecks_follow_airflows_reference_file(services):
    for name in ("postgres", "redis", *LONG_RUNNING):
        assert services[name]["healthcheck"]["test"], name
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
        assert depends[INIT]["condition"] == "service_completed_successfully", name
    # Workers reach the API server's execution API for every task.
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    init = services[INIT]
    assert init["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                  "redis": {"condition": "service_healthy"}}
    assert init["restart"] == "no"


def test_init_runs_littlesis_setup_with_the_variables_it_reads(services):
    init = services[INIT]
    assert init["command"] == ["bash", "/opt/airflow/deploy/airflow-init.sh"]
    mounts = bind_mounts(init)
    assert mounts["./deploy"] == "/opt/airflow/deploy" and mounts["./bin"] == "/opt/airflow/bin"
    script = (ROOT / "deploy" / "airflow-init.sh").read_text()
    assert script.rstrip().endswith('exec "$root/bin/littlesis" setup')
    env = init["environment"]
    for name in (setup.STORE_URL_ENV, setup.CLASSROOM_URI_ENV, setup.SMTP_URI_ENV, "AIRFLOW_ADMIN_PASSWORD"):
        assert name in env
    # The admin's password file is the API server's.
    passwords = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    auth_volume = [v for v, t in bind_mounts(init).items() if passwords.startswith(t + "/")]
    assert auth_volume and auth_volume[0] in bind_mounts(services["airflow-apiserver"])


# --- secrets ---------------------------------------------------------------------------------

def _strings(node: Any, where: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{where}[{index}]")
    elif node is not None:
        yield where, str(node)


def test_no_secret_is_written_in_the_compose_files():
    required = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]*\}$")
    for path in (COMPOSE, GOOGLE_KEY_OVERRIDE):
        compose = raw_compose(path)
        for name, service in compose["services"].items():
            for key, value in (service.get("environment") or {}).items():
                if SECRET_NAME.search(key):
                    assert required.match(str(value)), f"{path.name}: {name}.{key} = {value!r} is not ${{VAR:?...}}"
        for where, text in _strings(compose):
            for userinfo in re.findall(r"://([^/@\s]*)@", text):
                password = userinfo.partition(":")[2]
                assert not password or required.match(password), f"{path.name}{where}: credentials in {text!r}"


def test_env_example_documents_every_required_value_and_ships_no_secret():
    values = env_example()
    assert required_variables() <= set(values)
    for name in required_variables():
        if SECRET_NAME.search(name):
            assert values[name] == "", f".env.example must leave {name} empty"
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    assert subprocess.run(["git", "check-ignore", "--no-index", "-q", ".env.example"], cwd=ROOT).returncode == 1


# --- image -----------------------------------------------------------------------------------

def test_image_extends_the_pinned_airflow_with_our_pinned_requirements():
    text = DOCKERFILE.read_text()
    args = dict(re.findall(r"(?m)^ARG (\w+)=(\S+)$", text))
    pinned = re.search(r"(?m)^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text())
    assert pinned and args["AIRFLOW_VERSION"] == pinned.group(1)
    assert "Python 3.11" in (ROOT / "constraints.txt").read_text().splitlines()[0]
    assert args["PYTHON_VERSION"] == "3.11"
    assert re.search(r"(?m)^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}$", text)
    assert "-r /opt/littlesis/requirements.txt -c /opt/littlesis/constraints.txt" in text
    # The build context holds only the two files it copies (not the 2 GB .venv).
    assert (ROOT / ".dockerignore").read_text().split("\n")[-4:] == ["*", "!requirements.txt",
                                                                     "!constraints.txt", ""]
