"""Paths that try to leave their folder: source paths in job configs, and the names of cloned configs.

A source must lie inside the job config's folder, include/, the run artifacts or a
root the deployment lists (LITTLESIS_SOURCE_ROOTS); '..', absolute paths, links,
Windows paths through the path map and URLs are all resolved before the check.
A cloned config's file name is one plain name inside the configs folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from littlesis.core.errors import SourceError
from littlesis.core.job_files import read_job
from littlesis.core.job_names import UnsafeFileName, config_path_in, safe_config_filename
from littlesis.core.sources.loader import load_snapshot, mapping_problems
from littlesis.core.sources.locations import PathMap, resolve_location
from littlesis.core.sources.roots import INCLUDE_DIR, SourceRoots
from tests.conftest import ROOT

UP = "../" * 20  # deeper than any temporary folder: lands at /
GENERIC = "id: paths\nname: Paths\nsource: {{preset: generic, files: {{roster: '{path}'}}}}\n"
ONEROSTER = "id: paths\nname: Paths\nsource: {{preset: oneroster, dir: '{path}'}}\n"
OUTSIDE = ("is outside the folders sources may be read from (the job config's folder {jobs}, " + str(INCLUDE_DIR)
           + " and the run artifacts); the deployment can allow more in LITTLESIS_SOURCE_ROOTS")


@dataclass
class PathCase:
    name: str
    job: str  # {path} is filled with ``path``
    path: str
    message: str  # {config}, {jobs}, {tmp} filled in
    path_map: dict[str, str] = field(default_factory=dict)
    link: tuple[str, str] | None = None  # (link inside the jobs folder, what it points to)


PATH_CASES = [
    PathCase("relative path climbing out", GENERIC, UP + "etc/passwd",
             "{config}: source.files.roster: /etc/passwd " + OUTSIDE + f" (got '{UP}etc/passwd')"),
    PathCase("absolute path elsewhere", GENERIC, "/etc/passwd",
             "{config}: source.files.roster: /etc/passwd " + OUTSIDE + " (got '/etc/passwd')"),
    PathCase("folder climbing out", ONEROSTER, UP + "etc",
             "{config}: source.dir: /etc " + OUTSIDE + f" (got '{UP}etc')"),
    PathCase("a sibling folder sharing the name's start", GENERIC, "../jobs-evil/roster.csv",
             "{config}: source.files.roster: {tmp}/jobs-evil/roster.csv " + OUTSIDE
             + " (got '../jobs-evil/roster.csv')"),
    PathCase("file URL", GENERIC, "file:///etc/passwd",
             "{config}: source.files.roster: /etc/passwd " + OUTSIDE + " (got 'file:///etc/passwd')"),
    PathCase("web URL to an internal address", GENERIC, "http://169.254.169.254/computeMetadata/v1/",
             "{config}: source.files.roster: http:// sources are not allowed; the deployment can list this "
             "location in LITTLESIS_SOURCE_ROOTS (got 'http://169.254.169.254/computeMetadata/v1/')"),
    PathCase("mapped Windows path climbing out of its share", GENERIC, "C:\\SIS\\exports\\..\\..\\..\\..\\..\\..\\"
             "..\\..\\..\\..\\..\\..\\etc\\passwd",
             "{config}: source.files.roster: /etc/passwd " + OUTSIDE + " (got 'C:\\\\SIS\\\\exports\\\\..\\\\..\\\\"
             "..\\\\..\\\\..\\\\..\\\\..\\\\..\\\\..\\\\..\\\\..\\\\..\\\\etc\\\\passwd')",
             path_map={"C:\\SIS\\exports": "{tmp}/share"}),
    PathCase("link in the job folder pointing out", GENERIC, "roster.csv",
             "{config}: source.files.roster: /etc/passwd " + OUTSIDE + " (got 'roster.csv')",
             link=("roster.csv", "/etc/passwd")),
]


def setup_case(tmp_path: Path, case: PathCase) -> tuple[Path, PathMap]:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (tmp_path / "share").mkdir()
    if case.link:
        (jobs / case.link[0]).symlink_to(case.link[1])
    config = jobs / "job.yaml"
    config.write_text(case.job.format(path=case.path), encoding="utf-8")
    mapping = {k: v.format(tmp=tmp_path) for k, v in case.path_map.items()}
    return config, PathMap.from_mapping(mapping)


@pytest.mark.parametrize("case", PATH_CASES, ids=[c.name for c in PATH_CASES])
def test_a_source_outside_the_allowed_roots_is_refused(tmp_path, case):
    config, path_map = setup_case(tmp_path, case)
    with pytest.raises(SourceError) as info:
        load_snapshot(read_job(config), config, path_map)
    jobs = (tmp_path / "jobs").resolve()
    assert str(info.value) == case.message.format(config=config, jobs=jobs, tmp=tmp_path.resolve())


def test_validating_the_config_names_the_path_before_any_run(tmp_path):
    config, path_map = setup_case(tmp_path, PATH_CASES[1])
    (problem,) = mapping_problems(read_job(config), config, path_map)
    assert (problem.file, problem.field, problem.value) == (str(config), "source.files.roster", "/etc/passwd")
    missing = demo_roster_job(tmp_path, "not_exported_yet.csv")
    assert mapping_problems(read_job(missing), missing) == []  # an export not there yet is the run's problem


def test_the_run_archive_copies_nothing_from_outside(tmp_path, monkeypatch):
    from littlesis.orchestration.artifacts import archive_sources, run_folder

    case = PATH_CASES[0]
    config, path_map = setup_case(tmp_path, case)
    monkeypatch.setenv("LITTLESIS_ARTIFACTS", str(tmp_path / "artifacts"))
    with pytest.raises(SourceError, match="is outside the folders sources may be read from"):
        archive_sources(read_job(config), config, run_folder("paths", "run1"), ds=None, path_map=path_map)
    copied = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    assert copied == []


def demo_roster_job(tmp_path: Path, path: str) -> Path:
    config = tmp_path / "jobs" / "job2.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(GENERIC.format(path=path), encoding="utf-8")
    return config


DEMO_ROSTER = ROOT / "include" / "demo" / "generic" / "roster.csv"


def test_the_include_folder_is_allowed_from_anywhere(tmp_path):
    config = demo_roster_job(tmp_path, str(DEMO_ROSTER))
    assert len(load_snapshot(read_job(config), config).sections) > 0


@pytest.mark.parametrize("roots", ["{data}", "/nowhere, {data}/", "*"])
def test_the_deployment_can_allow_more_roots(tmp_path, roots):
    data = tmp_path / "data"
    data.mkdir()
    (data / "roster.csv").write_bytes(DEMO_ROSTER.read_bytes())
    config = demo_roster_job(tmp_path, str(data / "roster.csv"))
    with pytest.raises(SourceError, match="outside the folders"):
        load_snapshot(read_job(config), config, PathMap.from_env({}))
    path_map = PathMap.from_env({"LITTLESIS_SOURCE_ROOTS": roots.format(data=data)})
    assert len(load_snapshot(read_job(config), config, path_map).sections) > 0


@pytest.mark.parametrize("as_url", [False, True], ids=["folder", "file-url"])
def test_archived_exports_are_read_from_the_artifacts_folder(tmp_path, monkeypatch, as_url):
    archived = tmp_path / "artifacts" / "job" / "run" / "roster.csv"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(DEMO_ROSTER.read_bytes())
    config = demo_roster_job(tmp_path, str(archived))
    root = tmp_path / "artifacts"
    monkeypatch.setenv("LITTLESIS_ARTIFACTS", root.as_uri() if as_url else str(root))
    assert len(load_snapshot(read_job(config), config).sections) > 0


@pytest.mark.parametrize("url", ["s3://district-sis/roster.csv", "gs://bucket/2026/roster.csv"])
def test_object_storage_needs_no_listing_and_listed_prefixes_may_not_climb(url):
    assert resolve_location(url, Path("/jobs"), PathMap(), "roster") == url
    listed = PathMap(roots=SourceRoots(("https://sis.example.org/exports",)))
    assert resolve_location("https://sis.example.org/exports/r.csv", Path("/jobs"), listed, "roster")
    with pytest.raises(SourceError, match="https:// sources are not allowed"):
        resolve_location("https://sis.example.org/exports/../admin/r.csv", Path("/jobs"), listed, "roster")


# (name the clone form received, why it is refused); the web clone writer calls safe_config_filename.
CLONE_NAMES = [
    ("../../dags/evil.yaml", "must be a file name, not a path (no '/', '\\', ':' or NUL)"),
    ("..\\..\\evil.yaml", "must be a file name, not a path (no '/', '\\', ':' or NUL)"),
    ("/etc/cron.d/evil", "must be a file name, not a path (no '/', '\\', ':' or NUL)"),
    ("C:evil.yaml", "must be a file name, not a path (no '/', '\\', ':' or NUL)"),
    ("evil\x00.yaml", "must be a file name, not a path (no '/', '\\', ':' or NUL)"),
    ("..", "must not start with '.' (no hidden files, no '..')"),
    (".hidden.yaml", "must not start with '.' (no hidden files, no '..')"),
    ("job.py", "must end in .yaml or .yml"),
    ("job.yaml.sh", "must end in .yaml or .yml"),
    ("my job.yaml", "may hold only letters, digits, '_' and '-', starting with a letter or digit"),
    ("-rf.yaml", "may hold only letters, digits, '_' and '-', starting with a letter or digit"),
    ("j\u00f6b.yaml", "may hold only letters, digits, '_' and '-', starting with a letter or digit"),
    ("CON.yaml", "is a name Windows reserves for a device"),
    ("", "must not be empty or start or end with a blank"),
    (" job.yaml", "must not be empty or start or end with a blank"),
    ("a" * 120, "is longer than 100 characters"),
]


@pytest.mark.parametrize("name, reason", CLONE_NAMES, ids=[repr(n)[:30] for n, _ in CLONE_NAMES])
def test_a_clone_file_name_that_is_not_a_plain_name_is_refused(name, reason):
    with pytest.raises(UnsafeFileName) as info:
        safe_config_filename(name)
    assert str(info.value) == f"file name {name!r}: {reason}"
    assert isinstance(info.value, ValueError)  # a web handler can answer 400 on ValueError


@pytest.mark.parametrize("name, filename", [("grade_9", "grade_9.yaml"), ("Grade-9.yml", "Grade-9.yml"),
                                            ("district_2026.yaml", "district_2026.yaml")])
def test_plain_names_are_kept_and_given_a_suffix(name, filename):
    assert safe_config_filename(name) == filename


def test_a_link_planted_at_the_clone_target_cannot_lead_out(tmp_path):
    folder = tmp_path / "job_configs"
    folder.mkdir()
    assert config_path_in(folder, "copy") == folder.resolve() / "copy.yaml"
    (folder / "trap.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(UnsafeFileName, match="would be written outside"):
        config_path_in(folder, "trap")
    linked = tmp_path / "linked_configs"
    linked.symlink_to(folder)  # the folder itself may be a link (a mounted volume)
    assert config_path_in(linked, "copy") == folder.resolve() / "copy.yaml"
    assert os.path.realpath(linked) == str(folder.resolve())
