"""The processes the demo starts, recorded by PID so that stopping ends exactly those.

Each one starts detached in a session (and process group) of its own, writes its output to
``<logs>/<name>.log`` and is recorded in ``<pids>/<name>.pid``: the PID on the first line,
its start time on the second, so a PID the system gave to someone else later is never
mistaken for ours. Stopping sends SIGINT to the recorded process alone, as Ctrl-C would:
``airflow standalone`` then stops each of its components with SIGTERM, and each ends its own
workers in order. (Signalling the whole group at once makes the scheduler wait for
LocalExecutor workers that ignore it.) What is still running after a grace period gets
SIGTERM, and a few seconds later SIGKILL, with the process groups of everything the recorded
process started (Airflow puts each task in a group of its own).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

STOP_GRACE_S = 20.0
TERM_GRACE_S = 5.0


@dataclass(frozen=True)
class Stopped:
    pids: list[int]  # the processes that were running: the recorded one and all it had started
    killed: list[str]  # "pid name" of those still running after the grace period (then SIGKILLed)


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    started: float  # psutil's create_time of the process


def is_alive(process: psutil.Process) -> bool:
    """Running (a zombie has finished; it only waits for its parent to collect it)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class ProcessBook:
    """The pid files of one demo folder."""

    def __init__(self, pid_dir: Path, log_dir: Path) -> None:
        self.pid_dir = pid_dir
        self.log_dir = log_dir
        # Children started by this object, kept to collect their exit status when they stop (no zombie).
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def pid_file(self, name: str) -> Path:
        return self.pid_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def recorded(self) -> list[Recorded]:
        entries = []
        for path in sorted(self.pid_dir.glob("*.pid")):
            entry = self._read(path)
            if entry is not None:
                entries.append(entry)
        return entries

    def running(self, name: str) -> psutil.Process | None:
        """The recorded process of ``name`` if it is still the one we started and still alive."""
        entry = self._read(self.pid_file(name))
        return None if entry is None else _ours(entry)

    def start(self, name: str, command: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> psutil.Process:
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file(name).open("ab") as log:
            child = subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._children[child.pid] = child
        process = psutil.Process(child.pid)
        partial = self.pid_file(name).with_suffix(".pid.partial")
        partial.write_text(f"{child.pid}\n{process.create_time()!r}\n")
        partial.replace(self.pid_file(name))
        return process

    def stop(self, name: str, grace_s: float = STOP_GRACE_S) -> Stopped:
        """Stop ``name`` and everything it started; returns the PIDs that were still running."""
        path = self.pid_file(name)
        entry = self._read(path)
        process = None if entry is None else _ours(entry)
        stopped = stop_tree(process, grace_s) if process is not None else Stopped([], [])
        child = self._children.pop(entry.pid, None) if entry is not None else None
        if child is not None:
            child.wait(timeout=5)
        path.unlink(missing_ok=True)
        return stopped

    def stop_all(self, grace_s: float = STOP_GRACE_S) -> dict[str, Stopped]:
        return {entry.name: self.stop(entry.name, grace_s) for entry in self.recorded()}

    def _read(self, path: Path) -> Recorded | None:
        try:
            lines = path.read_text().split()
            return Recorded(path.stem, int(lines[0]), float(lines[1]))
        except (OSError, ValueError, IndexError):
            return None


def _ours(entry: Recorded) -> psutil.Process | None:
    try:
        process = psutil.Process(entry.pid)
        same = abs(process.create_time() - entry.started) < 0.01
    except psutil.NoSuchProcess:
        return None
    return process if same and is_alive(process) else None


def stop_tree(root: psutil.Process, grace_s: float = STOP_GRACE_S) -> Stopped:
    """SIGINT ``root``; after ``grace_s`` SIGTERM what is left of its tree, then SIGKILL."""
    tree = _tree(root)
    pids = {p.pid for p in tree}
    # Only groups led by a process of the tree: never a group someone else owns.
    groups = {pgid for pgid in (_pgid(p.pid) for p in tree) if pgid is not None and pgid in pids}
    _signal([root], [], signal.SIGINT)
    alive = _wait_until_gone(tree, grace_s)
    if alive:
        _signal(alive, [], signal.SIGTERM)
        alive = _wait_until_gone(alive, TERM_GRACE_S)
    # A process that started between the snapshot and now is in one of the groups.
    late = [p for p in psutil.process_iter() if p.pid not in pids and _pgid(p.pid) in groups]
    leftovers = [p for p in [*alive, *late] if is_alive(p)]
    killed = [f"{p.pid} {_name(p)}" for p in leftovers]
    if leftovers:
        _signal(leftovers, groups, signal.SIGKILL)
        _wait_until_gone(leftovers, TERM_GRACE_S)
    return Stopped(sorted(pids), killed)


def _name(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())[:80] or process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "?"


def _wait_until_gone(processes: Sequence[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """The processes still alive after ``timeout_s``. (psutil.wait_procs would wait for a zombie whose
    parent is not us to be collected; it has finished, so it counts as gone here.)"""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in processes if is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if is_alive(p)]
    return alive


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [root]


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None


def _signal(processes: Iterable[psutil.Process], groups: Iterable[int], sig: signal.Signals) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.send_signal(sig)
