"""A folder in a run's artifacts location: a local path or any fsspec URL (``file://``, ``s3://``, ``gs://``).

Workers on several machines share the artifacts through object storage; one machine can use
a local folder. Credentials come from the filesystem's own configuration (as for the source
exports, which are read through fsspec too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem


@dataclass(frozen=True)
class Folder:
    fs: Any  # fsspec.AbstractFileSystem (untyped upstream)
    path: str

    @classmethod
    def at(cls, location: str) -> Folder:
        fs, path = fsspec.core.url_to_fs(str(location))
        return cls(fs, path.rstrip("/") or "/")

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    @property
    def location(self) -> str:
        """What a reader is given: a plain path on the local disk, else the full URL."""
        return self.path if self.is_local else str(self.fs.unstrip_protocol(self.path))

    def child(self, *parts: str) -> Folder:
        return Folder(self.fs, "/".join([self.path, *parts]))

    def file(self, name: str) -> str:
        """The location of file ``name`` (may hold '/') inside this folder."""
        return self.child(name).location

    def exists(self, name: str | None = None) -> bool:
        return bool(self.fs.exists(self._path(name)))

    def read_bytes(self, name: str) -> bytes:
        return bytes(self.fs.cat_file(self._path(name)))

    def write_bytes(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        if self.is_local:
            # A reader never sees half a file: write beside it, then rename (atomic on one disk).
            partial = path + ".partial"
            self.fs.pipe_file(partial, data)
            self.fs.mv(partial, path)
        else:  # an object store's PUT is atomic already
            self.fs.pipe_file(path, data)

    def delete(self, name: str) -> None:
        if self.exists(name):
            self.fs.rm_file(self._path(name))

    def remove(self) -> None:
        """This folder and everything under it (nothing when it does not exist)."""
        if self.exists():
            self.fs.rm(self.path, recursive=True)

    def _path(self, name: str | None) -> str:
        return self.path if name is None else f"{self.path}/{name}"
