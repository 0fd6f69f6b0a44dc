"""A corpus of bad job configs: each is refused with one message naming file, line, field and value.

YAML abuse (bombs, recursive anchors, deep nesting, keys given twice, control
characters), unknown keys and wrong types, and files that are not YAML text at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from littlesis.core.errors import ConfigError
from littlesis.core.job_files import read_job

JOB = "id: job\nname: A job\nsource: {preset: generic, files: {roster: roster.csv}}\n"


@dataclass
class ConfigCase:
    name: str
    text: str | bytes
    message: str  # the single problem, after "<file>" ({file}: the config's path)


def bomb(levels: int = 9) -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return JOB + "\n".join(lines) + "\n"


CONFIG_CASES = [
    ConfigCase("unknown top-level key", JOB + "schedule: '@daily'\n", "{file}:4: schedule: unknown key 'schedule'"),
    ConfigCase("unknown nested key, close to a real one", JOB.replace("roster.csv}", "roster.csv}, encodng: utf-8"),
               "{file}:3: source.encodng: unknown key 'encodng' (did you mean 'encoding'?)"),
    ConfigCase("key given twice", JOB + "preferences:\n  remove_students: false\n  add_students: true\n"
               "  remove_students: true\n",
               "{file}:7: preferences.remove_students: key given twice (first at line 5); YAML would keep only the "
               "last one"),
    ConfigCase("id of the wrong type", JOB.replace("id: job", "id: 123"),
               "{file}:1: id: Input should be a valid string (got 123)"),
    ConfigCase("id with a path in it", JOB.replace("id: job", "id: ../../dags/evil"),
               "{file}:1: id: String should match pattern '^[a-z0-9_]+$' (got '../../dags/evil')"),
    ConfigCase("list where a mapping belongs", JOB + "preferences: [remove_students]\n",
               "{file}:4: preferences: Input should be a valid dictionary or instance of Preferences "
               "(got ['remove_students'])"),
    ConfigCase("mapping where a list belongs", JOB + "rules: {include: {column: X, op: equals, value: y}}\n",
               "{file}:4: rules.include: Input should be a valid list"),
    ConfigCase("text where a number belongs", JOB + "preferences: {safety: {max_removal_share: ten percent}}\n",
               "{file}:4: preferences.safety.max_removal_share: Input should be a valid number, unable to parse "
               "string as a number (got 'ten percent')"),
    ConfigCase("list where a file name belongs", JOB.replace("roster: roster.csv", "roster: [a.csv, b.csv]"),
               "{file}:3: source.files.roster: Input should be a valid string (got ['a.csv', 'b.csv'])"),
    ConfigCase("file key that is a path", JOB.replace("roster: roster.csv", "roster: roster.csv, ../../x: y.csv"),
               "{file}:3: source.files: file key '../../x' must be a plain name (letters, digits, '_' and '-')"),
    ConfigCase("unknown encoding", JOB.replace("roster.csv}", "roster.csv}, encoding: utf-9"),
               "{file}:3: source.encoding: unknown encoding 'utf-9' (got 'utf-9')"),
    ConfigCase("bad mapping expression", JOB + "mapping: {course_name: 'Period {Period'}\n",
               "{file}:4: mapping.course_name: bad mapping expression 'Period {{Period': unclosed '{{' at position 7 "
               "(got 'Period {{Period')"),
    ConfigCase("YAML bomb (billion laughs)", bomb(), "{file}:10: more than 50 YAML aliases (a YAML bomb?)"),
    ConfigCase("few aliases expanding to a huge document",
               JOB + "x: &a [" + ", ".join(["y"] * 5000) + "]\nz: [" + ", ".join(["*a"] * 30) + "]\n",
               "{file}: document expands to more than 100,000 values (a YAML bomb?)"),
    ConfigCase("recursive anchor", JOB + "description: &loop [*loop]\n", "{file}:4: nested deeper than 20 levels"),
    ConfigCase("deep nesting", JOB + "description: " + "[" * 40 + "]" * 40 + "\n",
               "{file}:4: nested deeper than 20 levels"),
    ConfigCase("Python object tag", JOB + "description: !!python/object/apply:os.system ['true']\n",
               "{file}:4: invalid YAML: could not determine a constructor for the tag "
               "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ConfigCase("NUL byte", JOB + "description: 'a\x00b'\n",
               "{file}:4: invalid YAML: unacceptable character #x0000: special characters are not allowed"),
    ConfigCase("tab indentation", JOB + "preferences:\n\tremove_students: true\n",
               "{file}:5: invalid YAML: found character '\\t' that cannot start any token"),
    ConfigCase("not UTF-8 text", JOB.encode() + b"description: caf\xe9\n",
               "{file}: not UTF-8 text (invalid continuation byte at byte 91)"),
    ConfigCase("larger than a config can be", JOB + "description: '" + "x" * 1_000_001 + "'\n",
               "{file}: file is larger than 1,000,000 bytes"),
    ConfigCase("empty file", "", "{file}: file is empty (a job config needs at least id, name and source)"),
    ConfigCase("a list, not a mapping", "- id: job\n",
               "{file}: a job config is a mapping of keys (id, name, source, ...) (got 'list')"),
    ConfigCase("parent config outside the folder", JOB + "extends: ../../../../etc/passwd\n",
               "{file}:4: extends: parent config must be inside the job's folder {folder} "
               "(got '../../../../etc/passwd')"),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c.name for c in CONFIG_CASES])
def test_bad_config_is_named_precisely(tmp_path, case):
    path = tmp_path / "job.yaml"
    path.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode("utf-8"))
    with pytest.raises(ConfigError) as info:
        read_job(path)
    assert [str(p) for p in info.value.problems] == [case.message.format(file=path, folder=tmp_path.resolve())]


def test_a_byte_order_mark_and_anchors_used_with_care_are_fine(tmp_path):
    path = tmp_path / "job.yaml"
    text = JOB + "preferences:\n  safety: &strict {max_removal_share: 0.05}\nautomation: {mode: manual}\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_job(path).preferences.safety.max_removal_share == 0.05
