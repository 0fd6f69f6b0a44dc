"""Source locations: relative paths, URLs and Windows paths mapped to mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from littlesis.core.errors import SourceError
from littlesis.core.sources.locations import PathMap, resolve_location
from littlesis.core.sources.roots import SourceRoots

MAP = PathMap.from_mapping({"C:\\SIS\\exports": "/mnt/sis", "\\\\fileserver\\sis": "/mnt/share",
                            "\\\\fileserver\\sis\\archive": "s3://district-archive"},
                           SourceRoots(("/data",)))  # /data: a root the deployment allows


@pytest.mark.parametrize("raw, expected", [
    ("C:\\SIS\\exports\\roster.csv", "/mnt/sis/roster.csv"),
    ("c:/sis/EXPORTS/Roster.csv", "/mnt/sis/Roster.csv"),  # case-insensitive prefix, file name kept
    ("\\\\fileserver\\sis\\2026\\roster.csv", "/mnt/share/2026/roster.csv"),
    ("\\\\FileServer\\SIS\\archive\\old.csv", "s3://district-archive/old.csv"),  # longest prefix wins
    ("exports/roster.csv", "/jobs/exports/roster.csv"),
    ("/data/roster.csv", "/data/roster.csv"),
    ("gs://bucket/roster.csv", "gs://bucket/roster.csv"),
])
def test_resolution(raw, expected):
    assert resolve_location(raw, Path("/jobs"), MAP, "roster") == expected


def test_unmapped_windows_path_names_the_setting():
    with pytest.raises(SourceError, match="LITTLESIS_PATH_MAP"):
        resolve_location("D:\\other\\x.csv", Path("/jobs"), MAP, "roster")


def test_path_map_from_environment():
    env = {"LITTLESIS_PATH_MAP": '{"C:\\\\SIS": "/mnt/sis"}'}
    assert resolve_location("C:\\SIS\\a.csv", Path("/"), PathMap.from_env(env), "x") == "/mnt/sis/a.csv"
    with pytest.raises(SourceError, match="not valid JSON"):
        PathMap.from_env({"LITTLESIS_PATH_MAP": "{oops"})
