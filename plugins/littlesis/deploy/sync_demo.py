"""``bin/littlesis demo sync``: the demo jobs synced into an in-process emulator, without Airflow.

The quickest look at what a sync does (and a check that the demo data still syncs cleanly);
``make demo`` runs the same jobs in Airflow instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from littlesis.core.job_files import read_job


def sync_demo_jobs(configs: list[Path], root: Path) -> int:
    """Sync the demo jobs into an emulator in this process, approving everything; a fresh store each time."""
    from littlesis.classroom.credentials import static_token
    from littlesis.classroom.google_client import GoogleClassroomClient
    from littlesis.classroom.ratelimit import TokenBucket
    from littlesis.emulator import EmulatorServer
    from littlesis.service.analysis_run import run_analysis
    from littlesis.service.sync_run import run_sync
    from littlesis.store.engine import make_engine, sqlite_url
    from littlesis.store.migrate import upgrade

    workdir = root / ".demo" / "sync"  # beside, never inside, the Airflow demo's own files in .demo/
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "store.db"
    for leftover in workdir.glob("store.db*"):
        leftover.unlink()  # each run starts from an empty store, like the empty domain
    url = sqlite_url(store)
    upgrade(url)
    engine = make_engine(url)
    seed = json.loads((root / "include" / "demo" / "classroom_seed.json").read_text())
    domain = "admin@district.example.org (emulated)"
    with EmulatorServer(seed=seed) as server:
        print(f"Syncing into an emulated Classroom domain at {server.base_url} (3 classes teachers made by hand)")
        client = GoogleClassroomClient(server.base_url, credentials=static_token("admin@district.example.org"),
                                       limiter=TokenBucket(500))
        try:
            for path in configs:
                job = read_job(path)
                outcome = run_sync(job, path, engine, client, domain, approve="all", actor="demo", smtp_conn_id=None)
                counts = ", ".join(f"{k} {v}" for k, v in outcome.analysis.counts.items())
                print(f"  {job.id}: planned {counts}")
                if outcome.commit is not None:
                    print(f"  {job.id}: committed {outcome.commit.run_statuses} in {outcome.commit.seconds:.1f} s "
                          f"({outcome.commit.calls.total_calls} API calls)")
                for note in outcome.notes:
                    print(f"  {job.id}: {note}")
                again = run_analysis(job, path, engine, domain)
                print(f"  {job.id}: analysis after the commit plans {sum(again.counts.values())} actions")
        finally:
            client.close()
    print(f"\nThe store is {store.relative_to(root)}; try: bin/littlesis emulator --seed "
          "include/demo/classroom_seed.json, then bin/littlesis analyze (see the README).")
    return 0
