"""courses.* and courses.aliases.*: creation, state machine, ownership and aliases."""

from __future__ import annotations

import re
from typing import Any

from littlesis.emulator import errors, paging
from littlesis.emulator.model import COURSE_STATES, Course
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.schema import check_body, string_field
from littlesis.emulator.state import ClassroomState

JsonDict = dict[str, Any]

# Writable text fields: (JSON name, Course attribute, maximum length).
TEXT_FIELDS = (
    ("name", "name", 750),
    ("section", "section", 2800),
    ("descriptionHeading", "description_heading", 3600),
    ("description", "description", 30000),
    ("room", "room", 650),
    ("subject", "subject", 3000),
    ("levels", "levels", 999),
)
PATCHABLE = frozenset(
    {"courseState", "description", "descriptionHeading", "name", "ownerId", "room", "section", "subject",
     "learningStandardSettings", "levels"}
)
ALIAS_MAX = 256
# Allowed courseState changes (a same-state "change" is always fine).
TRANSITIONS = {
    "PROVISIONED": {"ACTIVE", "DECLINED"},
    "DECLINED": {"PROVISIONED"},
    "ACTIVE": {"ARCHIVED"},
    "ARCHIVED": {"ACTIVE"},
    "SUSPENDED": set(),
}
_URL_IN_TITLE = re.compile(r"(https?://|www\.)\S", re.IGNORECASE)


def validate_alias(alias: object) -> str:
    if not isinstance(alias, str) or not alias:
        raise errors.invalid_argument("alias is required.")
    if len(alias) > ALIAS_MAX:
        raise errors.invalid_argument(f"alias must be at most {ALIAS_MAX} characters.")
    scope, sep, rest = alias.partition(":")
    if not sep or scope not in ("d", "p") or not rest:
        raise errors.invalid_argument("An alias must start with 'd:' (domain) or 'p:' (project).")
    return alias


def _course_state(value: object, *, allow_unspecified: bool) -> str | None:
    if value is None or (allow_unspecified and value == "COURSE_STATE_UNSPECIFIED"):
        return None
    if value not in COURSE_STATES:
        raise errors.invalid_argument(f'Invalid value at \'course.course_state\', "{value}"')
    return str(value)


def _check_name(name: str | None) -> str:
    if not name:
        raise errors.invalid_argument("name is required and must be between 1 and 750 characters.")
    if _URL_IN_TITLE.search(name):
        raise errors.failed_precondition("CourseTitleCannotContainUrl", "The course title cannot contain a URL.")
    return name


def _not_modifiable() -> errors.ApiError:
    return errors.failed_precondition("CourseNotModifiable", "The course is not modifiable in its current state.")


def require_modifiable(course: Course) -> None:
    if course.state in ("ARCHIVED", "SUSPENDED"):
        raise _not_modifiable()


def _set_state(course: Course, new_state: str) -> None:
    if new_state != course.state and new_state not in TRANSITIONS[course.state]:
        raise errors.failed_precondition(
            None, f"The course state cannot change from {course.state} to {new_state}."
        )
    course.state = new_state
    course.ever_active = course.ever_active or new_state == "ACTIVE"


def create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    body = check_body(req.body, "Course")
    values = {json_name: string_field(body, json_name, limit) for json_name, _, limit in TEXT_FIELDS}
    name = _check_name(values["name"])
    owner_ref = string_field(body, "ownerId")
    if not owner_ref:
        raise errors.invalid_argument("ownerId is required.")
    alias = validate_alias(body["id"]) if body.get("id") is not None else None
    course_state = _course_state(body.get("courseState"), allow_unspecified=True) or "PROVISIONED"
    if course_state == "SUSPENDED":
        raise errors.invalid_argument("A course cannot be created SUSPENDED.")
    owner = state.user_for_direct_add(owner_ref, req.caller)
    if alias is not None and alias in state.alias_index:
        raise errors.already_exists("CourseAliasAlreadyExists")
    course_id, seq = state.new_course_id()
    now = state.clock()
    course = Course(id=course_id, seq=seq, name=name, owner_id=owner.id, state=course_state,
                    creation_time=now, update_time=now, ever_active=course_state == "ACTIVE")
    for json_name, attribute, _ in TEXT_FIELDS[1:]:
        setattr(course, attribute, values[json_name] or "")
    state.courses[course_id] = course
    if alias is not None:
        state.add_alias(course, alias)
    state.enroll(course, owner, as_teacher=True)
    return state.render_course(course)


def get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return state.render_course(state.course(req.params["id"]))


def list_(state: ClassroomState, req: ApiRequest) -> JsonDict:
    wanted = {s for s in (_course_state(v, allow_unspecified=True) for v in req.many("courseStates")) if s}
    student_ref, teacher_ref = req.one("studentId"), req.one("teacherId")
    if student_ref and teacher_ref:
        raise errors.invalid_argument("At most one of studentId and teacherId may be set.")
    student = state.user(student_ref, req.caller) if student_ref else None
    teacher = state.user(teacher_ref, req.caller) if teacher_ref else None
    courses = [
        c
        for c in reversed(state.courses.values())  # newest first, as Google orders them
        if (not wanted or c.state in wanted)
        and (student is None or student.id in c.students)
        and (teacher is None or teacher.id in c.teachers)
    ]
    chosen, token = paging.page(req, courses, lambda c: c.seq, newest_first=True)
    return paging.list_body("courses", [state.render_course(c) for c in chosen], token)


def _parse_mask(req: ApiRequest) -> set[str]:
    raw = req.one("updateMask")
    if not raw:
        raise errors.invalid_argument("updateMask is required.")
    mask = {part.strip() for part in raw.split(",") if part.strip()}
    bad = sorted(mask - PATCHABLE)
    if not mask or bad:
        raise errors.invalid_argument(f"Invalid field(s) in updateMask: {', '.join(bad) or raw}")
    return mask


def _apply(state: ClassroomState, course: Course, body: JsonDict, fields: set[str], caller: str | None) -> None:
    """Validate everything, then write: a failed update leaves the course untouched."""
    new_state = _course_state(body.get("courseState"), allow_unspecified=False) if "courseState" in fields else None
    if course.state == "SUSPENDED":
        raise _not_modifiable()
    if course.state == "ARCHIVED" and (new_state in (None, "ARCHIVED")) and fields - {"courseState"}:
        raise _not_modifiable()
    texts: dict[str, str] = {}
    for json_name, attribute, limit in TEXT_FIELDS:
        if json_name in fields:
            texts[attribute] = string_field(body, json_name, limit) or ""
    if "name" in texts:
        _check_name(texts["name"])
    new_owner = None
    if "ownerId" in fields:
        owner_ref = string_field(body, "ownerId")
        if not owner_ref:
            raise errors.invalid_argument("ownerId must be set when it is in the updateMask.")
        new_owner = state.user(owner_ref, caller)
        if new_owner.id not in course.teachers:
            raise errors.failed_precondition(
                "IneligibleOwner", "The new owner must already be a teacher of the course."
            )
    if new_state is not None:
        _set_state(course, new_state)
    for attribute, value in texts.items():
        setattr(course, attribute, value)
    if new_owner is not None:
        course.owner_id = new_owner.id
    state.touch(course)


def patch(state: ClassroomState, req: ApiRequest) -> JsonDict:
    body = check_body(req.body, "Course")
    mask = _parse_mask(req)
    course = state.course(req.params["id"])
    _apply(state, course, body, mask - {"learningStandardSettings"}, req.caller)
    return state.render_course(course)


def update(state: ClassroomState, req: ApiRequest) -> JsonDict:
    body = check_body(req.body, "Course")
    course = state.course(req.params["id"])
    # A full update: every writable text field is replaced (absent means cleared), except
    # levels, which UpdateCourse keeps when omitted; ownerId is read-only here.
    fields = {"name", "section", "descriptionHeading", "description", "room", "subject"}
    if "levels" in body:
        fields.add("levels")
    if _course_state(body.get("courseState"), allow_unspecified=True) is not None:
        fields.add("courseState")
    if not body.get("name"):
        raise errors.invalid_argument("name is required and must be between 1 and 750 characters.")
    _apply(state, course, body, fields, req.caller)
    return state.render_course(course)


def delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    state.remove_course(state.course(req.params["id"]))
    return {}


def alias_create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    body = check_body(req.body, "CourseAlias")
    alias = validate_alias(body.get("alias"))
    course = state.course(req.params["courseId"])
    state.add_alias(course, alias)
    return {"alias": alias}


def alias_list(state: ClassroomState, req: ApiRequest) -> JsonDict:
    course = state.course(req.params["courseId"])
    aliases = list(course.aliases.items())
    chosen, token = paging.page(req, aliases, lambda item: item[1])
    return paging.list_body("aliases", [{"alias": alias} for alias, _ in chosen], token)


def alias_delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    course = state.course(req.params["courseId"])
    alias = req.params["alias"]
    if alias not in course.aliases:
        raise errors.not_found()
    del course.aliases[alias]
    state.alias_index.pop(alias, None)
    return {}
