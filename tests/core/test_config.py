"""Job configs: typed, strict, with problems that name file, line, field and value."""

from __future__ import annotations

import pytest

from littlesis.core.config import RuleOp
from littlesis.core.errors import ConfigError
from littlesis.core.job_files import read_job, read_jobs
from tests.conftest import TYPO_BAD_OP_MISSING_PARENT

MINIMAL = """
id: {id}
name: A job
source: {{preset: generic, files: {{roster: roster.csv}}}}
"""


def problems_of(path):
    with pytest.raises(ConfigError) as info:
        read_job(path)
    return [str(p) for p in info.value.problems]


def test_minimal_config_gets_safe_defaults(write):
    job = read_job(write("a.yaml", MINIMAL.format(id="a")))
    assert job.preferences.remove_students is False
    assert job.preferences.safety.max_removal_share == 0.10
    assert job.automation.mode == "manual" and job.automation.schedule is None


def test_typo_bad_op_and_missing_parent_give_three_precise_lines(write):
    path = write("broken.yaml", TYPO_BAD_OP_MISSING_PARENT)
    lines = problems_of(path)
    assert len(lines) == 3
    assert lines[0] == f"{path}:3: extends: parent config {path.parent / 'missing_parent.yaml'} does not exist (got 'missing_parent.yaml')"
    assert lines[1].startswith(f"{path}:6: rules.exclude.0.op: Input should be 'equals'")
    assert lines[1].endswith("(got 'equal')")
    assert lines[2] == f"{path}:8: preferences.remove_student: unknown key 'remove_student' (did you mean 'remove_students'?)"


def test_extends_overrides_only_what_the_child_says(write):
    write("parent.yaml", MINIMAL.format(id="parent") + "preferences: {remove_students: true, add_teachers: false}\n")
    child = read_job(write("child.yaml", """
        id: child
        extends: parent.yaml
        rules:
          include: [{column: SchoolID, op: equals, value: "1000"}]
        preferences: {add_teachers: true}
        """))
    assert child.name == "A job" and child.extends == "parent.yaml"
    assert child.preferences.remove_students is True and child.preferences.add_teachers is True
    assert child.rules.include[0].op is RuleOp.equals and child.rules.include[0].value == "1000"


def test_extends_cycle_is_reported(write):
    write("a.yaml", MINIMAL.format(id="a") + "extends: b.yaml\n")
    b = write("b.yaml", MINIMAL.format(id="b") + "extends: a.yaml\n")
    (line,) = problems_of(b)
    assert "'extends' cycle" in line and "a.yaml" in line


def test_duplicate_ids_across_files_cost_only_the_second(write, tmp_path):
    write("one.yaml", MINIMAL.format(id="same"))
    write("two.yaml", MINIMAL.format(id="same"))
    jobs = read_jobs([tmp_path])
    assert [j.path.name for j in jobs.jobs] == ["one.yaml"]
    assert [str(p) for p in jobs.problems] == [f"{tmp_path / 'two.yaml'}: id: duplicate job id, already used by "
                                               f"{tmp_path / 'one.yaml'} (got 'same')"]


@pytest.mark.parametrize("snippet, field, message", [
    ("automation: {mode: review, schedule: '61 * * * *'}", "automation.schedule", "61 is outside 0-59"),
    ("automation: {mode: review, schedule: '* * *'}", "automation.schedule", "5 fields"),
    ("automation: {mode: review, schedule: '@fortnightly'}", "automation.schedule", "unknown schedule preset"),
    ("automation: {mode: review}", "automation", "needs a schedule"),
    ("automation: {mode: manual, schedule: '@daily'}", "automation", "a manual job has no schedule"),
    ("preferences: {safety: {max_removal_share: 1.5}}", "preferences.safety.max_removal_share",
     "less than or equal to 1"),
    ("preferences: {matching: {link_at: 0.4, suggest_at: 0.6}}", "preferences.matching",
     "must not exceed link_at"),
    ("preferences: {new_course_state: ARCHIVED}", "preferences.new_course_state", "'PROVISIONED' or 'ACTIVE'"),
    ("preferences: {remove_students: maybe}", "preferences.remove_students", "valid boolean"),
    ("rules: {include: [{column: X, op: regex, value: '([a-'}]}", "rules.include.0", "invalid regular expression"),
    ("rules: {include: [{column: X, op: in, value: one}]}", "rules.include.0", "non-empty list"),
    ("rules: {include: [{column: X, op: empty, value: one}]}", "rules.include.0", "takes no value"),
    ("mapping: {class_alias: '{SchoolID-{CourseID}'}", "mapping.class_alias", "'{' inside a column name"),
    ("mapping: {class_alias: '{SchoolID'}", "mapping.class_alias", "unclosed"),
])
def test_out_of_range_and_malformed_values_name_their_field(write, snippet, field, message):
    lines = problems_of(write("job.yaml", MINIMAL.format(id="job") + snippet + "\n"))
    assert any(f": {field}: " in line and message in line for line in lines), lines


def test_bad_job_id_and_missing_source(write):
    lines = problems_of(write("job.yaml", "id: Bad-Id\nname: x\n"))
    assert any("id: String should match pattern" in line and "'Bad-Id'" in line for line in lines)
    assert any(": source: required field is missing" in line for line in lines)


def test_yaml_bomb_and_deep_nesting_are_refused(write):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    (line,) = problems_of(write("bomb.yaml", bomb))
    assert "YAML bomb" in line
    deep = "a: " + "[" * 40 + "]" * 40 + "\n"
    (line,) = problems_of(write("deep.yaml", deep))
    assert "nested deeper than 20 levels" in line


def test_python_tags_are_not_executed(write):
    (line,) = problems_of(write("evil.yaml", "id: !!python/object/apply:os.system ['true']\n"))
    assert "invalid YAML" in line and ":1" in line
