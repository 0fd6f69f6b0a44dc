"""A plan: the actions a commit would apply, as plain data in a fixed, safe order.

Like octodns' plan, actions are data (a kind, the class alias, a target, a
JSON payload and a human reason) with a deterministic id: the same inputs
give the same ids, so plans can be compared, checksummed, staged row by row
and re-applied idempotently. Held as one DataFrame because a first sync of a
large district plans well over a million actions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# The commit applies kinds in this order: courses exist before members are added,
# a new owner is a co-teacher before the transfer, removals after additions.
KINDS = (
    "create_course", "link_course", "update_course", "add_teacher", "change_owner", "add_student",
    "remove_student", "remove_teacher", "invite_guardian", "withdraw_guardian_invitation", "archive_course",
)
KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
ACTION_COLUMNS = ["action_id", "kind", "alias", "target", "payload", "reason", "position", "school", "teacher",
                  "alternative"]
NO_UPDATES = "no updates required"


def action_ids(kind: pd.Series, alias: pd.Series, target: pd.Series, payload: pd.Series) -> pd.Series:
    """128-bit ids (hex) from the action's content, computed column-wise.

    pandas' hash_array is SipHash with fixed keys, so ids are stable between runs;
    two independent keys make collisions in a plan of millions negligible.
    """
    text = (kind + "\x1f" + alias + "\x1f" + target + "\x1f" + payload).to_numpy(dtype=object)
    high = pd.util.hash_array(text, hash_key="littlesis-plan-1", categorize=False)
    low = pd.util.hash_array(text, hash_key="littlesis-plan-2", categorize=False)
    return pd.Series([f"{hi:016x}{lo:016x}" for hi, lo in zip(high, low, strict=True)], index=kind.index, dtype="str")


def actions_frame(
    kind: str, alias: pd.Series | np.ndarray, target: pd.Series | np.ndarray, payload: pd.Series | np.ndarray,
    reason: str | pd.Series | np.ndarray, school: pd.Series | np.ndarray | None = None,
    teacher: pd.Series | np.ndarray | None = None, alternative: str | pd.Series | np.ndarray = "",
) -> pd.DataFrame:
    """Actions of one kind from aligned columns (ids and positions are set when the plan is assembled)."""
    size = len(alias)
    blank = np.full(size, "", dtype=object)
    return pd.DataFrame({
        "kind": np.full(size, kind, dtype=object),
        "alias": np.asarray(alias, dtype=object),
        "target": np.asarray(target, dtype=object),
        "payload": np.asarray(payload, dtype=object),
        "reason": np.full(size, reason, dtype=object) if isinstance(reason, str) else np.asarray(reason, dtype=object),
        "school": blank if school is None else np.asarray(school, dtype=object),
        "teacher": blank if teacher is None else np.asarray(teacher, dtype=object),
        "alternative": np.full(size, alternative, dtype=object) if isinstance(alternative, str)
        else np.asarray(alternative, dtype=object),
    })


def assemble(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All actions in safe order, with ids and positions."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "position" else "str") for c in ACTION_COLUMNS})
    frame = pd.concat(parts, ignore_index=True)
    frame["order"] = frame["kind"].map(KIND_ORDER)
    frame = frame.sort_values(["order", "alias", "target", "payload"], kind="stable").reset_index(drop=True)
    for column in ("kind", "alias", "target", "payload", "reason", "school", "teacher", "alternative"):
        frame[column] = frame[column].astype("str")
    frame["action_id"] = action_ids(frame["kind"], frame["alias"], frame["target"], frame["payload"])
    frame["position"] = np.arange(len(frame), dtype=np.int64)
    return frame[ACTION_COLUMNS]


@dataclass
class SafetyVerdict:
    unsafe: bool = False
    reasons: list[str] = field(default_factory=list)
    removal_share: float = 0.0
    changed_course_share: float = 0.0


@dataclass
class Plan:
    actions: pd.DataFrame
    no_updates: list[str]
    excluded: pd.DataFrame  # alias, rule
    matches: pd.DataFrame  # matching.MATCH_COLUMNS
    safety: SafetyVerdict = field(default_factory=SafetyVerdict)

    def counts(self) -> dict[str, int]:
        counts = self.actions["kind"].value_counts()
        return {kind: int(counts.get(kind, 0)) for kind in KINDS if counts.get(kind, 0)}

    def checksum(self) -> str:
        """Changes when any action changes; the same for the same plan."""
        digest = hashlib.sha256()
        for action_id in self.actions["action_id"]:
            digest.update(action_id.encode())
        return digest.hexdigest()

    def is_empty(self) -> bool:
        return self.actions.empty
