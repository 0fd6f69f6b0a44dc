"""``make demo`` / ``make demo-stop``: the product on this machine, with Airflow standalone and no Google.

``up`` starts (or finds still running) the Classroom emulator seeded with the demo domain, an SMTP
catcher keeping the teachers' e-mails in ``.demo/mail/``, runs ``bin/littlesis setup`` and
``airflow standalone`` (SQLite, LocalExecutor, a few workers), waits until Airflow is healthy,
unpauses the demo jobs (triggering a manual job's first analysis; a scheduled one gets its run
from the scheduler), then says where to click. Every step is skipped when its result is there.
``stop`` stops exactly the processes recorded in ``.demo/pids/`` and everything they started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

from littlesis.deploy.airflow_api import AirflowApi, all_healthy, health, wait_for
from littlesis.deploy.airflow_cli import airflow_executable
from littlesis.deploy.demo_settings import DEMO_ADMIN, DemoSettings
from littlesis.deploy.processes import STOP_GRACE_S, TERM_GRACE_S, Stopped, is_alive

HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")
PORT_TIMEOUT_S = 30.0
BOOT_TIMEOUT_S = 240.0  # two slow cores shared with other work: Airflow alone needs ~15-40 s
PARSE_TIMEOUT_S = 180.0
# Generous for the demo; Google's own per-user limit (the connection's default) is 20.
DEMO_QPS = 100
Say = Callable[[str], None]


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoInfo:
    url: str
    username: str
    password: str
    dag_ids: tuple[str, ...]
    started_now: tuple[str, ...]
    seconds: float


def classroom_connection(settings: DemoSettings) -> str:
    return json.dumps({"conn_type": "google_cloud_platform",
                       "extra": {"api_endpoint": settings.emulator_url, "delegated_admin": DEMO_ADMIN,
                                 "qps": DEMO_QPS}})


def smtp_connection(settings: DemoSettings) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": settings.smtp_port,
                       "extra": {"disable_ssl": True, "disable_tls": True,
                                 "from_email": "Little SIS Sync <littlesis-sync@district.example.org>"}})


@dataclass(frozen=True)
class DemoJob:
    dag_id: str
    scheduled: bool  # unpausing a scheduled job starts its analysis; a manual one is triggered


def demo_jobs(settings: DemoSettings) -> tuple[DemoJob, ...]:
    """The shipped demo jobs (include/job_configs/demo*.yaml)."""
    from littlesis.core.job_files import read_jobs
    from littlesis.orchestration.dag_builder import dag_id_of

    configs = settings.root / "include" / "job_configs"
    jobs = read_jobs(sorted(configs.glob("demo*.yaml")))
    if jobs.problems:
        raise DemoError("the demo job configs have problems:\n" + "\n".join(map(str, jobs.problems)))
    return tuple(DemoJob(dag_id_of(job.config.id), job.config.automation.mode != "manual") for job in jobs.jobs)


def up(settings: DemoSettings, environ: Mapping[str, str] | None = None, say: Say = print) -> DemoInfo:
    started = time.monotonic()

    def log(text: str) -> None:  # each step with the time it was reached: where the minute goes
        say(f"[{time.monotonic() - started:3.0f} s] {text}")

    book = settings.book()
    if any(book.running(entry.name) for entry in book.recorded()):
        saved = settings.as_saved()
        if saved != settings:
            log(f"demo: already running in {settings.folder}: keeping its ports "
                f"({saved.port}, {saved.emulator_port}, {saved.smtp_port})")
        settings = saved
    settings.save()
    env = settings.airflow_env(os.environ if environ is None else environ)
    python = sys.executable
    _ensure("emulator", settings, env, log, settings.emulator_port,
            [python, "-m", "littlesis", "emulator", "--host", "127.0.0.1", "--port", str(settings.emulator_port),
             "--seed", str(settings.root / "include" / "demo" / "classroom_seed.json")])
    _ensure("mailcatcher", settings, env, log, settings.smtp_port,
            [python, "-m", "littlesis.deploy.mailcatcher", "--host", "127.0.0.1", "--port", str(settings.smtp_port),
             "--dir", str(settings.mail_dir)])
    if book.running("airflow") is None:
        _setup(settings, env, log)
    airflow = _ensure("airflow", settings, env, log, settings.port, [airflow_executable(), "standalone"],
                      timeout_s=BOOT_TIMEOUT_S)
    log("demo: waiting for the scheduler, triggerer and DAG processor to report healthy...")
    wait_for(lambda: all_healthy(health(settings.url), HEALTH_COMPONENTS), BOOT_TIMEOUT_S, "Airflow's health",
             alive=lambda: is_alive(airflow))
    log("demo: Airflow is healthy; unpausing the demo jobs (and starting their analysis the first time)...")
    password = wait_for(lambda: _admin_password(settings), PORT_TIMEOUT_S, "the admin password file")
    api = AirflowApi.login(settings.url, "admin", password)
    jobs = demo_jobs(settings)
    started_now = tuple(job.dag_id for job in jobs if _start_job(api, job, airflow))
    info = DemoInfo(settings.url, "admin", password, tuple(job.dag_id for job in jobs), started_now,
                    time.monotonic() - started)
    say(banner(settings, info))
    return info


def _ensure(name: str, settings: DemoSettings, env: Mapping[str, str], say: Say, port: int,
            command: list[str], timeout_s: float = PORT_TIMEOUT_S) -> psutil.Process:
    """The running process ``name``, started now unless it still runs from an earlier ``up``."""
    book = settings.book()
    process = book.running(name)
    if process is not None:
        say(f"demo: {name} already running (pid {process.pid}, port {port})")
        return process
    if _port_open(port):
        raise DemoError(f"port {port} for the {name} is taken by a process this demo did not start; "
                        f"free it or choose another port (see `bin/littlesis demo up --help`)")
    process = book.start(name, command, env=env, cwd=settings.root)
    say(f"demo: started {name} (pid {process.pid}, port {port}, log {book.log_file(name)})")
    try:
        wait_for(lambda: _port_open(port), timeout_s, f"{name} on port {port}", interval_s=0.3,
                 alive=lambda: is_alive(process))
    except (RuntimeError, TimeoutError) as exc:
        raise DemoError(f"{exc}; the end of {book.log_file(name)}:\n{_tail(book.log_file(name))}") from None
    return process


def _setup(settings: DemoSettings, env: Mapping[str, str], say: Say) -> None:
    """``bin/littlesis setup``, exactly as a deployment runs it, pointed at the demo's services."""
    setup_env = {**env, "LITTLESIS_STORE_URL": settings.store_url,
                 "LITTLESIS_CLASSROOM_URI": classroom_connection(settings),
                 "LITTLESIS_SMTP_URI": smtp_connection(settings)}
    log = settings.book().log_file("setup")
    log.parent.mkdir(parents=True, exist_ok=True)
    say("demo: bin/littlesis setup (Airflow's database, our store, connections, pool)...")
    with log.open("ab") as out:
        done = subprocess.run([str(settings.root / "bin" / "littlesis"), "setup"], env=setup_env,
                              cwd=settings.root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                              timeout=600)
    if done.returncode != 0:
        raise DemoError(f"bin/littlesis setup failed; the end of {log}:\n{_tail(log)}")
    say("demo: setup done")


def _start_job(api: AirflowApi, job: DemoJob, airflow: psutil.Process) -> bool:
    """Start the job's first analysis unless it ran before; True when it starts now.

    A scheduled job (catchup off) gets a run for its latest schedule as soon as it is unpaused;
    triggering it as well would queue a second run behind the first, which waits for its review.
    A manual job is triggered.
    """
    dag = wait_for(lambda: api.dag(job.dag_id), PARSE_TIMEOUT_S, f"DAG {job.dag_id} to be parsed",
                   alive=lambda: is_alive(airflow))
    fresh = not api.dag_runs(job.dag_id, limit=1)
    if fresh and not job.scheduled:
        api.trigger(job.dag_id)
    if dag.get("is_paused"):
        api.set_paused(job.dag_id, False)
    return fresh


def banner(settings: DemoSettings, info: DemoInfo) -> str:
    plugin = (settings.root / "plugins" / "littlesis_plugin.py").exists()
    click = ([f"  Click 'Little SIS' in the left navigation (or open {info.url}/littlesis/): the demo jobs",
              "  appear there; once an analysis is done (about a minute) open its run, review the plan and",
              "  approve it. The commit then creates the classes in the emulator and e-mails the teachers."]
             if plugin else
             [f"  Open Dags, then {info.dag_ids[0]}: the run waits in await_approval for a review."])
    rel = _relative(settings.folder, settings.root)
    lines = [
        "",
        f"Little SIS Sync demo is running ({info.seconds:.0f} s): {info.url}",
        f"  Login: {info.username} / {info.password}",
        *click,
        f"  Demo jobs: {', '.join(info.dag_ids)}"
        + (f" (analysis started: {', '.join(info.started_now)})" if info.started_now else " (they ran before)"),
        f"  Classroom emulator: {settings.emulator_url} (what it holds: {settings.emulator_url}_emulator/state)",
        f"  Teacher e-mails: bin/littlesis demo mail   (.eml files in {rel}/mail/)",
        f"  Logs: {rel}/logs/   Stop everything: make demo-stop",
    ]
    return "\n".join(lines)


def stop(settings: DemoSettings, say: Say = print) -> dict[str, Stopped]:
    book = settings.book()
    stopped = book.stop_all()
    for name, outcome in stopped.items():
        say(f"demo: stopped {name} ({len(outcome.pids)} process(es))" if outcome.pids
            else f"demo: {name} was not running")
        for killed in outcome.killed:
            say(f"demo:   killed, still running {STOP_GRACE_S + TERM_GRACE_S:.0f} s after the stop began: {killed}")
    if not stopped:
        say(f"demo: nothing recorded in {book.pid_dir}")
    settings.state_file.unlink(missing_ok=True)
    return stopped


def status(settings: DemoSettings, say: Say = print) -> bool:
    """Print each recorded process and whether it runs; True when all of them do."""
    book = settings.book()
    entries = book.recorded()
    for entry in entries:
        process = book.running(entry.name)
        say(f"{entry.name}: " + (f"running (pid {entry.pid})" if process else f"not running (pid {entry.pid})"))
    if not entries:
        say(f"demo: not started (nothing in {book.pid_dir})")
    else:
        say(f"Airflow: {settings.as_saved().url}")
    return bool(entries) and all(book.running(e.name) for e in entries)


def _admin_password(settings: DemoSettings) -> str | None:
    try:
        return str(json.loads(settings.password_file.read_text())["admin"])
    except (OSError, ValueError, KeyError):
        return None


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
