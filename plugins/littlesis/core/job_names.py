"""Names of job config files people choose (cloning a job): one plain file name, never a path.

The clone writer puts the new file into the job configs folder; a name such as
``../../dags/x.yaml``, ``/etc/cron.d/x`` or ``C:\\x.yaml`` must not take it anywhere else.
``safe_config_filename`` checks the name alone (pure); ``config_path_in`` also
checks the final path against the folder, symbolic links resolved.
"""

from __future__ import annotations

import re
from pathlib import Path

from littlesis.core.errors import LittleSisError
from littlesis.core.job_files import CONFIG_SUFFIXES

MAX_NAME_LENGTH = 100
# A letter or digit first (no hidden files, no '-rf'), then letters, digits, '_' and '-'.
_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Names Windows reserves (a share mounted from a Windows server refuses them).
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


class UnsafeFileName(LittleSisError, ValueError):
    """The chosen name is not a plain config file name; the message says why and shows it."""

    def __init__(self, name: object, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"file name {name!r}: {reason}")


def safe_config_filename(name: str) -> str:
    """``name`` as a config file name (``.yaml`` added when it has no suffix), or UnsafeFileName."""
    if not isinstance(name, str):
        raise UnsafeFileName(name, "must be text")
    if name != name.strip() or not name:
        raise UnsafeFileName(name, "must not be empty or start or end with a blank")
    if any(ch in name for ch in "/\\\x00:"):
        raise UnsafeFileName(name, "must be a file name, not a path (no '/', '\\', ':' or NUL)")
    if name.startswith("."):
        raise UnsafeFileName(name, "must not start with '.' (no hidden files, no '..')")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, "yaml"
    if f".{suffix}" not in CONFIG_SUFFIXES:
        raise UnsafeFileName(name, f"must end in {' or '.join(CONFIG_SUFFIXES)}")
    if not _STEM.match(stem):
        raise UnsafeFileName(name, "may hold only letters, digits, '_' and '-', starting with a letter or digit")
    if stem.lower() in _RESERVED:
        raise UnsafeFileName(name, "is a name Windows reserves for a device")
    filename = f"{stem}.{suffix}"
    if len(filename) > MAX_NAME_LENGTH:
        raise UnsafeFileName(name, f"is longer than {MAX_NAME_LENGTH} characters")
    return filename


def config_path_in(folder: Path, name: str) -> Path:
    """Where the config ``name`` goes inside ``folder``; UnsafeFileName if it would land elsewhere
    (the folder itself may be a link; a link planted at the file's place may not lead out)."""
    filename = safe_config_filename(name)
    root = folder.resolve(strict=False)
    target = (root / filename).resolve(strict=False)
    if target.parent != root:
        raise UnsafeFileName(name, f"would be written outside {root} (a symbolic link?)")
    return target
