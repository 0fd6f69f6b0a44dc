"""An owner transfer waits for its new owner's add_teacher, and the course's teacher removals wait for the
transfer (the bug seed 24 found, replayed here step by step without randomness)."""

from __future__ import annotations

from littlesis.classroom import GoogleClassroomClient, RetryPolicy
from littlesis.classroom.credentials import static_token
from littlesis.emulator import EmulatorServer
from tests.classroom.apply_support import commit, hand_plan, new_store, results
from tests.classroom.helpers import ADMIN, DOMAIN, Hooks

OLD, NEW = f"old.owner@{DOMAIN}", f"new.owner@{DOMAIN}"
SEED = {"domains": [DOMAIN], "auto_users": True, "users": [{"email": NEW}],
        "courses": [{"name": "Chemistry", "ownerEmail": OLD, "courseState": "ACTIVE", "aliases": ["d:SIS-1"]}]}
PLAN = [
    {"kind": "add_teacher", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": NEW}},
    {"kind": "change_owner", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"ownerId": NEW}},
    {"kind": "remove_teacher", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": OLD}},
]


def test_a_transfer_and_the_old_owners_removal_wait_until_the_new_owner_teaches(tmp_path):
    engine = new_store(tmp_path / "store.db")
    add, transfer, remove = hand_plan(engine, "r1", PLAN)
    with EmulatorServer(seed=SEED) as server:
        hooks = Hooks(server.base_url)
        client = GoogleClassroomClient(server.base_url, credentials=static_token(ADMIN),
                                       retry=RetryPolicy(base=0, cap=0, max_attempts=2))
        try:
            hooks.faults(spec="courses.teachers.create=503")
            first = commit(client, engine, "r1")
            held = results(engine, "r1")
            hooks.faults(spec="")
            second = commit(client, engine, "r1")
        finally:
            client.close()
        course = hooks.course("d:SIS-1")
        emails = {u["id"]: u["emailAddress"] for u in hooks.state()["users"]}

    assert held[add].result_reason.startswith("retries exhausted after 2 attempts: UNAVAILABLE (503)")
    assert held[transfer].status == "skipped" and held[transfer].result_reason.startswith(
        f"not sent: {NEW} is not a teacher of d:SIS-1 yet (add_teacher failed: retries exhausted")
    assert held[remove].status == "skipped" and held[remove].result_reason.startswith(
        "not sent: the owner of d:SIS-1 has not changed yet (change_owner failed: not sent: ")
    assert first.calls.calls == {"courses.teachers.create": 1}  # neither refusal was asked for
    assert second.reopened == 3 and second.totals() == {"done": 3} and second.state == "committed"
    assert emails[course["ownerId"]] == NEW and [m["emailAddress"] for m in course["teachers"]] == [NEW]
    engine.dispose()
