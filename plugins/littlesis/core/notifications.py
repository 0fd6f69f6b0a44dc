"""Teacher notifications: one digest per teacher per run, for the events the job enables.

Events (each a job preference under ``notify_teachers``):
- created: a course for one of the teacher's classes was created (and is not
  PROVISIONED: a teacher can't see or accept a provisioned course yet);
- updated: an ACTIVE class of theirs had details or members changed;
- linked: a course the teacher made by hand was linked to its SIS class.
Only actions the commit really applied (status ``done``) count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from littlesis.core.config import NotifyTeachers

UPDATE_KINDS = {"update_course", "add_teacher", "remove_teacher", "change_owner", "add_student", "remove_student"}


@dataclass(frozen=True)
class AppliedAction:
    kind: str
    alias: str
    teacher: str  # the class's owner in the SIS
    payload: dict
    status: str
    course_name: str
    course_state: str  # after the commit


@dataclass
class Digest:
    teacher: str
    created: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    updated: dict[str, int] = field(default_factory=dict)  # class -> changes

    @property
    def subject(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in (("created", self.created), ("linked", self.linked)) if v]
        if self.updated:
            parts.append(f"{len(self.updated)} updated")
        return "Google Classroom: your classes were synced (" + ", ".join(parts) + ")"

    def text(self) -> str:
        lines = ["Hello,", "", "Tonight's roster sync changed these classes of yours in Google Classroom:", ""]
        lines += [f"- created: {name}" for name in self.created]
        lines += [f"- linked to the school's roster: {name}" for name in self.linked]
        lines += [f"- updated: {name} ({count} change{'s' if count > 1 else ''})"
                  for name, count in sorted(self.updated.items())]
        return "\n".join([*lines, "", "This message was sent by the district's Little SIS sync."])

    def html(self) -> str:
        items = [f"<li>created: {escape(n)}</li>" for n in self.created]
        items += [f"<li>linked to the school's roster: {escape(n)}</li>" for n in self.linked]
        items += [f"<li>updated: {escape(n)} ({c} change{'s' if c > 1 else ''})</li>"
                  for n, c in sorted(self.updated.items())]
        return ("<p>Hello,</p><p>Tonight's roster sync changed these classes of yours in Google Classroom:</p>"
                f"<ul>{''.join(items)}</ul><p>This message was sent by the district's Little SIS sync.</p>")

    def is_empty(self) -> bool:
        return not (self.created or self.linked or self.updated)


def teacher_digests(actions: Iterable[AppliedAction], notify: NotifyTeachers) -> list[Digest]:
    """The digests to send, one per teacher with at least one enabled event, sorted by teacher."""
    digests: dict[str, Digest] = defaultdict(lambda: Digest(""))
    for action in actions:
        if action.status != "done" or not action.teacher or action.course_state == "PROVISIONED":
            continue
        digest = digests[action.teacher]
        digest.teacher = action.teacher
        name = action.course_name or action.alias
        if action.kind == "create_course" and notify.created:
            digest.created.append(name)
        elif action.kind == "link_course" and notify.linked:
            digest.linked.append(name)
        elif action.kind in UPDATE_KINDS and notify.updated and action.course_state == "ACTIVE":
            digest.updated[name] = digest.updated.get(name, 0) + 1
    return [d for _, d in sorted(digests.items()) if not d.is_empty()]


def course_name_of(kind: str, payload: str | dict) -> str:
    """The course name an action states, if any (creates carry it)."""
    body = json.loads(payload) if isinstance(payload, str) else payload
    return str(body.get("name", "")) if kind == "create_course" else ""
