"""Where the demo lives and which ports it uses: ``.demo/`` in the repository, overridable by environment.

    LITTLESIS_DEMO_DIR            the demo folder (default <repo>/.demo)
    LITTLESIS_DEMO_PORT           Airflow's web server and API (default 8080)
    LITTLESIS_DEMO_EMULATOR_PORT  the Classroom emulator (default 8089)
    LITTLESIS_DEMO_SMTP_PORT      the SMTP catcher (default 8025)

The ports a running demo was started with are kept in ``<dir>/demo.json``; a second ``make demo``
reuses them, whatever the environment says now.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from littlesis.deploy.processes import ProcessBook

REPO = Path(__file__).resolve().parents[3]
DIR_ENV = "LITTLESIS_DEMO_DIR"
PORT_ENVS = {"port": ("LITTLESIS_DEMO_PORT", 8080), "emulator_port": ("LITTLESIS_DEMO_EMULATOR_PORT", 8089),
             "smtp_port": ("LITTLESIS_DEMO_SMTP_PORT", 8025)}
# LocalExecutor starts one worker per slot; Airflow's default (32) costs ~1.7 GB on a laptop.
PARALLELISM = 4
DEMO_ADMIN = "admin@district.example.org"


class DemoSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class DemoSettings:
    root: Path
    folder: Path
    port: int
    emulator_port: int
    smtp_port: int
    parallelism: int = PARALLELISM

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, root: Path = REPO) -> DemoSettings:
        environ = os.environ if environ is None else environ
        folder = Path(environ.get(DIR_ENV, "").strip() or root / ".demo").resolve()
        ports = {field: _port(environ, name, default) for field, (name, default) in PORT_ENVS.items()}
        return cls(root=root, folder=folder, **ports)

    @property
    def airflow_home(self) -> Path:
        return self.folder / "airflow"

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def mail_dir(self) -> Path:
        return self.folder / "mail"

    @property
    def state_file(self) -> Path:
        return self.folder / "demo.json"

    @property
    def store_url(self) -> str:
        # Where orchestration.connections looks when no connection is defined: one file either way.
        return f"sqlite:///{self.airflow_home / 'littlesis' / 'store.db'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}/"

    @property
    def password_file(self) -> Path:
        return self.airflow_home / "simple_auth_manager_passwords.json.generated"

    def book(self) -> ProcessBook:
        return ProcessBook(self.folder / "pids", self.log_dir)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = {k: v for k, v in asdict(self).items() if k in PORT_ENVS}
        self.state_file.write_text(json.dumps({**ports, "parallelism": self.parallelism}, indent=2) + "\n")

    def as_saved(self) -> DemoSettings:
        """These settings with the ports of the demo started earlier in the same folder, if any."""
        try:
            saved = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return self
        return replace(self, port=int(saved.get("port", self.port)),
                       emulator_port=int(saved.get("emulator_port", self.emulator_port)),
                       smtp_port=int(saved.get("smtp_port", self.smtp_port)),
                       parallelism=int(saved.get("parallelism", self.parallelism)))

    def airflow_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment of every process of the demo: Airflow set up in the demo folder, nothing inherited
        from a real installation (the caller's AIRFLOW_* variables could point at a production database)."""
        env = {k: v for k, v in environ.items()
               if not k.startswith("AIRFLOW_") and not k.startswith("LITTLESIS_")}
        venv_bin = str(Path(sys.executable).parent)  # standalone starts its components as `airflow ...`
        env.update({
            "PATH": os.pathsep.join([venv_bin, environ.get("PATH", "/usr/bin:/bin")]),
            "PYTHONPATH": str(self.root / "plugins"),
            "LITTLESIS_PYTHON": sys.executable,
            "LITTLESIS_JOB_CONFIGS": str(self.root / "include" / "job_configs"),
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.root / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.root / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
        })
        return env


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        port = int(text)
    except ValueError:
        raise DemoSettingsError(f"{name} must be a port number, not {text!r}") from None
    if not 0 < port < 65536:
        raise DemoSettingsError(f"{name} must be between 1 and 65535, not {port}")
    return port
