"""One Airflow API server with the plugin, one emulated Classroom domain and one store for the web tests.

The server runs in its own process with its own AIRFLOW_HOME (see ``airflow_server.py``); this process
analyzes the demo data against the emulator into the same SQLite store, as the DAG's analyze task would,
and then acts as a browser or a script against the server's pages.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from littlesis.classroom.connection import connect
from littlesis.classroom.credentials import ClassroomSettings, settings_from_extras
from littlesis.classroom.inventory import full_refresh
from littlesis.core.job_files import read_job
from littlesis.emulator import EmulatorServer
from littlesis.orchestration.connections import classroom_domain
from littlesis.service.analysis_run import run_analysis
from littlesis.store import runs
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.migrate import upgrade
from littlesis.store.records import RunRecord
from tests.orchestration.conftest import DEMO_SEED, copy_configs, demo_config
from tests.web.airflow_server import AirflowServer, airflow_api_server

SEED = DEMO_SEED
ADMIN = "admin@district.example.org"
# Jobs whose DAGs Airflow knows (their configs exist before the DAGs are serialized).
MATRIX_JOB = "web_matrix"
# The demo's three teacher-made courses score 0.8 to 0.95: with these thresholds each is a suggestion.
SUGGEST_EVERY_MATCH = "{link_at: 0.99, suggest_at: 0.3}"
XSS_JOB = "web_xss"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
# Class names and school names a hostile or careless export may hold: they must show as text.
XSS_NAME = "<script>alert(1)</script>"
QUOTES_NAME = "Quotes \" and ' & <b>bold</b>"
FORMULA_SCHOOL = '=HYPERLINK("http://evil.example/x","click")'
XSS_ROSTER = [
    ["SchoolID", "SchoolName", "CourseID", "CourseName", "SectionID", "Period", "Room", "Year", "TeacherEmail",
     "StudentID", "StudentFirstName", "StudentLastName", "StudentEmail", "Grade", "GuardianEmail"],
    ["1000", FORMULA_SCHOOL, "901", XSS_NAME, "1", "1", "R1", "2026", "xss.teacher@district.example.org",
     "900001", "Eve", "O'Hara", "eve.xss@district.example.org", "9", ""],
    ["1000", FORMULA_SCHOOL, "902", QUOTES_NAME, "2", "2", "R2", "2026", "xss.teacher@district.example.org",
     "900001", "Eve", "O'Hara", "eve.xss@district.example.org", "9", ""],
    ["=1+1", "@School", "903", "=HYPERLINK(\"http://evil.example/y\")", "3", "3", "R3", "2026",
     "xss.teacher@district.example.org", "900002", "Mal", "Lory", "mal.xss@district.example.org", "9", ""],
]


def write_job(configs: Path, job_id: str, *, matching: str | None = None, roster: Path | None = None) -> Path:
    """The demo job as ``job_id`` in ``configs``, optionally with other matching thresholds or another roster."""
    path = demo_config(configs, job_id, roster=roster)
    if matching:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("matching: {link_at: 0.8, suggest_at: 0.5}", f"matching: {matching}"),
                        encoding="utf-8")
        assert read_job(path).preferences.matching.link_at != 0.8
    return path


@dataclass
class WebWorld:
    server: AirflowServer
    configs: Path
    engine: Engine
    domain: str
    classroom: ClassroomSettings

    def analyze(self, job_id: str, run_id: str | None = None) -> RunRecord:
        """Analyze the job's config against the emulated domain into the shared store (the DAG's analyze)."""
        path = self.configs / f"{job_id}.yaml"
        run_id = run_id or f"manual__2026-12-04T10:00:00+00:00_{uuid.uuid4().hex[:8]}"
        client = connect(settings=self.classroom)
        try:
            run_analysis(read_job(path), path, self.engine, self.domain, run_id=run_id,
                         refresh=lambda: full_refresh(client, self.engine, self.domain))
        finally:
            client.close()
        return self.run(run_id)

    def run(self, run_id: str) -> RunRecord:
        with session_scope(self.engine, readonly=True) as session:
            return runs.require_run(session, run_id)

    def fresh_job(self, matching: str | None = None) -> str:
        """A job of its own for a test (its DAG is unknown to Airflow: only its pages are used)."""
        job_id = f"w_{uuid.uuid4().hex[:10]}"
        write_job(self.configs, job_id, matching=matching)
        return job_id

    def http(self, user: str | None = None, *, cookie: bool = False) -> httpx.Client:
        return self.server.client(user, cookie=cookie)

    @staticmethod
    def csrf_of(page: httpx.Response) -> str:
        match = CSRF_FIELD.search(page.text)
        assert match and match.group(1), "the page has no CSRF token"
        return match.group(1)


def run_path(job_id: str, run_id: str, *rest: str) -> str:
    from urllib.parse import quote

    return "/".join(["/littlesis/jobs", f"littlesis_{job_id}", "runs", quote(run_id, safe=":+@"), *rest])


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    tmp = tmp_path_factory.mktemp("web")
    configs = tmp / "job_configs"
    copy_configs(configs)
    store = tmp / "store.db"
    upgrade(sqlite_url(store))
    engine = make_engine(sqlite_url(store))
    write_job(configs, MATRIX_JOB, matching=SUGGEST_EVERY_MATCH)
    roster = configs / "xss_roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(XSS_ROSTER)
    write_job(configs, XSS_JOB, roster=roster)
    with EmulatorServer(seed=json.loads(SEED.read_text())) as emulator:
        settings = settings_from_extras({"api_endpoint": emulator.base_url, "delegated_admin": ADMIN, "qps": 500})
        with airflow_api_server(tmp, config_dir=configs, store={"conn_type": "sqlite", "host": str(store)},
                                classroom_url=emulator.base_url) as server:
            yield WebWorld(server, configs, engine, classroom_domain(settings), settings)
    engine.dispose()
