"""A multi-file export (OneRoster, SDS): a folder or a .zip of CSV files.

File names are matched case-insensitively (``Section.csv`` and ``section.csv``
both occur in the wild).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from littlesis.core.errors import Problem, SourceError
from littlesis.core.sources.locations import is_url, read_bytes, read_head

MAX_MEMBER_BYTES = 2_000_000_000  # refuse zip bombs before inflating them


class Package:
    def __init__(self, location: str, label: str):
        self.location = location
        self.label = label
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if location.lower().endswith(".zip"):
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(read_bytes(location, label)))
            except zipfile.BadZipFile:
                raise SourceError(Problem(label, "not a valid zip file", value=location)) from None
            for info in self._zip.infolist():
                if not info.is_dir():
                    self._names.setdefault(Path(info.filename).name.lower(), info.filename)
        elif is_url(location):
            import fsspec

            fs, path = fsspec.core.url_to_fs(location)
            if not fs.isdir(path):
                raise SourceError(Problem(label, "folder not found", value=location))
            for entry in fs.ls(path, detail=False):
                self._names.setdefault(Path(entry).name.lower(), Path(entry).name)
        else:
            folder = Path(location)
            if not folder.is_dir():
                raise SourceError(Problem(label, "folder not found", value=location))
            for entry in folder.iterdir():
                if entry.is_file():
                    self._names.setdefault(entry.name.lower(), entry.name)

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def label_of(self, name: str) -> str:
        return f"{self.label}/{self._names.get(name.lower(), name)}"

    def location_of(self, name: str) -> str:
        real = self._names.get(name.lower(), name)
        return f"{self.location}!{real}" if self._zip else f"{self.location.rstrip('/')}/{real}"

    def read(self, name: str) -> bytes:
        real = self._names.get(name.lower())
        if real is None:
            raise SourceError(Problem(self.label_of(name), "required file is missing from the export",
                                      value=self.location))
        if self._zip is not None:
            info = self._zip.getinfo(real)
            if info.file_size > MAX_MEMBER_BYTES:
                raise SourceError(Problem(self.label_of(name), "zip member is too large", value=info.file_size))
            return self._zip.read(real)
        return read_bytes(self.location_of(name), self.label_of(name))

    def head(self, name: str) -> bytes:
        if self._zip is not None:
            return self.read(name)[: 1 << 16]
        real = self._names.get(name.lower())
        if real is None:
            raise SourceError(Problem(self.label_of(name), "required file is missing from the export",
                                      value=self.location))
        return read_head(self.location_of(name), self.label_of(name))
