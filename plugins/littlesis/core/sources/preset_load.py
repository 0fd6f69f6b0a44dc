"""The state of one load in progress: which files were read, what was rejected, warnings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from littlesis.core.snapshot import SourceFile
from littlesis.core.sources.columns import canonicalize
from littlesis.core.sources.csvio import CsvTable, read_csv_bytes
from littlesis.core.sources.mapping import ResolvedMapping
from littlesis.core.sources.package import Package
from littlesis.core.sources.rejections import Rejections


@dataclass
class PresetLoad:
    package: Package
    mapping: ResolvedMapping
    encoding: str = "auto"
    rejections: Rejections = field(default_factory=Rejections)
    warnings: list[str] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    _tables: dict[str, CsvTable] = field(default_factory=dict)

    def table(
        self, name: str, wanted: Mapping[str, tuple[str, ...]], required: tuple[str, ...] = (),
        only: set[str] | None = None,
    ) -> CsvTable:
        """A file of the package, read once, its columns under canonical names.

        ``only``: the columns the job uses, when they are known before reading (generic preset).
        """
        key = name.lower()
        table = self._tables.get(key)
        if table is None:
            data = self.package.read(name)
            table = read_csv_bytes(data, self.package.label_of(name), self.rejections, self.encoding, only)
            self.warnings.extend(table.warnings)
            self.files.append(SourceFile(name, self.package.location_of(name), table.sha256, len(data),
                                         table.encoding, table.arrow.num_rows))
            self._tables[key] = table
        canonicalize(table, wanted, required)
        return table
