"""Small random districts: an SIS export, a Classroom domain that already holds some courses, preferences.

Kept small (a few classes, a handful of people) so that every interesting
situation turns up often: a course already there with other members, a course a
teacher made by hand that the matcher links or suggests, an owner change, a
guardian, a course the job synced before that left the SIS.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from littlesis.core.analysis import AnalysisInput, analyze
from littlesis.core.job_files import read_job
from littlesis.core.plan import Plan
from littlesis.core.preview import preview
from tests.core.classroom_model import ClassroomModel
from tests.core.test_analysis import roster, row

TEACHERS = [f"t{i}@d.org" for i in range(4)]
STUDENTS = [f"s{i}@d.org" for i in range(6)]
OTHERS = [f"x{i}@d.org" for i in range(2)]  # in Classroom, not in the SIS
NAMES = ["Algebra", "Biology", "Art History"]
PREFERENCES = ("add_students", "remove_students", "add_teachers", "remove_teachers", "guardian_invitations",
               "overwrite_teacher_values", "archive_missing")


@dataclass
class SisClass:
    section: str
    name: str
    owner: str
    co: list[str]
    students: list[str]


@dataclass
class World:
    classes: list[SisClass]
    guardians: dict[str, str]
    model: ClassroomModel
    preferences: dict[str, object]
    job_aliases: list[str]  # the aliases this job synced before
    last_synced: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["alias", "field", "value"]))

    def csv(self) -> str:
        rows = []
        for c in self.classes:
            for student in c.students or [""]:
                rows.append(row(c.section, student, teacher=c.owner, co=";".join(c.co), name=c.name,
                                guardian=self.guardians.get(student, "")))
        return roster(*rows)

    def job_yaml(self) -> str:
        prefs = "".join(f"  {k}: {v}\n" for k, v in self.preferences.items())
        return ("id: j\nname: J\nsource: {preset: generic, files: {roster: roster.csv}}\n"
                "mapping: {co_teacher_emails: '{CoTeachers}', class_alias: 'C{SectionID}'}\n"
                "preferences:\n" + prefs)

    def analyze(self) -> Plan:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "roster.csv").write_text(self.csv(), encoding="utf-8")
            config = Path(folder) / "job.yaml"
            config.write_text(self.job_yaml(), encoding="utf-8")
            job = read_job(config)
            scoped = preview(job, config)
        return analyze(AnalysisInput(scoped.snapshot, scoped.scope, self.model.state(), job.preferences,
                                     last_synced=self.last_synced.astype("str"), job_aliases=self.job_aliases))


def some(pool: list[str], max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), max_size=max_size, unique=True)


@st.composite
def sis_classes(draw: st.DrawFn) -> list[SisClass]:
    classes = []
    for section in draw(st.lists(st.sampled_from("12345"), min_size=1, max_size=4, unique=True)):
        owner = draw(st.sampled_from(TEACHERS))
        co = draw(some([t for t in TEACHERS if t != owner], 2))
        classes.append(SisClass(section, draw(st.sampled_from(NAMES)), owner, co, draw(some(STUDENTS, 4))))
    return classes


@st.composite
def worlds(draw: st.DrawFn) -> World:
    classes = draw(sis_classes())
    guardians = {s: f"g{STUDENTS.index(s)}@f.net" for s in draw(some(STUDENTS, 3))}
    model = ClassroomModel()
    job_aliases = []
    synced_before = draw(st.booleans())
    last: list[tuple[str, str, str]] = []
    for c in classes:
        kind = draw(st.sampled_from(["none", "aliased", "teacher_made"]))
        if kind == "none":
            continue
        owner = draw(st.sampled_from([c.owner, *TEACHERS]))
        students = draw(some(STUDENTS + OTHERS, 5))
        teachers = draw(some([t for t in TEACHERS if t != owner], 2))
        name = draw(st.sampled_from([c.name, *NAMES]))
        state = draw(st.sampled_from(["ACTIVE", "PROVISIONED"]))
        aliases = (f"d:C{c.section}",) if kind == "aliased" else ()
        course = model.add_course(name, owner, aliases=aliases, students=tuple(students), teachers=tuple(teachers),
                                  state=state, section=draw(st.sampled_from(["", f"Period {c.section}"])))
        if aliases:
            job_aliases.append(f"C{c.section}")
            if synced_before:  # as if this job wrote the course's fields last time
                last += [(f"C{c.section}", "course_name", course.name), (f"C{c.section}", "section", course.section),
                         (f"C{c.section}", "room", "R1")]
    if draw(st.booleans()):  # a course this job synced before whose class left the SIS
        model.add_course("Old class", TEACHERS[0], aliases=("d:C9",), students=(STUDENTS[0],))
        job_aliases.append("C9")
    preferences: dict[str, object] = {name: draw(st.booleans()) for name in PREFERENCES}
    preferences["new_course_state"] = draw(st.sampled_from(["ACTIVE", "PROVISIONED"]))
    return World(classes, guardians, model, preferences, job_aliases,
                 pd.DataFrame(last, columns=["alias", "field", "value"]))
