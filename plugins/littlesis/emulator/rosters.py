"""courses.students.* and courses.teachers.*: direct adds by a domain admin."""

from __future__ import annotations

from typing import Any

from littlesis.emulator import errors, paging
from littlesis.emulator.courses import require_modifiable
from littlesis.emulator.model import Course, User, member_json
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.schema import check_body, string_field
from littlesis.emulator.state import ClassroomState

JsonDict = dict[str, Any]


def _role(course: Course, teachers: bool) -> dict[str, int]:
    return course.teachers if teachers else course.students


def _member(state: ClassroomState, req: ApiRequest, teachers: bool) -> tuple[Course, User]:
    course = state.course(req.params["courseId"])
    user = state.find_user(req.params["userId"], req.caller)
    if user is None or state.is_propagating(user) or user.id not in _role(course, teachers):
        raise errors.not_found()
    return course, user


def _create(state: ClassroomState, req: ApiRequest, teachers: bool) -> JsonDict:
    body = check_body(req.body, "Teacher" if teachers else "Student")
    user_ref = string_field(body, "userId")
    if not user_ref:
        raise errors.invalid_argument("userId is required.")
    course = state.course(req.params["courseId"])
    require_modifiable(course)
    user = state.user_for_direct_add(user_ref, req.caller)
    state.enroll(course, user, as_teacher=teachers)
    return member_json(course.id, user)


def _get(state: ClassroomState, req: ApiRequest, teachers: bool) -> JsonDict:
    course, user = _member(state, req, teachers)
    return member_json(course.id, user)


def _list(state: ClassroomState, req: ApiRequest, teachers: bool) -> JsonDict:
    course = state.course(req.params["courseId"])
    chosen, token = paging.page(req, list(_role(course, teachers).items()), lambda item: item[1])
    members = [member_json(course.id, state.users_by_id[user_id]) for user_id, _ in chosen]
    return paging.list_body("teachers" if teachers else "students", members, token)


def _delete(state: ClassroomState, req: ApiRequest, teachers: bool) -> JsonDict:
    course, user = _member(state, req, teachers)
    if teachers and user.id == course.owner_id:
        raise errors.failed_precondition(
            None, "The primary teacher (owner) of a course cannot be removed; transfer ownership first."
        )
    del _role(course, teachers)[user.id]
    return {}


def student_create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _create(state, req, teachers=False)


def student_get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _get(state, req, teachers=False)


def student_list(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _list(state, req, teachers=False)


def student_delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _delete(state, req, teachers=False)


def teacher_create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _create(state, req, teachers=True)


def teacher_get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _get(state, req, teachers=True)


def teacher_list(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _list(state, req, teachers=True)


def teacher_delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return _delete(state, req, teachers=True)
