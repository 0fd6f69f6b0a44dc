"""Seeding the emulated domain from JSON.

Shape (all keys optional)::

    {"domains": ["district.example.org"], "auto_users": true, "guardians_enabled": true,
     "users": [{"email": "...", "givenName": "...", "familyName": "..."}],
     "courses": [{"name": "...", "section": "...", "room": "...", "ownerEmail": "...",
                  "courseState": "ACTIVE", "aliases": ["d:SIS-1"],
                  "teacherEmails": ["..."], "studentEmails": ["..."]}]}

Extensions (documented here, used by tests and the demo): a course may also carry
``descriptionHeading``, ``description`` and ``subject``; top-level ``guardians``
(``[{"studentEmail", "guardianEmail"}]``) links guardians as if they had accepted an
invitation, and ``limits`` (``{"teachers": 20, "members": 1000, "guardians": 20}``)
overrides Classroom's limits.

A seed adds to the current data (domains and settings are replaced when given) and
obeys the same rules as the API: unique aliases, owner in a seeded domain, member
limits. Users of a seed applied at start-up have always existed; users of a seed
applied later "appear" then (see the ``user_not_found`` fault).
"""

from __future__ import annotations

from typing import Any

from littlesis.emulator import errors
from littlesis.emulator.courses import TEXT_FIELDS, validate_alias
from littlesis.emulator.guardians import link_guardian
from littlesis.emulator.model import COURSE_STATES, Course
from littlesis.emulator.state import ClassroomState, is_email

JsonDict = dict[str, Any]

_TOP_KEYS = {"domains", "auto_users", "guardians_enabled", "users", "courses", "guardians", "limits"}
_COURSE_KEYS = {"name", "section", "room", "ownerEmail", "courseState", "aliases", "teacherEmails",
                "studentEmails", "descriptionHeading", "description", "subject"}


class SeedError(ValueError):
    """The seed is malformed or breaks a Classroom rule; the message names the place."""


def _list(data: JsonDict, key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise SeedError(f"{where}{key}: expected a list")
    return value


def _email(value: Any, where: str) -> str:
    if not isinstance(value, str) or not is_email(value):
        raise SeedError(f"{where}: {value!r} is not an e-mail address")
    return value.lower()


def apply_seed(state: ClassroomState, data: Any, *, appeared_at: float | None = None) -> dict[str, int]:
    """Load ``data`` into ``state`` (caller holds no lock; this takes it). Returns counts."""
    if not isinstance(data, dict):
        raise SeedError("seed: expected a JSON object")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SeedError(f"seed: unknown keys {sorted(unknown)}")
    with state.lock:
        if "domains" in data:
            domains = _list(data, "domains", "")
            if not all(isinstance(d, str) and d for d in domains):
                raise SeedError("domains: expected a list of domain names")
            state.domains = [d.lower() for d in domains]
        for key, attribute in (("auto_users", "auto_users"), ("guardians_enabled", "guardians_enabled")):
            if key in data:
                if not isinstance(data[key], bool):
                    raise SeedError(f"{key}: expected true or false")
                setattr(state, attribute, data[key])
        _apply_limits(state, data.get("limits"))
        for index, user in enumerate(_list(data, "users", "")):
            where = f"users[{index}]"
            if not isinstance(user, dict):
                raise SeedError(f"{where}: expected an object")
            email = _email(user.get("email"), f"{where}.email")
            state.add_user(email, str(user.get("givenName") or ""), str(user.get("familyName") or ""), appeared_at)
        courses = _list(data, "courses", "")
        for index, course in enumerate(courses):
            _seed_course(state, course, f"courses[{index}]", appeared_at)
        guardians = _list(data, "guardians", "")
        for index, link in enumerate(guardians):
            where = f"guardians[{index}]"
            if not isinstance(link, dict):
                raise SeedError(f"{where}: expected an object")
            student = _user(state, _email(link.get("studentEmail"), f"{where}.studentEmail"), where, appeared_at)
            link_guardian(state, student, _email(link.get("guardianEmail"), f"{where}.guardianEmail"))
        return {"users": len(state.users_by_id), "courses": len(state.courses), "guardians": len(guardians)}


def _apply_limits(state: ClassroomState, limits: Any) -> None:
    if limits is None:
        return
    if not isinstance(limits, dict) or set(limits) - {"teachers", "members", "guardians"}:
        raise SeedError("limits: expected {teachers, members, guardians} numbers")
    for key, value in limits.items():
        if not isinstance(value, int) or value < 1:
            raise SeedError(f"limits.{key}: expected a positive integer")
        setattr(state.limits, key, value)


def _user(state: ClassroomState, email: str, where: str, appeared_at: float | None) -> Any:
    known = state.users_by_email.get(email)
    if known is not None:
        return known
    if not state.auto_users:
        raise SeedError(f"{where}: unknown user {email} (auto_users is off; list it under users)")
    return state.add_user(email, appeared_at=appeared_at)


def _seed_course(state: ClassroomState, data: Any, where: str, appeared_at: float | None) -> None:
    if not isinstance(data, dict):
        raise SeedError(f"{where}: expected an object")
    unknown = set(data) - _COURSE_KEYS
    if unknown:
        raise SeedError(f"{where}: unknown keys {sorted(unknown)}")
    texts: dict[str, str] = {}
    for json_name, attribute, limit in TEXT_FIELDS:
        value = data.get(json_name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise SeedError(f"{where}.{json_name}: expected a string of at most {limit} characters")
        texts[attribute] = value
    if not texts["name"]:
        raise SeedError(f"{where}.name: required")
    course_state = data.get("courseState", "PROVISIONED")
    if course_state not in COURSE_STATES:
        raise SeedError(f"{where}.courseState: {course_state!r} is not a course state")
    owner = _user(state, _email(data.get("ownerEmail"), f"{where}.ownerEmail"), where, appeared_at)
    if owner.external:
        raise SeedError(f"{where}.ownerEmail: {owner.email} is outside the seeded domains")
    aliases = _list(data, "aliases", f"{where}.")
    for alias in aliases:
        try:
            validate_alias(alias)
        except errors.ApiError as exc:
            raise SeedError(f"{where}.aliases: {alias!r}: {exc.text}") from None
        if alias in state.alias_index:
            raise SeedError(f"{where}.aliases: {alias!r} already belongs to another course")
    course_id, seq = state.new_course_id()
    now = state.clock()
    course = Course(id=course_id, seq=seq, name=texts.pop("name"), owner_id=owner.id, state=str(course_state),
                    creation_time=now, update_time=now, ever_active=course_state in ("ACTIVE", "ARCHIVED"))
    for attribute, value in texts.items():
        setattr(course, attribute, value)
    state.courses[course_id] = course
    for alias in aliases:
        state.add_alias(course, alias)
    try:
        state.enroll(course, owner, as_teacher=True)
        for role, key in ((True, "teacherEmails"), (False, "studentEmails")):
            for email in _list(data, key, f"{where}."):
                user = _user(state, _email(email, f"{where}.{key}"), where, appeared_at)
                if user.id in course.teachers or user.id in course.students:
                    continue  # the owner listed again, or a duplicate line: harmless in a seed
                state.enroll(course, user, as_teacher=role)
    except errors.ApiError as exc:
        state.remove_course(course)
        raise SeedError(f"{where}: {exc.message}") from None
