"""The typed model of one sync job (one YAML file in include/job_configs/).

Every model forbids unknown keys, so a typo such as ``remove_student`` is an
error naming the field instead of a silently ignored setting.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from littlesis.core.cron import cron_problem
from littlesis.core.expressions import ExpressionSyntaxError, parse


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleOp(StrEnum):
    equals = "equals"
    not_equals = "not_equals"
    in_ = "in"
    not_in = "not_in"
    contains = "contains"
    not_contains = "not_contains"
    starts_with = "starts_with"
    ends_with = "ends_with"
    regex = "regex"
    empty = "empty"
    not_empty = "not_empty"


LIST_OPS = {RuleOp.in_, RuleOp.not_in}
VALUELESS_OPS = {RuleOp.empty, RuleOp.not_empty}


class Rule(Strict):
    """Keep (include) or drop (exclude) the classes whose ``column`` matches."""

    column: str = Field(min_length=1)
    op: RuleOp
    value: str | list[str] | None = None
    case_sensitive: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _scalars_as_text(cls, value: object) -> object:
        # YAML reads 2024 or 9 as numbers; a rule compares text.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, list):
            return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value]
        return value

    @model_validator(mode="after")
    def _value_fits_op(self) -> Rule:
        if self.op in VALUELESS_OPS:
            if self.value is not None:
                raise ValueError(f"op {self.op.value!r} takes no value")
        elif self.op in LIST_OPS:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op.value!r} needs a non-empty list as value")
        elif not isinstance(self.value, str):
            raise ValueError(f"op {self.op.value!r} needs one text value")
        if self.op is RuleOp.regex:
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from None
        return self

    def describe(self) -> str:
        if self.op in VALUELESS_OPS:
            return f"{self.column} {self.op.value}"
        return f"{self.column} {self.op.value} {self.value!r}"


class Rules(Strict):
    include: list[Rule] = []
    exclude: list[Rule] = []


Preset = Literal["generic", "oneroster", "sds"]
FILE_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


class Source(Strict):
    """Where the export lives. ``files`` names each file (generic: ``roster``);
    ``dir`` is a folder or a .zip holding a preset's standard file names."""

    preset: Preset
    files: dict[str, str] | None = None
    dir: str | None = None
    encoding: str = "auto"

    @field_validator("files")
    @classmethod
    def _plain_keys(cls, files: dict[str, str] | None) -> dict[str, str] | None:
        # Keys name files (users -> users.csv) and folders of the run archive: never a path.
        for key in files or {}:
            if not FILE_KEY.match(key):
                raise ValueError(f"file key {key!r} must be a plain name (letters, digits, '_' and '-')")
        return files

    @model_validator(mode="after")
    def _one_location(self) -> Source:
        if (self.files is None) == (self.dir is None):
            raise ValueError("give exactly one of 'files' or 'dir'")
        if self.preset == "generic" and self.files is not None and "roster" not in self.files:
            raise ValueError("the generic preset reads files.roster")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value


MAPPING_FIELDS = (
    "class_alias", "course_name", "section", "room", "description_heading", "description",
    "school", "term", "teacher_email", "co_teacher_emails", "student_email", "student_id",
    "student_given_name", "student_family_name", "guardian_emails",
)


class Mapping(Strict):
    """Expressions producing our fields from the source's columns; unset ones use the preset's default."""

    class_alias: str | None = None
    course_name: str | None = None
    section: str | None = None
    room: str | None = None
    description_heading: str | None = None
    description: str | None = None
    school: str | None = None
    term: str | None = None
    teacher_email: str | None = None
    co_teacher_emails: str | None = None
    student_email: str | None = None
    student_id: str | None = None
    student_given_name: str | None = None
    student_family_name: str | None = None
    guardian_emails: str | None = None

    @field_validator(*MAPPING_FIELDS)
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ExpressionSyntaxError as exc:
                raise ValueError(f"bad mapping expression {value!r}: {exc}") from None
        return value


class NotifyTeachers(Strict):
    created: bool = False
    updated: bool = False
    linked: bool = False


class Matching(Strict):
    link_at: float = Field(0.8, ge=0.0, le=1.0)
    suggest_at: float = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Matching:
        if self.suggest_at > self.link_at:
            raise ValueError(f"suggest_at ({self.suggest_at}) must not exceed link_at ({self.link_at})")
        return self


class Safety(Strict):
    max_removal_share: float = Field(0.10, ge=0.0, le=1.0)
    max_changed_course_share: float = Field(0.25, ge=0.0, le=1.0)


class Preferences(Strict):
    overwrite_teacher_values: bool = False
    new_course_state: Literal["PROVISIONED", "ACTIVE"] = "PROVISIONED"
    add_students: bool = True
    remove_students: bool = False
    add_teachers: bool = True
    remove_teachers: bool = False
    guardian_invitations: bool = False
    archive_missing: bool = False
    notify_teachers: NotifyTeachers = NotifyTeachers()
    matching: Matching = Matching()
    safety: Safety = Safety()
    roster_exceptions: list[str] = []
    class_exceptions: list[str] = []


class Automation(Strict):
    mode: Literal["manual", "review", "automatic"] = "manual"
    schedule: str | None = None
    review_window_hours: int = Field(72, ge=1, le=24 * 30)

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            problem = cron_problem(value)
            if problem:
                raise ValueError(f"bad schedule {value!r}: {problem}")
        return value

    @model_validator(mode="after")
    def _schedule_fits_mode(self) -> Automation:
        if self.mode == "manual" and self.schedule is not None:
            raise ValueError("a manual job has no schedule (use mode 'review' or 'automatic')")
        if self.mode != "manual" and self.schedule is None:
            raise ValueError(f"mode {self.mode!r} needs a schedule")
        return self


JOB_ID = r"^[a-z0-9_]+$"


class JobConfig(Strict):
    id: str = Field(pattern=JOB_ID, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    extends: str | None = None
    source: Source
    mapping: Mapping = Mapping()
    rules: Rules = Rules()
    preferences: Preferences = Preferences()
    automation: Automation = Automation()
