"""docker-compose.yaml's topology started natively, for one test: every Airflow component a process.

PostgreSQL holds Airflow's metadata (and Celery's results), Redis is the broker, and the API
server, scheduler, DAG processor, triggerer and two Celery workers run from the project's venv
with one temporary AIRFLOW_HOME. Set-up is deploy/airflow-init.sh, the compose file's init
service. Processes are recorded and stopped with the demo's ProcessBook (process groups, by PID).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from cryptography.fernet import Fernet

from littlesis.deploy.airflow_api import AirflowApi, all_healthy, health, wait_for
from littlesis.deploy.processes import ProcessBook
from tests.conftest import ROOT
from tests.deploy.compose_files import raw_compose
from tests.deploy.worker_hostname import HOST_ENV
from tests.smtp_inbox import free_port

VENV_BIN = Path(sys.executable).parent
ADMIN = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")
MARKER_ENV = "LITTLESIS_TEST_CLUSTER"  # every process we start carries it: the stop check looks for it
BOOT_TIMEOUT_S = 420.0  # six Airflow processes importing at once on two busy cores


@dataclass(frozen=True)
class Worker:
    name: str  # Celery node name and the host name its tasks report
    log_port: int


@dataclass
class CeleryCluster:
    folder: Path
    metadata_url: str  # postgresql+psycopg2://...
    broker_url: str  # redis://.../<db>
    queue: str = field(default_factory=lambda: f"littlesis-test-{uuid.uuid4().hex[:8]}")
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    admin_password: str = field(default_factory=lambda: secrets.token_hex(12))
    api_port: int = field(default_factory=free_port)
    scheduler_health_port: int = field(default_factory=free_port)
    triggerer_log_port: int = field(default_factory=free_port)
    workers: tuple[Worker, ...] = field(default_factory=lambda: (Worker("w1.littlesis.test", free_port()),
                                                                 Worker("w2.littlesis.test", free_port())))

    def __post_init__(self) -> None:
        self.home = self.folder / "airflow_home"
        self.artifacts = self.folder / "artifacts"
        self.book = ProcessBook(self.folder / "pids", self.folder / "logs")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """Airflow's configuration, as docker-compose.yaml's x-airflow-common sets it, pointed at this machine."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LITTLESIS"))}
        result_backend = "db+" + self.metadata_url.replace("+psycopg2", "")
        env.update({
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": f"{ROOT / 'plugins'}{os.pathsep}{ROOT}",
            MARKER_ENV: self.marker,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
            # Our own queue: nothing else using this Redis database can take (or give) our tasks.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(self.folder),
            "AIRFLOW__API_AUTH__JWT_SECRET": _secret(self.folder, "jwt"),
            "AIRFLOW__API__SECRET_KEY": _secret(self.folder, "api"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.folder / "auth" / "passwords.json"),
            # Two cores: one task per worker, two at a time in all.
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(self.scheduler_health_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.triggerer_log_port),
            "LITTLESIS_ARTIFACTS": str(self.artifacts),
        })
        env.update(extra)
        return env

    def init(self, *, store_url: str, classroom_uri: str, smtp_uri: str) -> None:
        """deploy/airflow-init.sh, the compose file's init service: migrations, password, connections, pool."""
        log = self.book.log_file("init")
        log.parent.mkdir(parents=True, exist_ok=True)
        env = self.env(AIRFLOW_ADMIN_PASSWORD=self.admin_password, LITTLESIS_STORE_URL=store_url,
                       LITTLESIS_CLASSROOM_URI=classroom_uri, LITTLESIS_SMTP_URI=smtp_uri)
        with log.open("wb") as out:
            done = subprocess.run(["bash", str(ROOT / "deploy" / "airflow-init.sh")], env=env, cwd=ROOT,
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=900)
        assert done.returncode == 0, f"deploy/airflow-init.sh failed:\n{_tail(log, 60)}"

    def start(self) -> None:
        airflow = str(VENV_BIN / "airflow")
        env = self.env()
        self.book.start("api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port),
                                       "--workers", "1"], env=env, cwd=ROOT)
        for component in COMPONENTS[1:]:
            self.book.start(component, [airflow, component], env=env, cwd=ROOT)
        for worker in self.workers:
            # Each worker serves its own task logs, and reports its own host name on every task it runs.
            worker_env = self.env(**{HOST_ENV: worker.name,
                                     "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.deploy.worker_hostname.hostname",
                                     "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker.log_port)})
            self.book.start(worker.name, [airflow, "celery", "worker", "--celery-hostname", f"celery@{worker.name}",
                                          "--queues", self.queue, "--concurrency", "1"], env=worker_env, cwd=ROOT)

    def names(self) -> list[str]:
        return [*COMPONENTS, *(w.name for w in self.workers)]

    def alive(self) -> bool:
        return all(self.book.running(name) is not None for name in self.names())

    def wait_ready(self) -> AirflowApi:
        """Every component healthy the way the compose healthchecks ask, both workers ready; then log in."""
        wait_for(lambda: all_healthy(health(self.url), HEALTH_COMPONENTS), BOOT_TIMEOUT_S,
                 "the API server's /api/v2/monitor/health with every component healthy", interval_s=2,
                 alive=self.alive)
        scheduler = AirflowApi(f"http://127.0.0.1:{self.scheduler_health_port}")
        wait_for(lambda: _answers(scheduler, "/health"), BOOT_TIMEOUT_S, "the scheduler's /health", alive=self.alive)
        for worker in self.workers:
            wait_for(lambda w=worker: f"celery@{w.name} ready" in self.log(w.name), BOOT_TIMEOUT_S,
                     f"Celery worker {worker.name}", interval_s=2, alive=self.alive)
        return AirflowApi.login(self.url, ADMIN, self.admin_password)

    def failing_compose_healthchecks(self) -> list[str]:
        """Every Airflow service's healthcheck from docker-compose.yaml, run against this cluster; the failures."""
        from airflow.utils.net import getfqdn  # late: importing Airflow is slow

        this_host = getfqdn()  # the name Airflow's jobs record (hostname_callable's default)
        checks = [(service, this_host) for service in ("airflow-apiserver", "airflow-scheduler",
                                                       "airflow-dag-processor", "airflow-triggerer")]
        checks += [("airflow-worker", worker.name) for worker in self.workers]
        failures = []
        for service, hostname in checks:
            done = self.run_compose_healthcheck(service, hostname)
            if done.returncode != 0:
                failures.append(f"{service} ({hostname}): exit {done.returncode}: {done.stdout[-1000:]}"
                                f"{done.stderr[-1000:]}")
        return failures

    def run_compose_healthcheck(self, service: str, hostname: str) -> subprocess.CompletedProcess[str]:
        """``service``'s healthcheck from docker-compose.yaml, run here: the container's ports and
        $HOSTNAME become this cluster's."""
        test = raw_compose()["services"][service]["healthcheck"]["test"]
        kind, *args = test
        ports = {"localhost:8080": f"127.0.0.1:{self.api_port}",
                 "localhost:8974": f"127.0.0.1:{self.scheduler_health_port}"}
        args = [_replace_all(arg.replace("$$", "$"), ports) for arg in args]  # compose's escape of a literal $
        command = ["bash", "-c", args[0]] if kind == "CMD-SHELL" else args
        return subprocess.run(command, env=self.env(HOSTNAME=hostname), cwd=ROOT, capture_output=True, text=True,
                              timeout=180)

    def stop(self) -> list[int]:
        """Stop every component and what it started; the PIDs of processes still carrying our marker after."""
        self.book.stop_all()
        return [p.pid for p in _marked(self.marker)]

    def log(self, name: str) -> str:
        try:
            return self.book.log_file(name).read_text(errors="replace")
        except OSError:
            return ""

    def report(self, lines: int = 60) -> str:
        """The end of every component's log and of every task's log (printed when a test fails)."""
        parts = []
        for path in sorted(self.book.log_dir.glob("*.log")):
            parts.append(f"===== {path.name} =====\n" + _tail(path, lines))
        for path in sorted((self.home / "logs").glob("dag_id=*/**/*.log")):
            parts.append(f"===== {path.relative_to(self.home / 'logs')} =====\n" + _tail(path, lines))
        return "\n".join(parts)


def _fernet_key(folder: Path) -> str:
    return _remembered(folder / "fernet.key", lambda: Fernet.generate_key().decode())


def _secret(folder: Path, name: str) -> str:
    return _remembered(folder / f"{name}.secret", lambda: secrets.token_urlsafe(32))


def _remembered(path: Path, make) -> str:
    """The same value for every process of the cluster (they must share their keys)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
    return path.read_text()


def _replace_all(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def _answers(api: AirflowApi, path: str) -> bool:
    try:
        api.request("GET", path)
    except Exception:
        return False
    return True


def _marked(marker: str) -> Iterator[psutil.Process]:
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARKER_ENV) == marker and process.status() != psutil.STATUS_ZOMBIE:
                yield process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue


def _tail(path: Path, lines: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def connection_json(conn_type: str, **fields: object) -> str:
    return json.dumps({"conn_type": conn_type, **fields})
