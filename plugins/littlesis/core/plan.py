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
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

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
# Actions left out because Classroom would refuse them (see capacity): what they were and why.
REFUSED_COLUMNS = ["kind", "alias", "target", "payload", "reason", "alternative"]


def no_refusals() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in REFUSED_COLUMNS})


def action_ids(kind: pd.Series, alias: pd.Series, target: pd.Series, payload: pd.Series) -> pd.Series:
    """128-bit ids (hex) from the action's content, computed column-wise.

    Each column's distinct values are hashed (pandas' SipHash with fixed keys, so
    ids are stable between runs) and the column hashes mixed per row; two
    independent keys make a collision in a plan of millions negligible.
    """
    columns = [kind, alias, target, payload]
    high = _mix([_hashes(c, "littlesis-plan-1") for c in columns])
    low = _mix([_hashes(c, "littlesis-plan-2") for c in columns])
    pair = np.empty((len(kind), 2), dtype=">u8")
    pair[:, 0], pair[:, 1] = high, low
    hexes = np.frombuffer(pair.tobytes().hex().encode("ascii"), dtype="S32")
    return pd.Series(pd.arrays.ArrowStringArray(pa.array(hexes, type=pa.binary(32)).cast(pa.string())),
                     index=kind.index)


def _hashes(values: pd.Series, key: str) -> np.ndarray:
    codes, distinct = pd.factorize(values)
    hashed = pd.util.hash_array(np.asarray(distinct, dtype=object), hash_key=key, categorize=False)
    return hashed[codes]


def _mix(hashes: list[np.ndarray]) -> np.ndarray:
    # The combination pandas uses for rows of several columns (order matters).
    result = np.full(len(hashes[0]), 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for i, h in enumerate(hashes):
        result = (result ^ h) * multiplier
        multiplier += np.uint64(82520 + 2 * (len(hashes) - i))
    return result + np.uint64(97531)


Column: TypeAlias = pd.Series | np.ndarray | str


def _text(values: Column, size: int) -> pd.Series:
    """A pyarrow-backed text column: constants are repeated in C, Series are reused."""
    if isinstance(values, str):
        return pd.Series(pd.arrays.ArrowStringArray(pa.array([values]).take(pa.array(np.zeros(size, dtype=np.int64)))))
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True).astype("str")
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def actions_frame(
    kind: str, alias: Column, target: Column, payload: Column, reason: Column,
    school: Column = "", teacher: Column = "", alternative: Column = "",
) -> pd.DataFrame:
    """Actions of one kind from aligned columns (ids and positions are set when the plan is assembled)."""
    size = len(alias)
    columns = {"kind": kind, "alias": alias, "target": target, "payload": payload, "reason": reason,
               "school": school, "teacher": teacher, "alternative": alternative}
    return pd.DataFrame({name: _text(values, size) for name, values in columns.items()})


def assemble(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All actions in safe order (kind order; build order within a kind), with ids and positions."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "position" else "str") for c in ACTION_COLUMNS})
    # Each part holds one kind: ordering the parts orders the actions, no row sort needed.
    parts.sort(key=lambda part: KIND_ORDER[part["kind"].iloc[0]])
    frame = pd.concat(parts, ignore_index=True)
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
    refused: pd.DataFrame = field(default_factory=no_refusals)  # REFUSED_COLUMNS

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
