"""Comparing the SIS (after rules) with Classroom (the cache) and planning the difference.

Inputs are plain tables; the output is a Plan. Vectorised throughout: roster
differences are found by merging long-form tables, never by looping classes.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from littlesis.core import plan as plans
from littlesis.core.capacity import refuse_over_capacity
from littlesis.core.classroom_state import DOMAIN_ALIAS_PREFIX, ClassroomState
from littlesis.core.coded import isin, positions
from littlesis.core.config import Preferences
from littlesis.core.matching import MATCH_COLUMNS, Thresholds, match_sections
from littlesis.core.patterns import matches_any
from littlesis.core.rules import Scope
from littlesis.core.safety import check_safety
from littlesis.core.snapshot import SisSnapshot

# Classroom field name for each of our section fields the SIS owns.
COURSE_FIELDS = {"course_name": "name", "section": "section", "room": "room",
                 "description_heading": "descriptionHeading", "description": "description"}
STATE_FIELDS = {"course_name": "name", "section": "section", "room": "room",
                "description_heading": "description_heading", "description": "description"}


@dataclass
class AnalysisInput:
    """Everything one analysis reads. ``last_synced`` holds, per alias and field, the value we
    last wrote to Classroom: a course value that differs from it was edited by a teacher."""

    snapshot: SisSnapshot
    scope: Scope
    state: ClassroomState
    preferences: Preferences
    last_synced: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"alias": pd.Series(dtype="str"), "field": pd.Series(dtype="str"), "value": pd.Series(dtype="str")}))
    job_aliases: Collection[str] = ()  # aliases this job synced before (for archive_missing and safety)
    # Found beforehand by ``teacher_matches`` (the DAG's match_teacher_classes); None: match here.
    matches: pd.DataFrame | None = None


def teacher_matches(data: AnalysisInput) -> pd.DataFrame:
    """The teacher-made course to link or suggest for each class in scope that has no course yet."""
    kept, _ = _kept(data)
    sis = data.snapshot.restricted_to(kept)
    sections = sis.sections
    return _match(sections[~isin(sections["alias"], data.state.course_of_alias().index)], sis, data)


def analyze(data: AnalysisInput) -> plans.Plan:
    prefs = data.preferences
    kept, excluded = _kept(data)
    sis = data.snapshot.restricted_to(kept)
    state = data.state
    course_of = state.course_of_alias()
    sections = sis.sections
    has_course = isin(sections["alias"], course_of.index)
    existing = sections[has_course]
    unmatched = sections[~has_course]
    matches = _match(unmatched, sis, data) if data.matches is None else _still_open(data.matches, unmatched, state)
    linked = matches[matches["decision"] == "link"]
    suggested = matches[matches["decision"] == "suggest"]
    created = unmatched[~isin(unmatched["alias"], matches["alias"])]

    # One target course per class: existing by alias, linked by id; suggested classes get
    # both alternatives (link, or create) and the reviewer picks one.
    targets = pd.concat([
        pd.DataFrame({"alias": existing["alias"].to_numpy(), "course_id": course_of[existing["alias"]].to_numpy(),
                      "ref": DOMAIN_ALIAS_PREFIX + existing["alias"].to_numpy().astype(object), "alternative": "",
                      "linked": False}),
        pd.DataFrame({"alias": linked["alias"].to_numpy(), "course_id": linked["course_id"].to_numpy(),
                      "ref": linked["course_id"].to_numpy(), "alternative": "", "linked": True}),
        pd.DataFrame({"alias": suggested["alias"].to_numpy(), "course_id": suggested["course_id"].to_numpy(),
                      "ref": suggested["course_id"].to_numpy(), "alternative": "link", "linked": True}),
    ], ignore_index=True)
    new = pd.concat([
        pd.DataFrame({"alias": created["alias"].to_numpy(), "alternative": ""}),
        pd.DataFrame({"alias": suggested["alias"].to_numpy(), "alternative": "create"}),
    ], ignore_index=True)

    planner = _Planner(sis, state, prefs, data.last_synced)
    parts = [
        planner.creates(new),
        planner.links(pd.concat([linked, suggested], ignore_index=True)),
        planner.updates(targets),
        *planner.teachers(targets, new),
        *planner.students(targets, new),
        *planner.guardians(targets, new),
        planner.archives(data.job_aliases, kept, excluded),
    ]
    actions, refused = refuse_over_capacity(plans.assemble(parts), state)
    touched = set(actions["alias"]) | set(refused["alias"])
    no_updates = sorted(set(targets.loc[targets["alternative"] == "", "alias"]) - touched)
    verdict = check_safety(actions, state, targets, data.job_aliases, kept, prefs.safety)
    return plans.Plan(actions=actions, no_updates=no_updates, excluded=excluded.reset_index(drop=True),
                      matches=matches if len(matches) else pd.DataFrame(columns=MATCH_COLUMNS), safety=verdict,
                      refused=refused)


def _kept(data: AnalysisInput) -> tuple[pd.Index, pd.DataFrame]:
    """The classes kept after the rules and the job's class exceptions, and every excluded one with why."""
    excluded = data.scope.excluded
    kept = data.scope.kept
    exceptions = data.preferences.class_exceptions
    if exceptions:
        exception = matches_any(pd.Series(kept, dtype="str"), exceptions).to_numpy()
        excluded = pd.concat([excluded, pd.DataFrame({"alias": kept[exception], "rule": "class exception"})],
                             ignore_index=True)
        kept = kept[~exception]
    return kept, excluded


def _match(unmatched: pd.DataFrame, sis: SisSnapshot, data: AnalysisInput) -> pd.DataFrame:
    thresholds = Thresholds(data.preferences.matching.link_at, data.preferences.matching.suggest_at)
    return match_sections(unmatched, sis.teachers, sis.enrollments, data.state, thresholds)


def _still_open(matches: pd.DataFrame, unmatched: pd.DataFrame, state: ClassroomState) -> pd.DataFrame:
    """Matches found earlier whose class still has no course and whose course is still the teacher's alone.

    The cache may have moved on between matching and planning (another job's commit).
    """
    candidates = state.teacher_created()
    open_courses = candidates.loc[candidates["course_state"] != "ARCHIVED", "course_id"]
    keep = isin(matches["alias"], unmatched["alias"]) & isin(matches["course_id"], open_courses)
    return matches[keep].reset_index(drop=True)


def written_values(actions: pd.DataFrame) -> pd.DataFrame:
    """alias, field, value for every course field a plan writes (kept to tell teacher edits apart)."""
    ours = {theirs: field for field, theirs in COURSE_FIELDS.items()}
    rows: list[tuple[str, str, str]] = []
    chosen = actions[actions["kind"].isin(["create_course", "update_course"])]
    for alias, kind, payload in zip(chosen["alias"], chosen["kind"], chosen["payload"], strict=True):
        body = json.loads(payload)
        body = body if kind == "create_course" else body["course"]
        # A create omits empty fields; they were written as empty all the same.
        written = {theirs: "" for theirs in ours} if kind == "create_course" else {}
        written.update({k: v for k, v in body.items() if k in ours})
        rows.extend((alias, ours[k], v) for k, v in written.items())
    return pd.DataFrame(rows, columns=["alias", "field", "value"]).astype("str")


def _user_payload(emails: pd.Series) -> pd.Series:
    # Addresses were validated (no quotes or backslashes), so plain concatenation is valid JSON.
    return '{"userId":"' + emails.astype("str") + '"}'


def _lookup(table: pd.Series, keys: pd.Series | np.ndarray) -> pd.Series:
    """``table[key]`` for each key ("" when absent), done on codes: keys repeat a lot."""
    keys = keys if isinstance(keys, pd.Series) else pd.Series(np.asarray(keys, dtype=object), dtype="str")
    codes, distinct = pd.factorize(keys)
    found = table.reindex(np.asarray(distinct, dtype=object)).fillna("").astype("str").reset_index(drop=True)
    return found.take(codes).reset_index(drop=True) if len(codes) else found.iloc[:0]


class _Planner:
    def __init__(self, sis: SisSnapshot, state: ClassroomState, prefs: Preferences, last_synced: pd.DataFrame):
        self.sis = sis
        self.state = state
        self.prefs = prefs
        self.last_synced = last_synced
        self.section = sis.sections.set_index("alias")
        self.owner = sis.teachers[sis.teachers["primary"]].drop_duplicates("alias").set_index("alias")["email"]
        self.courses = state.courses.set_index("course_id")

    def _school(self, alias: pd.Series | np.ndarray) -> pd.Series:
        return _lookup(self.section["school"], alias)

    def _teacher(self, alias: pd.Series | np.ndarray) -> pd.Series:
        return _lookup(self.owner, alias)

    def creates(self, new: pd.DataFrame) -> pd.DataFrame:
        if new.empty:
            return pd.DataFrame()
        rows = self.section.loc[new["alias"]]
        body = pd.DataFrame({"id": (DOMAIN_ALIAS_PREFIX + new["alias"]).to_numpy(),
                             "ownerId": self._teacher(new["alias"]),
                             "courseState": self.prefs.new_course_state})
        for ours, theirs in COURSE_FIELDS.items():
            body[theirs] = rows[ours].to_numpy()
        body = body.astype(object).where(body != "", None)
        payload = [json.dumps({k: v for k, v in r.items() if v is not None}, sort_keys=True, separators=(",", ":"))
                   for r in body.to_dict("records")]
        reason = np.where(new["alternative"] == "create", "suggested match declined: create a new course",
                          "class is in the SIS and has no course yet")
        return plans.actions_frame("create_course", new["alias"], DOMAIN_ALIAS_PREFIX + new["alias"], payload,
                                   reason, self._school(new["alias"]), self._teacher(new["alias"]),
                                   new["alternative"].to_numpy())

    def links(self, matches: pd.DataFrame) -> pd.DataFrame:
        if matches.empty:
            return pd.DataFrame()
        parts = matches[["score", "roster_share_sis", "roster_share_course", "name_similarity", "owner_teaches"]]
        payload = [json.dumps({"alias": DOMAIN_ALIAS_PREFIX + a, "courseId": c, "score": p},
                              sort_keys=True, separators=(",", ":"), default=bool)
                   for a, c, p in zip(matches["alias"], matches["course_id"], parts.to_dict("records"), strict=True)]
        reason = [f"teacher's course {c} matches (score {s:.2f})" for c, s in
                  zip(matches["course_id"], matches["score"], strict=True)]
        alternative = np.where(matches["decision"] == "suggest", "link", "")
        return plans.actions_frame("link_course", matches["alias"], matches["course_id"], payload, reason,
                                   self._school(matches["alias"]), self._teacher(matches["alias"]), alternative)

    def updates(self, targets: pd.DataFrame) -> pd.DataFrame:
        """Patch the fields the SIS owns; keep a teacher's edit unless overwrite_teacher_values."""
        if targets.empty:
            return pd.DataFrame()
        sis = self.section.loc[targets["alias"]]
        course = self.courses.reindex(targets["course_id"])
        synced = self.last_synced.pivot_table(index="alias", columns="field", values="value", aggfunc="last") \
            if len(self.last_synced) else pd.DataFrame(index=pd.Index([], name="alias"))
        changes: dict[str, np.ndarray] = {}
        for ours, theirs in COURSE_FIELDS.items():
            wanted = sis[ours].to_numpy(dtype=object)
            current = course[STATE_FIELDS[ours]].fillna("").to_numpy(dtype=object)
            differs = wanted != current
            if not self.prefs.overwrite_teacher_values:
                last = synced[ours].reindex(targets["alias"]).to_numpy(dtype=object) if ours in synced else \
                    np.full(len(targets), None, dtype=object)
                # Only a value still as we last wrote it may change; linked courses are the teacher's.
                differs &= (last == current) & ~targets["linked"].to_numpy()
            changes[theirs] = np.where(differs, wanted, np.full(len(wanted), None, dtype=object))
        frame = pd.DataFrame(changes)
        changed = frame.notna().any(axis=1).to_numpy()
        if not changed.any():
            return pd.DataFrame()
        rows = frame[changed]
        chosen = targets[changed]
        payload, reason = [], []
        for record in rows.to_dict("records"):
            # Unchanged fields are None, or NaN where pandas made the column a string column.
            body = {k: v for k, v in record.items() if isinstance(v, str)}
            payload.append(json.dumps({"course": body, "updateMask": ",".join(sorted(body))}, sort_keys=True,
                                      separators=(",", ":")))
            reason.append("SIS changed " + ", ".join(sorted(body)))
        return plans.actions_frame("update_course", chosen["alias"], chosen["ref"], payload, reason,
                                   self._school(chosen["alias"]), self._teacher(chosen["alias"]),
                                   chosen["alternative"].to_numpy())

    def teachers(self, targets: pd.DataFrame, new: pd.DataFrame) -> list[pd.DataFrame]:
        sis = self.sis.teachers
        exempt = self.prefs.roster_exceptions
        parts: list[pd.DataFrame] = []
        # New courses: the owner comes with the create; co-teachers are added.
        co = sis[~sis["primary"]].merge(new, on="alias")
        co = co[~matches_any(co["email"], exempt).to_numpy()]
        if self.prefs.add_teachers and len(co):
            parts.append(plans.actions_frame("add_teacher", co["alias"], DOMAIN_ALIAS_PREFIX + co["alias"],
                                             _user_payload(co["email"]), "co-teacher in the SIS",
                                             self._school(co["alias"]), self._teacher(co["alias"]),
                                             co["alternative"].to_numpy()))
        if targets.empty:
            return parts
        current = self.state.teachers.merge(targets, on="course_id")
        wanted = sis.merge(targets, on="alias")
        diff = wanted.merge(current[["alias", "email"]], on=["alias", "email"], how="left", indicator=True)
        missing = diff[(diff["_merge"] == "left_only") & ~matches_any(diff["email"], exempt).to_numpy()]
        course_owner = self.courses["owner_email"].reindex(targets["course_id"]).fillna("").to_numpy()
        owner_change = targets[(self._teacher(targets["alias"]) != course_owner)
                               & (self._teacher(targets["alias"]) != "")]
        # A new owner must already be a co-teacher: add them first, whatever add_teachers says.
        add = missing if self.prefs.add_teachers else missing[missing["alias"].isin(owner_change["alias"])
                                                               & missing["primary"]]
        if len(add):
            parts.append(plans.actions_frame(
                "add_teacher", add["alias"], add["ref"], _user_payload(add["email"]),
                np.where(add["primary"], "owner in the SIS: added as co-teacher before the transfer",
                         "teacher in the SIS"),
                self._school(add["alias"]), self._teacher(add["alias"]), add["alternative"].to_numpy()))
        if len(owner_change):
            new_owner = self._teacher(owner_change["alias"])
            payload = [json.dumps({"ownerId": o}, separators=(",", ":")) for o in new_owner]
            parts.append(plans.actions_frame("change_owner", owner_change["alias"], owner_change["ref"], payload,
                                             "the SIS names another primary teacher",
                                             self._school(owner_change["alias"]), new_owner,
                                             owner_change["alternative"].to_numpy()))
        if self.prefs.remove_teachers:
            extra = current.merge(wanted[["alias", "email"]], on=["alias", "email"], how="left", indicator=True)
            extra = extra[(extra["_merge"] == "left_only") & ~matches_any(extra["email"], exempt).to_numpy()]
            # The owner can't be removed. A course this plan transfers is owned by the new owner by then
            # (change_owner runs before remove_teacher), so its old owner may go in the same plan.
            owners = self.courses["owner_email"].reindex(extra["course_id"]).fillna("").to_numpy(dtype=object)
            moving = extra["alias"].isin(owner_change["alias"]).to_numpy()
            owners[moving] = self._teacher(extra["alias"][moving]).to_numpy(dtype=object)
            extra = extra[extra["email"].to_numpy() != owners]
            if len(extra):
                parts.append(plans.actions_frame("remove_teacher", extra["alias"], extra["ref"],
                                                 _user_payload(extra["email"]), "no longer a teacher in the SIS",
                                                 self._school(extra["alias"]), self._teacher(extra["alias"]),
                                                 extra["alternative"].to_numpy()))
        return parts

    def students(self, targets: pd.DataFrame, new: pd.DataFrame) -> list[pd.DataFrame]:
        sis = self.sis.enrollments[["alias", "email"]]
        exempt = self.prefs.roster_exceptions
        parts: list[pd.DataFrame] = []
        if self.prefs.add_students and len(new):
            position = positions(sis["alias"], new["alias"])
            chosen = (position >= 0) & ~matches_any(sis["email"], exempt).to_numpy()
            fresh = sis[chosen]
            parts.append(plans.actions_frame(
                "add_student", fresh["alias"], DOMAIN_ALIAS_PREFIX + fresh["alias"], _user_payload(fresh["email"]),
                "enrolled in the SIS", self._school(fresh["alias"]), self._teacher(fresh["alias"]),
                new["alternative"].to_numpy()[position[chosen]]))
        if targets.empty:
            return parts
        position = positions(sis["alias"], targets["alias"])
        enrolled = sis[position >= 0]
        wanted_frame = pd.DataFrame({"course_id": targets["course_id"].to_numpy()[position[position >= 0]],
                                     "email": enrolled["email"].to_numpy()})
        current_frame = self.state.students[isin(self.state.students["course_id"], targets["course_id"])]
        wanted, current = _joint_keys(wanted_frame, current_frame)
        meta = targets.set_index("course_id")
        if self.prefs.add_students:
            add = wanted.frame[~pd.Series(wanted.key).isin(current.key).to_numpy()]  # hashing, not sorting
            add = add[~matches_any(add["email"], exempt).to_numpy()]
            info = meta.loc[add["course_id"]]
            parts.append(plans.actions_frame("add_student", info["alias"].to_numpy(), info["ref"].to_numpy(),
                                             _user_payload(add["email"]), "enrolled in the SIS",
                                             self._school(info["alias"]), self._teacher(info["alias"]),
                                             info["alternative"].to_numpy()))
        if self.prefs.remove_students:
            gone = current.frame[~pd.Series(current.key).isin(wanted.key).to_numpy()]
            gone = gone[~matches_any(gone["email"], exempt).to_numpy()]
            info = meta.loc[gone["course_id"]]
            parts.append(plans.actions_frame("remove_student", info["alias"].to_numpy(), info["ref"].to_numpy(),
                                             _user_payload(gone["email"]), "no longer enrolled in the SIS",
                                             self._school(info["alias"]), self._teacher(info["alias"]),
                                             info["alternative"].to_numpy()))
        return parts

    def guardians(self, targets: pd.DataFrame, new: pd.DataFrame) -> list[pd.DataFrame]:
        """Invite guardians of students in ACTIVE synced courses; withdraw invitations the SIS dropped."""
        if not self.prefs.guardian_invitations:
            return []
        active_courses = self.courses.index[self.courses["course_state"] == "ACTIVE"]
        synced = targets[(targets["alternative"] == "") & targets["course_id"].isin(active_courses)]["alias"]
        if self.prefs.new_course_state == "ACTIVE":
            synced = pd.concat([synced, new.loc[new["alternative"] == "", "alias"]])
        enrolled = self.sis.enrollments[self.sis.enrollments["alias"].isin(synced)]
        students = enrolled.drop_duplicates("email").set_index("email")["alias"]
        links = self.sis.guardians
        wanted = links[links["student_email"].isin(students.index)]
        pending = self.state.invitations[self.state.invitations["state"] == "PENDING"]
        known = pd.concat([self.state.guardians[["student_email", "guardian_email"]],
                           pending[["student_email", "guardian_email"]]])
        invite = wanted.merge(known.drop_duplicates(), how="left", indicator=True)
        invite = invite[invite["_merge"] == "left_only"]
        parts: list[pd.DataFrame] = []
        if len(invite):
            alias = students.reindex(invite["student_email"]).to_numpy(dtype=object)
            payload = ('{"invitedEmailAddress":"' + invite["guardian_email"] + '","studentId":"'
                       + invite["student_email"] + '"}').to_numpy(dtype=object)
            parts.append(plans.actions_frame("invite_guardian", alias, invite["student_email"], payload,
                                             "guardian in the SIS, not yet linked or invited",
                                             self._school(alias), self._teacher(alias)))
        in_scope = pending[pending["student_email"].isin(self.sis.enrollments["email"])]
        stale = in_scope.merge(links, how="left", indicator=True)
        stale = stale[stale["_merge"] == "left_only"]
        if len(stale):
            alias = self.sis.enrollments.drop_duplicates("email").set_index("email")["alias"].reindex(
                stale["student_email"]).to_numpy(dtype=object)
            payload = ('{"invitationId":"' + stale["invitation_id"] + '","studentId":"' + stale["student_email"]
                       + '"}').to_numpy(dtype=object)
            parts.append(plans.actions_frame("withdraw_guardian_invitation", alias, stale["student_email"], payload,
                                             "pending invitation to a guardian no longer in the SIS",
                                             self._school(alias), self._teacher(alias)))
        return parts

    def archives(self, job_aliases: Collection[str], kept: pd.Index, excluded: pd.DataFrame) -> pd.DataFrame:
        """With archive_missing: this job's courses whose class left the SIS (not those excluded by a rule)."""
        if not self.prefs.archive_missing or not job_aliases:
            return pd.DataFrame()
        course_of = self.state.course_of_alias()
        gone = [a for a in sorted(job_aliases) if a not in kept and a in course_of.index
                and a not in set(excluded["alias"])]
        if not gone:
            return pd.DataFrame()
        states = self.courses["course_state"].reindex(course_of[gone]).to_numpy()
        gone = [a for a, s in zip(gone, states, strict=True) if s != "ARCHIVED"]
        return plans.actions_frame("archive_course", np.array(gone, dtype=object),
                                   np.array([DOMAIN_ALIAS_PREFIX + a for a in gone], dtype=object),
                                   np.full(len(gone), '{"courseState":"ARCHIVED"}', dtype=object),
                                   "class is no longer in the SIS")


@dataclass
class _Keyed:
    frame: pd.DataFrame
    key: np.ndarray


def _joint_keys(a: pd.DataFrame, b: pd.DataFrame) -> tuple[_Keyed, _Keyed]:
    """Exact int64 keys per (course_id, email) pair, numbered over both frames together."""
    course, _ = pd.factorize(pd.concat([a["course_id"], b["course_id"]], ignore_index=True))
    email, emails = pd.factorize(pd.concat([a["email"], b["email"]], ignore_index=True))
    key = course.astype(np.int64) * max(len(emails), 1) + email
    return (_Keyed(a.reset_index(drop=True), key[: len(a)]), _Keyed(b.reset_index(drop=True), key[len(a):]))
