"""The demo stack (Airflow standalone, the Classroom emulator, the SMTP catcher) and Debian's Chromium.

The stack starts once per module, exactly as `make demo` starts it (tests/demo/stack.py), in a temporary
folder on free ports; each test gets a fresh browser context (no cookies) at a desktop viewport.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ViewportSize, sync_playwright

from littlesis.deploy.airflow_api import wait_for
from littlesis.deploy.demo_settings import DemoSettings
from tests.demo.stack import DEMO_JOBS, REVIEW_TIMEOUT_S, demo_command, demo_env, demo_store_url, pending_review


def chromium_binary() -> Path | None:
    """Debian's Chromium (.ci/run installs it when missing), or whichever `chromium` is on PATH."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


CHROMIUM = chromium_binary()
# The machine has no internet: without these, Chromium keeps dialing Google's services and logging refusals.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# Every frame records the Content-Security-Policy violations it sees: a value that escaped escaping and
# tried to run shows up here even though the policy stopped it.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary (/usr/bin/chromium or `chromium` on "
                                    "PATH): install Debian's package `chromium` (.ci/run does, as root)")


@dataclass(frozen=True)
class DemoStack:
    settings: DemoSettings
    env: dict[str, str]
    password: str  # the admin's, from the simple auth manager's generated passwords file
    pending: dict[str, str]  # job id -> the run waiting for review when the stack was ready

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def store_url(self) -> str:
        return demo_store_url(self.settings.folder)


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    folder = tmp_path_factory.mktemp("browser") / "demo"
    env = demo_env(folder)
    try:
        up = demo_command("up", env)
        assert up.returncode == 0, up.stdout + up.stderr
        settings = DemoSettings.from_env(env).as_saved()
        password = str(json.loads(settings.password_file.read_text())["admin"])
        store = demo_store_url(folder)
        pending = wait_for(lambda: len(pending_review(store)) == len(DEMO_JOBS) and pending_review(store),
                           REVIEW_TIMEOUT_S, "both demo jobs pending review", interval_s=3)
        yield DemoStack(settings, env, password, pending)
    finally:  # whatever failed, leave nothing running
        demo_command("stop", env, timeout_s=120)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport=DESKTOP)
    fresh.add_init_script(RECORD_CSP_VIOLATIONS)
    try:
        yield fresh
    finally:
        fresh.close()
