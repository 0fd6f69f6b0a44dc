"""The demo's process book: a recorded process and everything it started stop; nothing else does."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from littlesis.deploy.processes import ProcessBook, Stopped, is_alive

# A parent with two children: one in the parent's group that ignores SIGINT and SIGTERM, one that moves
# to a group of its own (as Airflow's task runners do) and starts a grandchild there. The parent ends on
# SIGINT without stopping them.
TREE = r"""
import os, signal, subprocess, sys, time
out = sys.argv[1]
stubborn = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
grouped = subprocess.Popen([sys.executable, "-c",
    "import os, subprocess, sys, time; os.setpgid(0, 0); "
    "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
    "open(sys.argv[1], 'w').write(str(c.pid)); time.sleep(600)", out + ".grandchild"])
while not os.path.exists(out + ".grandchild") or not open(out + ".grandchild").read():
    time.sleep(0.05)
pids = [os.getpid(), stubborn.pid, grouped.pid, int(open(out + ".grandchild").read())]
open(out + ".partial", "w").write(" ".join(map(str, pids)))
os.replace(out + ".partial", out)
time.sleep(600)
"""


def wait_for_file(path: Path, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return path.read_text()


def alive(pid: int) -> bool:
    try:
        return is_alive(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def book(tmp_path):
    book = ProcessBook(tmp_path / "pids", tmp_path / "logs")
    yield book
    book.stop_all(grace_s=1)


def test_stop_ends_the_recorded_process_its_children_and_their_own_groups(book, tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(TREE)
    out = tmp_path / "tree.pids"
    started = book.start("tree", [sys.executable, str(script), str(out)], env={"PATH": "/usr/bin:/bin"},
                         cwd=tmp_path)
    pids = [int(p) for p in wait_for_file(out).split()]
    assert pids[0] == started.pid and all(alive(pid) for pid in pids)
    assert book.pid_file("tree").read_text().split()[0] == str(started.pid)
    assert book.running("tree") is not None

    stopped = book.stop("tree", grace_s=1)

    assert set(pids) <= set(stopped.pids)
    assert [entry.split()[0] for entry in stopped.killed] == [str(pids[1])]  # the one ignoring signals
    assert [pid for pid in pids if alive(pid)] == []
    assert not book.pid_file("tree").exists()
    assert book.running("tree") is None


def test_a_pid_the_system_gave_to_another_process_is_left_alone(book, tmp_path):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        book.pid_dir.mkdir(parents=True)
        # Recorded with another start time: the process we started under this PID has ended.
        book.pid_file("old").write_text(f"{stranger.pid}\n{psutil.Process(stranger.pid).create_time() - 100}\n")
        assert book.running("old") is None
        assert book.stop_all(grace_s=1) == {"old": Stopped([], [])}
        assert stranger.poll() is None
        assert not book.pid_file("old").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_output_goes_to_the_log_and_a_finished_process_is_not_running(book, tmp_path):
    process = book.start("echo", [sys.executable, "-c", "print('hello from the demo')"], env={}, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while is_alive(process):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert book.running("echo") is None
    assert book.log_file("echo").read_text() == "hello from the demo\n"
