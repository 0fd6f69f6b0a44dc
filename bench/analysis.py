"""Benchmark: load + rules + match + analyze of a whole district, against a bare pandas read.

Scenarios per district size (students):
- nightly: the cache is the same district with 1% of enrollments changed (0.5%
  dropped, 0.5% extra), 1% of course names changed by the SIS, and 5,000
  sections (or 2.5% when smaller) whose courses teachers made by hand (no
  alias, ~90% of the roster, a similar name): the matcher has to find them.
- first: the first full sync into an empty domain.

Each measurement runs in a fresh process (peak RSS is its own); the bare
``pandas.read_csv(engine="pyarrow")`` of the same file runs in the same
process right before, and the ratio is taken per run; medians over --runs.

    python bench/analysis.py --students 20000 200000 1000000 --runs 3 [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from load_generic import district_file, job_file  # noqa: E402

from littlesis.core.classroom_state import ClassroomState  # noqa: E402

START, END = "<!-- analysis:start -->", "<!-- analysis:end -->"
CHART = ROOT / "docs" / "img" / "analysis_scaling.svg"


def nightly_cache(snapshot, seed: int = 5) -> ClassroomState:
    """The district as Classroom would hold it after last night's sync, then a day of drift."""
    rng = np.random.default_rng(seed)
    sections = snapshot.sections.reset_index(drop=True)
    course_id = pd.Series([str(10_000_000 + i) for i in range(len(sections))], index=sections["alias"])
    manual = min(5_000, max(1, len(sections) // 40))
    manual_aliases = set(sections["alias"].sample(manual, random_state=seed))
    owners = snapshot.teachers[snapshot.teachers["primary"]].set_index("alias")["email"]
    names = sections["course_name"].to_numpy(dtype=object).copy()
    renamed = rng.random(len(sections)) < 0.01
    names[renamed] = names[renamed] + " (old name)"
    manual_mask = sections["alias"].isin(manual_aliases).to_numpy()
    names[manual_mask] = "My " + names[manual_mask]
    courses = pd.DataFrame({
        "course_id": course_id.to_numpy(), "name": names, "section": sections["section"].to_numpy(),
        "room": sections["room"].to_numpy(), "description_heading": "", "description": "",
        "owner_email": owners.reindex(sections["alias"]).to_numpy(), "course_state": "ACTIVE",
    })
    aliases = pd.DataFrame({"course_id": course_id[~manual_mask].to_numpy(),
                            "alias": sections["alias"][~manual_mask].to_numpy()})
    enrollments = snapshot.enrollments
    keep = rng.random(len(enrollments)) >= 0.005
    in_manual = enrollments["alias"].isin(manual_aliases).to_numpy()
    keep &= ~in_manual | (rng.random(len(enrollments)) < 0.9)
    students = pd.DataFrame({"course_id": course_id[enrollments["alias"][keep]].to_numpy(),
                             "email": enrollments["email"][keep].to_numpy()})
    extra_count = len(enrollments) // 200
    extra = pd.DataFrame({"course_id": rng.choice(course_id.to_numpy(), extra_count),
                          "email": [f"left{i}@district.example.org" for i in range(extra_count)]})
    teachers = pd.DataFrame({"course_id": course_id[snapshot.teachers["alias"]].to_numpy(),
                             "email": snapshot.teachers["email"].to_numpy()})
    empty = pd.DataFrame({"student_email": pd.Series(dtype="str"), "guardian_email": pd.Series(dtype="str")})
    return ClassroomState(courses=courses, aliases=aliases, teachers=teachers,
                          students=pd.concat([students, extra], ignore_index=True), guardians=empty,
                          invitations=empty.assign(state="", invitation_id=""))


def run_once(students: int, scenario: str) -> dict[str, float]:
    """One measurement (in this process): baseline read, then our whole analysis."""
    from littlesis.core.analysis import AnalysisInput, analyze
    from littlesis.core.job_files import read_job
    from littlesis.core.rules import apply_rules
    from littlesis.core.sources.loader import load_snapshot

    csv_path = district_file(students)
    config = job_file(csv_path)
    job = read_job(config)
    state = ClassroomState.empty()
    if scenario == "nightly":
        state = nightly_cache(load_snapshot(job, config))
    pd.read_csv(csv_path, engine="pyarrow")  # warm up pyarrow's reader and the page cache, as ours is
    start = time.perf_counter()
    pd.read_csv(csv_path, engine="pyarrow")
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    snapshot = load_snapshot(job, config)
    scope = apply_rules(job.rules, snapshot.rule_view())
    plan = analyze(AnalysisInput(snapshot, scope, state, job.preferences))
    ours = time.perf_counter() - start
    return {"baseline": baseline, "ours": ours, "actions": len(plan.actions),
            "links": int((plan.matches["decision"] == "link").sum()) if len(plan.matches) else 0,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(students: int, scenario: str, runs: int) -> dict[str, float]:
    district_file(students)  # generate once, outside the timed children
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child", str(students), scenario],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ratios = [r["ours"] / r["baseline"] for r in results]
    return {"students": students, "scenario": scenario, "baseline": statistics.median(r["baseline"] for r in results),
            "ours": statistics.median(r["ours"] for r in results), "ratio": statistics.median(ratios),
            "ratio_max": max(ratios), "actions": results[0]["actions"], "links": results[0]["links"],
            "peak_mb": max(r["peak_mb"] for r in results)}


def table(results: list[dict[str, float]]) -> str:
    lines = ["| students | scenario | bare read | load+rules+match+analyze | ratio (median) | ratio (worst) "
             "| actions | links found | peak RSS |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['students']:,} | {r['scenario']} | {r['baseline']:.2f} s | {r['ours']:.2f} s "
                     f"| {r['ratio']:.1f}x | {r['ratio_max']:.1f}x | {r['actions']:,} | {r['links']:,} "
                     f"| {r['peak_mb']:,.0f} MB |")
    return "\n".join(lines)


def chart(results: list[dict[str, float]]) -> None:
    """Time against district size, one line per scenario, as a small hand-made SVG."""
    width, height, pad = 640, 360, 60
    xs = sorted({r["students"] for r in results})
    top = max(max(r["ours"], r["baseline"]) for r in results) * 1.1
    x_of = {n: pad + i * (width - 2 * pad) / max(len(xs) - 1, 1) for i, n in enumerate(xs)}

    def y(seconds: float) -> float:
        return height - pad - seconds / top * (height - 2 * pad)

    series = {"nightly": "#1f77b4", "first": "#d62728", "bare read": "#7f7f7f"}
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{pad}" y="24" font-size="14">Analysis time by district size (median seconds)</text>',
           f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
           f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>']
    for n in xs:
        svg.append(f'<text x="{x_of[n]}" y="{height - pad + 18}" text-anchor="middle">{n:,}</text>')
    for tick in np.linspace(0, top, 5):
        svg.append(f'<text x="{pad - 6}" y="{y(tick) + 4}" text-anchor="end">{tick:.0f}</text>')
    svg.append(f'<text x="{width / 2}" y="{height - 16}" text-anchor="middle">students</text>')
    for i, (name, color) in enumerate(series.items()):
        if name == "bare read":
            points = [(x_of[r["students"]], y(r["baseline"])) for r in results if r["scenario"] == "nightly"]
        else:
            points = [(x_of[r["students"]], y(r["ours"])) for r in results if r["scenario"] == name]
        if points:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            svg.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            svg.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>' for px, py in points)
        svg.append(f'<text x="{pad + 10}" y="{pad + 16 * i}" fill="{color}">{name}</text>')
    svg.append("</svg>")
    CHART.parent.mkdir(parents=True, exist_ok=True)
    CHART.write_text("\n".join(svg))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(run_once(int(sys.argv[2]), sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--scenarios", nargs="+", default=["nightly", "first"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    results = [measure(n, s, args.runs) for n in args.students for s in args.scenarios]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    block = (f"{START}\nMeasured {time.strftime('%Y-%m-%d')} on {machine}; `python bench/analysis.py --students "
             f"{' '.join(map(str, args.students))} --runs {args.runs}`; each run in a fresh process.\n\n"
             f"{table(results)}\n\n![analysis time by district size](img/analysis_scaling.svg)\n{END}")
    print(block)
    if args.write:
        chart(results)
        doc = ROOT / "docs" / "benchmarks.md"
        text = doc.read_text()
        doc.write_text(text[: text.index(START)] + block + text[text.index(END) + len(END):])


if __name__ == "__main__":
    main()
