"""Cloning a job: a validated config that extends the parent, written under a safe name or offered as a file."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from littlesis.core.job_files import read_job
from littlesis.store.audit import read_audit
from littlesis.store.engine import session_scope
from tests.web.conftest import WebWorld

pytestmark = pytest.mark.slow
CLONE = "/littlesis/jobs/littlesis_demo_generic/clone"
SCHOOL_1000 = "include:\n  - {column: SchoolID, op: equals, value: '1000'}\nexclude: []\n"


def _post(web: WebWorld, **form: str):
    with web.http("editor", cookie=True) as browser:
        page = browser.get(CLONE)
        return browser.post(CLONE, data={"csrf_token": web.csrf_of(page), "name": "Clone", **form})


def _configs(web: WebWorld) -> set[str]:
    return {p.name for p in web.configs.iterdir()}


def test_the_form_starts_from_the_parents_rules(web: WebWorld) -> None:
    with web.http("editor") as client:
        form = client.get(CLONE)
    assert form.status_code == 200
    assert 'value="demo_generic_copy"' in form.text
    rules = re.search(r'<textarea name="rules"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert rules and yaml.safe_load(rules.group(1).replace("&#39;", "'")) == {
        "exclude": [{"column": "CourseName", "op": "equals", "value": "Health"}]}


def test_a_valid_clone_is_written_and_extends_its_parent(web: WebWorld) -> None:
    answer = _post(web, file_name="school-1000_only", job_id="school_1000_only", rules=SCHOOL_1000)
    assert answer.status_code == 303 and "notice=cloned" in answer.headers["location"]
    path = web.configs / "school-1000_only.yaml"
    text = path.read_text()
    assert "extends: demo_generic.yaml" in text and "by editor" in text
    job = read_job(path)
    assert job.id == "school_1000_only" and job.extends == "demo_generic.yaml"
    assert [r.describe() for r in job.rules.include] == ["SchoolID equals '1000'"] and job.rules.exclude == []
    assert job.preferences == read_job(web.configs / "demo_generic.yaml").preferences  # the rest is inherited
    assert not [p for p in web.configs.iterdir() if p.name.endswith(".partial")]
    with session_scope(web.engine, readonly=True) as session:
        (entry,) = read_audit(session, job_id="school_1000_only", action="job.clone")
    assert entry.actor == "editor" and entry.detail == {"from": "demo_generic", "file": "school-1000_only.yaml",
                                                        "written": True}
    again = _post(web, file_name="school-1000_only", job_id="another_id", rules=SCHOOL_1000)
    assert again.status_code == 400 and "already exists" in again.text
    taken = _post(web, file_name="another_file", job_id="school_1000_only", rules=SCHOOL_1000)
    assert taken.status_code == 400 and "already used by another config" in taken.text


@pytest.mark.parametrize("name", ["../escaped", "sub/dir", "..", "x.yaml", "/etc/cron.d/x", "con", "-lead", "", "a b",
                                  "%2e%2e%2fx", "x" * 101])
def test_file_names_that_are_not_plain_names_are_refused(web: WebWorld, name: str) -> None:
    before = _configs(web), {p.name for p in web.configs.parent.iterdir()}
    answer = _post(web, file_name=name, job_id="traversal_attempt", rules=SCHOOL_1000)
    assert answer.status_code in (400, 422)
    if answer.status_code == 400:
        assert 'data-testid="clone-error"' in answer.text and "file name" in answer.text
    assert (_configs(web), {p.name for p in web.configs.parent.iterdir()}) == before
    assert not Path("/etc/cron.d/x.yaml").exists()


def test_a_config_that_would_not_load_is_not_written(web: WebWorld) -> None:
    before = _configs(web)
    broken = _post(web, file_name="broken_rules", job_id="broken_rules",
                   rules="include:\n  - {column: SchoolID, op: equal, value: '1000'}\n")
    assert broken.status_code == 400 and 'data-testid="clone-problems"' in broken.text
    assert "rules.include.0.op" in broken.text and "broken_rules.yaml:" in broken.text
    not_yaml = _post(web, file_name="not_yaml", job_id="not_yaml", rules="include: [unclosed")
    assert not_yaml.status_code == 400 and "rules are not valid YAML" in not_yaml.text
    bad_id = _post(web, file_name="bad_id", job_id="Bad-Id", rules=SCHOOL_1000)
    assert bad_id.status_code == 400 and "bad_id.yaml:4: id: String should match pattern" in bad_id.text
    assert _configs(web) == before


@contextmanager
def _immutable(folder: Path) -> Iterator[None]:
    """The folder can't be written, even by root (as on a read-only mount)."""
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here to make a folder read-only for root")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_a_read_only_folder_gets_the_config_as_a_download(web: WebWorld) -> None:
    before = _configs(web)
    with _immutable(web.configs):
        answer = _post(web, file_name="downloaded_clone", job_id="downloaded_clone", rules=SCHOOL_1000)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="downloaded_clone.yaml"'
    document = yaml.safe_load(answer.text)
    assert document["extends"] == "demo_generic.yaml" and document["id"] == "downloaded_clone"
    assert _configs(web) == before
