"""Benchmark: loading a generic export vs a bare pandas read of the same file.

For each district size, runs (in alternation, so machine noise hits both)
``pandas.read_csv(path, engine="pyarrow")`` and our full load
(``load_snapshot``: parse, normalize, check every row, build the canonical
tables), and reports medians and the median of per-run ratios. Target: the
load within 3x of the bare read for 200k students (1.4M rows).

    python bench/load_generic.py --students 20000 200000 --runs 5 [--write]

``--write`` replaces the load_generic block of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from district import generate, write_generic  # noqa: E402

from littlesis.core.job_files import read_job  # noqa: E402
from littlesis.core.sources.loader import load_snapshot  # noqa: E402

OUT = ROOT / "bench" / "out"
START, END = "<!-- load_generic:start -->", "<!-- load_generic:end -->"


def district_file(students: int) -> Path:
    path = OUT / f"generic_{students}.csv"
    if not path.exists():
        write_generic(generate(students), path)
    return path


def job_file(csv_path: Path) -> Path:
    path = csv_path.with_suffix(".yaml")
    path.write_text(f"id: bench\nname: Bench\nsource: {{preset: generic, files: {{roster: {csv_path.name}}}}}\n"
                    "mapping: {guardian_emails: '{GuardianEmail}'}\n")
    return path


def measure(students: int, runs: int) -> dict[str, float]:
    csv_path = district_file(students)
    config = job_file(csv_path)
    job = read_job(config)
    load_snapshot(job, config)  # warm the page cache and imports for both contenders
    baseline, ours, ratios = [], [], []
    rows = 0
    for _ in range(runs):
        start = time.perf_counter()
        rows = len(pd.read_csv(csv_path, engine="pyarrow"))
        base = time.perf_counter() - start
        start = time.perf_counter()
        snapshot = load_snapshot(job, config)
        load = time.perf_counter() - start
        assert len(snapshot.enrollments) > 0
        baseline.append(base)
        ours.append(load)
        ratios.append(load / base)
    return {"students": students, "rows": rows, "baseline": statistics.median(baseline),
            "ours": statistics.median(ours), "ratio": statistics.median(ratios),
            "ratio_max": max(ratios), "runs": runs}


def table(results: list[dict[str, float]]) -> str:
    lines = ["| students | rows | pandas read_csv (pyarrow) | our load | ratio (median) | ratio (worst) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['students']:,} | {r['rows']:,} | {r['baseline']:.2f} s | {r['ours']:.2f} s "
                     f"| {r['ratio']:.2f}x | {r['ratio_max']:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    results = [measure(n, args.runs) for n in args.students]
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"pandas {pd.__version__}")
    block = (f"{START}\nMeasured {time.strftime('%Y-%m-%d')} on {machine}; "
             f"`python bench/load_generic.py --students {' '.join(map(str, args.students))} --runs {args.runs}`; "
             f"medians of {args.runs} alternating runs.\n\n{table(results)}\n{END}")
    print(block)
    if args.write:
        doc = ROOT / "docs" / "benchmarks.md"
        text = doc.read_text()
        doc.write_text(text[: text.index(START)] + block + text[text.index(END) + len(END):])


if __name__ == "__main__":
    main()
