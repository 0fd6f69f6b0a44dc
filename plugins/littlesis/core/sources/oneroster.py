"""OneRoster 1.1 / 1.2 CSV (and Microsoft SDS v2.1, which is OneRoster-shaped).

Classes come from classes.csv (joined with courses, orgs and academicSessions
for names), people from users.csv, membership from enrollments.csv. The
teacher marked ``primary=true`` owns the course; other teachers co-teach.
Guardians come from a student's ``agentSourcedIds`` and, in SDS v2.1, from
relationships.csv. Rows marked ``tobedeleted`` are left out with that reason.
Delta packages are refused: applying a delta as if it were the whole district
would look like a mass removal.
"""

from __future__ import annotations

import pandas as pd

from littlesis.core.errors import Problem, SourceError
from littlesis.core.expression_eval import StrippedColumns, blank_part
from littlesis.core.snapshot import ENROLLMENT_FIELDS, GUARDIAN_FIELDS
from littlesis.core.sources.canonical import checked_aliases, empty_frame, owner_first, reject_rows
from littlesis.core.sources.courses import usable_classes
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.mapping import PresetFields
from littlesis.core.sources.people import People
from littlesis.core.sources.preset_load import PresetLoad

CLASSES, USERS = "classes", "users"
TEACHER_ROLES = frozenset({"teacher", "professor"})
STUDENT_ROLES = frozenset({"student"})
GUARDIAN_ROLES = frozenset({"guardian", "parent", "relative"})

CLASS_COLUMNS = {
    "sourcedId": ("sourced_id", "classSourcedId"),
    "status": (),
    "title": ("classTitle",),
    "classCode": (),
    "location": (),
    "schoolSourcedId": ("orgSourcedId", "school"),
    "termSourcedIds": ("sessionSourcedIds", "termSourcedId", "terms"),
    "courseSourcedId": ("course",),
    "periods": (),
}
USER_COLUMNS = {
    "sourcedId": ("sourced_id",),
    "status": (),
    "email": (),
    "username": (),
    "givenName": (),
    "familyName": (),
    "identifier": (),
    "agentSourcedIds": ("agents", "agentSourcedId"),
    "role": (),
}
ENROLLMENT_COLUMNS = {
    "classSourcedId": ("class",),
    "userSourcedId": ("user",),
    "role": (),
    "primary": ("isPrimary",),
    "status": (),
}

FIELDS = PresetFields(
    defaults={
        "class_alias": "{sourcedId}",
        "course_name": "{title}",
        "section": "{classCode}",
        "room": "{location}",
        "school": "{school_name}",
        "term": "{term_title}",
        "teacher_email": "{email}",
        "student_email": "{email}",
        "student_id": "{identifier}",
        "student_given_name": "{givenName}",
        "student_family_name": "{familyName}",
        "guardian_emails": "{email}",
    },
    scopes={
        **{f: CLASSES for f in ("class_alias", "course_name", "section", "room", "description_heading",
                                "description", "school", "term")},
        **{f: USERS for f in ("teacher_email", "student_email", "student_id", "student_given_name",
                              "student_family_name", "guardian_emails")},
    },
    required=frozenset({"class_alias", "course_name", "teacher_email", "student_email"}),
)
FILES = {CLASSES: "classes.csv", USERS: "users.csv"}
DERIVED_CLASS_COLUMNS = ["course_title", "course_code", "school_name", "term_title"]


def load(work: PresetLoad) -> dict[str, pd.DataFrame]:
    _refuse_delta(work)
    classes = work.table("classes.csv", CLASS_COLUMNS, required=("sourcedId",))
    users = work.table("users.csv", USER_COLUMNS, required=("sourcedId",))
    enrollments = work.table("enrollments.csv", ENROLLMENT_COLUMNS,
                             required=("classSourcedId", "userSourcedId", "role"))
    class_rows = _with_names(work, classes.frame)
    live = _drop_deleted(work, classes, class_rows, "sourcedId")
    cols = StrippedColumns(class_rows.loc[live])
    alias = work.mapping["class_alias"].evaluate(cols)
    ok = checked_aliases(classes, work.rejections, alias, blank_part(work.mapping["class_alias"], cols))
    classes_in_play = usable_classes(work.mapping, classes, work.rejections, class_rows.loc[live[ok.to_numpy()]],
                                     alias[ok], "sourcedId")
    alias_of_class = classes_in_play.alias_of_id

    people = People(users, work.mapping, fallback_column="username")
    roster = _enrollment_rows(work, enrollments, alias_of_class, people)
    teacher_rows = roster[roster["kind"] == "teacher"]
    student_rows = roster[roster["kind"] == "student"]
    teachers = owner_first(pd.DataFrame({
        "alias": teacher_rows["alias"], "email": teacher_rows["email"],
        "primary": teacher_rows["primary"], "order": teacher_rows.index,
    }), work.warnings)
    students = pd.DataFrame({
        "alias": student_rows["alias"].to_numpy(),
        "email": student_rows["email"].to_numpy(),
        "student_id": people.value("student_id", student_rows["user"]),
        "given_name": people.value("student_given_name", student_rows["user"]),
        "family_name": people.value("student_family_name", student_rows["user"]),
    }, columns=ENROLLMENT_FIELDS).drop_duplicates(["alias", "email"]).reset_index(drop=True)

    guardians = _guardians(work, people, student_rows)
    return {"sections": classes_in_play.sections, "teachers": teachers, "enrollments": students,
            "guardians": guardians, "class_columns": classes_in_play.class_columns}


def _refuse_delta(work: PresetLoad) -> None:
    if not work.package.has("manifest.csv"):
        return
    manifest = work.table("manifest.csv", {"propertyName": (), "value": ()}, required=("propertyName", "value"))
    frame = manifest.frame
    deltas = frame[(frame["propertyName"].str.strip().str.lower().str.startswith("file."))
                   & (frame["value"].str.strip().str.lower() == "delta")]
    if not deltas.empty:
        first = deltas.index[0]
        raise SourceError(Problem(
            manifest.label,
            "this is a OneRoster delta package; sync jobs need a bulk export of the whole district "
            "(a delta read as the whole district would look like mass removals)",
            "value", int(manifest.lines_of([first])[0]), deltas["propertyName"].iloc[0] + "=delta"))


def _with_names(work: PresetLoad, classes: pd.DataFrame) -> pd.DataFrame:
    """classes.csv plus course_title, course_code, school_name and term_title from the other files."""
    frame = classes.copy()
    blank = pd.Series("", index=frame.index, dtype="str")
    course = frame.get("courseSourcedId", blank)
    frame["course_title"] = _lookup(work, "courses.csv", course, ("title",))
    frame["course_code"] = _lookup(work, "courses.csv", course, ("courseCode", "code"))
    frame["school_name"] = _lookup(work, "orgs.csv", frame.get("schoolSourcedId", blank), ("name",))
    first_term = frame["termSourcedIds"].str.split(",").str[0] if "termSourcedIds" in frame else blank
    frame["term_title"] = _lookup(work, "academicSessions.csv", first_term.fillna(""), ("title",))
    return frame


def _lookup(work: PresetLoad, file: str, keys: pd.Series, names: tuple[str, ...]) -> pd.Series:
    if not work.package.has(file):
        return keys.str.slice(0, 0)
    table = work.table(file, {"sourcedId": ("sourced_id",), names[0]: names[1:]}, required=("sourcedId",))
    if names[0] not in table.frame:
        return keys.str.slice(0, 0)
    values = pd.Series(table.frame[names[0]].str.strip().to_numpy(),
                       index=table.frame["sourcedId"].str.strip().to_numpy())
    values = values[~values.index.duplicated()]
    return pd.Series(values.reindex(keys.str.strip().to_numpy()).fillna("").to_numpy(), index=keys.index, dtype="str")


def _drop_deleted(work: PresetLoad, table: CsvTable, rows: pd.DataFrame, id_column: str) -> pd.Index:
    if "status" not in rows:
        return rows.index
    deleted = rows["status"].str.strip().str.lower() == "tobedeleted"
    reject_rows(table, work.rejections, deleted, "status", rows[id_column], "marked tobedeleted in the export")
    return rows.index[~deleted.to_numpy()]


def _enrollment_rows(
    work: PresetLoad, table: CsvTable, alias_of_class: pd.Series, people: People
) -> pd.DataFrame:
    """alias, user, email, kind (teacher/student), primary for every usable enrollment row."""
    id_column = "sourcedId" if "sourcedId" in table.frame else "userSourcedId"
    frame = table.frame.loc[_drop_deleted(work, table, table.frame, id_column)]
    class_id = frame["classSourcedId"].str.strip()
    user_id = frame["userSourcedId"].str.strip()
    role = frame["role"].str.strip().str.lower()
    kind = pd.Series("", index=frame.index, dtype="str")
    kind = kind.mask(role.isin(TEACHER_ROLES), "teacher").mask(role.isin(STUDENT_ROLES), "student")
    reject = work.rejections
    unknown_class = ~class_id.isin(alias_of_class.index)
    reject_rows(table, reject, unknown_class, "classSourcedId", class_id, "unknown class (not in classes.csv, "
                "or the class itself was rejected)")
    ok = ~unknown_class
    other_role = ok & (kind == "")
    reject_rows(table, reject, other_role, "role", frame["role"], "role " + role + " is not synced")
    ok &= ~other_role
    gone = ok & people.deleted(user_id)
    reject_rows(table, reject, gone, "userSourcedId", user_id, "user is marked tobedeleted in " + people.label)
    ok &= ~gone
    unknown_user = ok & ~people.known(user_id)
    reject_rows(table, reject, unknown_user, "userSourcedId", user_id, "unknown user (not in users.csv)")
    ok &= ~unknown_user
    field = kind.map({"teacher": "teacher_email", "student": "student_email"}).fillna("")
    email = people.emails_for(user_id.where(ok, ""), kind)
    no_email = ok & ~people.valid(email)
    reason = "user " + user_id + " has no valid e-mail in " + people.label + " ('" + email + "')"
    reject_rows(table, reject, no_email & (kind == "teacher"), "teacher_email", user_id, reason)
    reject_rows(table, reject, no_email & (kind == "student"), "student_email", user_id, reason)
    ok &= ~no_email
    primary = frame["primary"].str.strip().str.lower().isin(["true", "1", "yes"]) if "primary" in frame else False
    result = pd.DataFrame({
        "alias": alias_of_class.reindex(class_id[ok].to_numpy()).to_numpy(),
        "user": user_id[ok].to_numpy(),
        "email": email[ok].to_numpy(),
        "kind": kind[ok].to_numpy(),
        "primary": (primary[ok].to_numpy() if isinstance(primary, pd.Series) else False),
        "field": field[ok].to_numpy(),
    }, index=frame.index[ok.to_numpy()])
    return result


def _guardians(work: PresetLoad, people: People, student_rows: pd.DataFrame) -> pd.DataFrame:
    students = student_rows.drop_duplicates("user")
    links: list[pd.DataFrame] = []
    agents = people.agents(students["user"])
    if not agents.empty:
        links.append(agents)
    if work.package.has("relationships.csv"):
        rel = work.table("relationships.csv", {"userSourcedId": (), "relationshipUserSourcedId": (),
                                               "relationshipRole": ()},
                         required=("userSourcedId", "relationshipUserSourcedId"))
        frame = rel.frame
        role = frame.get("relationshipRole", pd.Series("guardian", index=frame.index)).str.strip().str.lower()
        not_guardian = ~role.isin(GUARDIAN_ROLES)
        reject_rows(rel, work.rejections, not_guardian & frame["userSourcedId"].str.strip().isin(students["user"]),
                    "relationshipRole", frame.get("relationshipRole", role),
                    "relationship " + role + " is not a guardian")
        frame = frame[~not_guardian]
        links.append(pd.DataFrame({"student": frame["userSourcedId"].str.strip().to_numpy(),
                                   "guardian": frame["relationshipUserSourcedId"].str.strip().to_numpy()}))
    if not links:
        return empty_frame(GUARDIAN_FIELDS)
    pairs = pd.concat(links, ignore_index=True)
    pairs = pairs[pairs["student"].isin(students["user"])]
    student_email = pd.Series(students["email"].to_numpy(), index=students["user"].to_numpy())
    guardian_email = people.guardian_emails(pairs["guardian"])
    usable = people.valid(guardian_email)
    if (~usable).any():
        work.warnings.append(
            f"{int((~usable).sum())} guardian link(s) skipped: the guardian is not in {people.label} "
            "or has no valid e-mail")
    result = pd.DataFrame({
        "student_email": student_email.reindex(pairs["student"][usable].to_numpy()).to_numpy(),
        "guardian_email": guardian_email[usable].to_numpy(),
    })
    return result.drop_duplicates().reset_index(drop=True)
