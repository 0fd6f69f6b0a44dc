"""Writes the demo exports in include/demo/ (committed; rerun to regenerate them).

The demo district is small and deliberately a little messy, like real exports:
a UTF-8 BOM, CRLF line ends, upper-case and padded e-mails, a blank row, a
row with an invalid student e-mail, and a cell with two guardian addresses.

    python bench/make_demo_data.py
"""

from __future__ import annotations

import json
from pathlib import Path

from district import generate, write_oneroster

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "include" / "demo"


def write_generic_demo(path: Path) -> None:
    rows = generate(students=60, seed=3).rows.copy()
    rows.loc[rows.index[5], "StudentEmail"] = "  " + rows.loc[rows.index[5], "StudentEmail"].upper() + " "
    rows.loc[rows.index[9], "TeacherEmail"] = rows.loc[rows.index[9], "TeacherEmail"].upper()
    rows.loc[rows.index[12], "StudentEmail"] = "not-an-address"
    first_guardian = rows.loc[rows.index[0], "GuardianEmail"]
    rows.loc[rows["StudentEmail"] == rows.loc[rows.index[0], "StudentEmail"], "GuardianEmail"] = (
        first_guardian + "; second.parent0@families.example.net")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(f'"{c}"' for c in rows.columns)]
    for i, record in enumerate(rows.itertuples(index=False)):
        lines.append(",".join(f'"{v}"' for v in record))
        if i == 20:
            lines.append("")  # a blank row, as exports sometimes have
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_classroom_seed(path: Path) -> None:
    """The demo Classroom domain: empty but for three classes teachers made by hand before the sync.

    Each copies one demo section (same teacher, most of its students, a teacher's own
    name for it), so the analysis has real matches to link instead of duplicating.
    """
    rows = generate(students=60, seed=3).rows
    sections = rows.drop_duplicates(["SchoolID", "SectionID"]).head(40)
    picks = [sections.iloc[i] for i in (1, 7, 12)]
    courses = []
    for pick in picks:
        roster = rows[(rows["SchoolID"] == pick["SchoolID"]) & (rows["SectionID"] == pick["SectionID"])]
        students = sorted(roster["StudentEmail"])[: max(1, int(len(roster) * 0.8))]
        courses.append({"name": f"{pick['CourseName']} - P{pick['Period']}", "section": "", "room": pick["Room"],
                        "ownerEmail": pick["TeacherEmail"], "courseState": "ACTIVE", "aliases": [],
                        "teacherEmails": [pick["TeacherEmail"]], "studentEmails": students})
    seed = {"domains": ["district.example.org"], "auto_users": True, "guardians_enabled": True, "users": [],
            "courses": courses}
    path.write_text(json.dumps(seed, indent=2) + "\n")


def main() -> None:
    write_generic_demo(DEMO / "generic" / "roster.csv")
    write_classroom_seed(DEMO / "classroom_seed.json")
    write_oneroster(generate(students=40, seed=11), DEMO / "oneroster")
    print(f"demo exports written under {DEMO}")


if __name__ == "__main__":
    main()
