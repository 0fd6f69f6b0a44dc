"""Reading one messy SIS CSV export into a table of text columns.

Real exports arrive as UTF-8 with or without a BOM, UTF-16, or Windows-1252;
with CRLF line ends, every value quoted, blank lines, duplicate or empty header
names, and rows with a stray field too many or too few. This module reads all
of that with pyarrow's parser (fast enough for a 1.4M-row district) and keeps
enough to name the physical line of any record it later has to reject.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from littlesis.core.coded import CodedColumns
from littlesis.core.errors import Problem, SourceError
from littlesis.core.sources.rejections import Rejections

BLANK_PREFIX = "_blank_"


@dataclass
class CsvTable:
    """One CSV file's records.

    ``arrow`` holds every column dictionary-encoded (each distinct value once,
    plus an integer code per row): a 1.4M-row export has only a few hundred
    thousand distinct values, so work done per distinct value is cheap.
    ``records`` gives each arrow row's record number (0-based, blank rows
    dropped); ``frame`` is the same data as pandas text columns indexed by
    record number, built on first use.
    """

    label: str
    arrow: pa.Table = field(repr=False)
    records: np.ndarray = field(repr=False)
    data: bytes = field(repr=False)
    sha256: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    _record_lines: np.ndarray | None = field(default=None, repr=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _coded: CodedColumns | None = field(default=None, repr=False)

    @property
    def coded(self) -> CodedColumns:
        """The columns as integer codes into distinct stripped values (built per column on use)."""
        if self._coded is None:
            self._coded = CodedColumns(self.arrow)
        return self._coded

    @property
    def columns(self) -> list[str]:
        return list(self.arrow.column_names)

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = decode_rows(self.arrow, None, pd.Index(self.records))
        return self._frame

    def rename(self, renames: dict[str, str]) -> None:
        """Give columns their canonical names (both views)."""
        self.arrow = self.arrow.rename_columns([renames.get(n, n) for n in self.arrow.column_names])
        self._coded = None
        if self._frame is not None:
            self._frame = self._frame.rename(columns=renames)

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The given arrow rows as text columns, indexed by record number."""
        return decode_rows(self.arrow, positions, pd.Index(self.records[positions]))

    def lines_of(self, records: pd.Index | np.ndarray) -> np.ndarray:
        """Physical 1-based line numbers where the given records start."""
        if self._record_lines is None:
            self._record_lines = _record_start_lines(self.data)
        return self._record_lines[np.asarray(records, dtype=np.int64)]


def decode_rows(table: pa.Table, positions: np.ndarray | None, index: pd.Index) -> pd.DataFrame:
    if positions is not None:
        table = table.take(pa.array(positions, type=pa.int64()))
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        plain = column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
        columns[name] = pd.Series(pd.arrays.ArrowStringArray(plain), index=index, copy=False)
    return pd.DataFrame(columns, index=index)


def decode_to_utf8(data: bytes, label: str, encoding: str = "auto") -> tuple[bytes, str]:
    """The file's bytes as UTF-8 without a BOM, and the encoding they were read as."""
    if encoding == "auto":
        if data.startswith(codecs.BOM_UTF8):
            return _without_nul(data[len(codecs.BOM_UTF8):], label), "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _without_nul(data.decode("utf-16").encode("utf-8"), label), "utf-16"
        # Optimistic: pyarrow checks UTF-8 while parsing; read_csv_bytes falls back to
        # Windows-1252 (what Excel and most Windows SIS tools write) if that fails.
        return _without_nul(data, label), "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(Problem(label, f"not valid {encoding} text (byte {exc.start})", line=line)) from None
    return _without_nul(text.lstrip("\ufeff").encode("utf-8"), label), encoding


def _without_nul(utf8: bytes, label: str) -> bytes:
    """``utf8`` unchanged; a NUL byte (never in a text export) fails the load naming its line."""
    nul = utf8.find(b"\x00")
    if nul < 0:
        return utf8
    head = utf8[:200]
    if head[1::2].count(0) > len(head) // 4:  # ASCII text stored as UTF-16: every other byte is 0
        order = "le" if head[1:2] == b"\x00" else "be"
        raise SourceError(Problem(label, "looks like UTF-16 text without a byte-order mark; set "
                                  f"source.encoding: utf-16-{order} in the job config", line=1))
    line = utf8[:nul].count(b"\n") + 1
    raise SourceError(Problem(label, "contains a NUL byte (binary file or wrong encoding?)", line=line))


def read_csv_bytes(
    data: bytes, label: str, rejections: Rejections, encoding: str = "auto", only: set[str] | None = None
) -> CsvTable:
    """Parse a whole export. ``only`` names the columns a job uses (matched case-insensitively):
    the others are checked for shape but not converted, which halves the work on wide exports."""
    # Hash in another thread while pyarrow parses (both release the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        table, utf8, used, warnings, record_lines = _parse(data, label, rejections, encoding, only)
        sha256 = digest.result()
    blank_named = [n for n in table.column_names if n.startswith(BLANK_PREFIX)]
    if blank_named:
        filled = [n for n in blank_named if _has_values(table.column(n))]
        if filled:
            warnings.append(f"{label}: {len(filled)} column(s) without a usable header name hold values; ignored")
        table = table.drop_columns(blank_named)
    records = np.arange(table.num_rows, dtype=np.int64)
    columns = CodedColumns(table)
    blank_rows = _all_blank(table, columns)
    if blank_rows.any():
        warnings.append(f"{label}: {int(blank_rows.sum())} blank row(s) skipped")
        keep = ~blank_rows
        table = table.filter(pa.array(keep))
        records = records[keep]
        columns = CodedColumns(table)
    return CsvTable(label, table, records, utf8, sha256, used, warnings, record_lines, _coded=columns)


def _parse(
    data: bytes, label: str, rejections: Rejections, encoding: str, only: set[str] | None
) -> tuple[pa.Table, bytes, str, list[str], np.ndarray | None]:
    utf8, used = decode_to_utf8(data, label, encoding)
    header, header_end = _read_header(utf8, label)
    names, warnings = _clean_header(header, label)
    try:
        table = _parse_fast(memoryview(utf8)[header_end:], names, _wanted(names, only))
    except pa.ArrowInvalid as exc:
        if encoding != "auto" or used != "utf-8" or "UTF8" not in str(exc).upper().replace("-", ""):
            raise SourceError(Problem(label, f"cannot parse as CSV: {exc}")) from None
        utf8, used = data.decode("cp1252", errors="replace").encode("utf-8"), "cp1252"
        header, header_end = _read_header(utf8, label)
        names, warnings = _clean_header(header, label)
        table = _parse_fast(memoryview(utf8)[header_end:], names, _wanted(names, only))
    if table is not None:
        return table, utf8, used, warnings, None
    # Rare path: some row has the wrong number of fields. Python's csv reader
    # numbers every line, so each bad row can be repaired or rejected by line.
    header_lines = utf8[:header_end].count(b"\n")
    frame, record_lines = _parse_slow(utf8[header_end:], names, header_lines, label, rejections)
    table = pa.table({n: pa.array(frame[n].to_numpy(), type=pa.string()).dictionary_encode()
                      for n in _wanted(names, only)})
    return table, utf8, used, warnings, record_lines


def _has_values(column: pa.ChunkedArray) -> bool:
    plain = column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
    return bool(pc.any(pc.not_equal(pc.utf8_trim_whitespace(plain), "")).as_py() or False)


def _all_blank(table: pa.Table, columns: CodedColumns) -> np.ndarray:
    """Rows whose every value is blank (judged once per distinct value, then by code)."""
    blank = np.ones(table.num_rows, dtype=bool)
    for name in table.column_names:
        blank &= columns[name].blank()
        if not blank.any():
            break
    return blank


def header_columns(head: bytes, label: str, encoding: str = "auto") -> list[str]:
    """Column names from the first bytes of a file (a cut multi-byte character is fine)."""
    if encoding == "auto" and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-8", errors="ignore").encode("utf-8") if _mostly_utf8(head) else head
    utf8, _ = decode_to_utf8(head, label, encoding)
    names, _ = _clean_header(_read_header(utf8, label)[0], label)
    return [n for n in names if not n.startswith(BLANK_PREFIX)]


def _mostly_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only the cut at the end is undecodable


def _read_header(utf8: bytes, label: str) -> tuple[list[str], int]:
    """The header record's fields and the byte offset where the body starts."""
    text = utf8[: 1 << 16].decode("utf-8", errors="replace")
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    for row in reader:
        if any(cell.strip() for cell in row):
            consumed = _chars_consumed(text, reader.line_num)
            return row, len(text[:consumed].encode("utf-8"))
    raise SourceError(Problem(label, "file is empty (no header row)"))


def _chars_consumed(text: str, line_count: int) -> int:
    pos = 0
    for _ in range(line_count):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return pos


def _clean_header(header: list[str], label: str) -> tuple[list[str], list[str]]:
    names: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = raw.strip().strip('"').strip()
        if not name:
            name = f"{BLANK_PREFIX}{i}"
        elif name.lower() in seen:
            warnings.append(f"{label}: header {name!r} appears twice; the first one is used")
            name = f"{BLANK_PREFIX}{i}"
        seen.add(name.lower())
        names.append(name)
    return names, warnings


def _wanted(names: list[str], only: set[str] | None) -> list[str]:
    if only is None:
        return names
    lowered = {o.lower() for o in only}
    return [n for n in names if n.lower() in lowered or n.startswith(BLANK_PREFIX)]


def _parse_fast(body: memoryview, names: list[str], wanted: list[str]) -> pa.Table | None:
    """All records as dictionary-encoded text columns, or None when a row has the wrong field count.

    pyarrow splits the file into blocks at line ends, which is only exact when no quoted
    value spans lines; a block boundary inside such a value is detected (an "out of sync"
    error, or rows with the wrong field count) and the file is parsed again with
    multi-line values allowed (slower, so not the first try).
    """
    try:
        table = _parse_blocks(body, names, wanted, newlines_in_values=False)
    except pa.ArrowInvalid as exc:
        if "out of sync" not in str(exc):
            raise
        table = None
    # A split value shows up as "out of sync" or as rows with the wrong field count.
    return table if table is not None else _parse_blocks(body, names, wanted, newlines_in_values=True)


def _parse_blocks(body: memoryview, names: list[str], wanted: list[str], *, newlines_in_values: bool
                  ) -> pa.Table | None:
    coded = pa.dictionary(pa.int32(), pa.string())
    if len(body) < 65536 and not bytes(body).strip():
        return pa.table({n: pa.array([], type=pa.string()).dictionary_encode() for n in wanted})
    irregular = False

    def handler(row: pacsv.InvalidRow) -> str:
        nonlocal irregular
        irregular = True
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),  # a view: no copy of a 300 MB export
        read_options=pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values, invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(
            column_types={n: coded for n in wanted}, include_columns=wanted, strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if irregular:
        return None
    return table.unify_dictionaries()


def _parse_slow(
    body: bytes, names: list[str], header_lines: int, label: str, rejections: Rejections
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse row by row; keep rows whose extra or missing fields fall in unnamed columns."""
    width = len(names)
    named_width = len(_rstrip_blank(names))
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    previous = 0
    for fields in reader:
        line = header_lines + previous + 1
        previous = reader.line_num
        if not fields:
            continue
        if len(fields) == width:
            pass
        elif named_width <= len(fields) < width:
            fields = fields + [""] * (width - len(fields))
        elif len(fields) > width and not any(v.strip() for v in fields[width:]):
            fields = fields[:width]
        else:
            spans = f"; it runs on to line {header_lines + previous} (a quote left open?)" \
                if header_lines + previous > line else ""
            rejections.add(label, line, None, ",".join(fields)[:200],
                           f"row has {len(fields)} fields, the header has {named_width}{spans}")
            continue
        rows.append(fields)
        lines.append(line)
    frame = pd.DataFrame(rows, columns=names, dtype=pd.StringDtype("pyarrow"))
    return frame, np.asarray(lines, dtype=np.int64)


def _rstrip_blank(names: list[str]) -> list[str]:
    end = len(names)
    while end and names[end - 1].startswith(BLANK_PREFIX):
        end -= 1
    return names[:end]


def _record_start_lines(utf8: bytes) -> np.ndarray:
    """Start line of every data record; vectorised unless some value spans lines."""
    buf = np.frombuffer(utf8, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(buf == ord("\n")) + 1))
    starts = starts[starts < len(buf)]
    nonblank_lines = np.flatnonzero((buf[starts] != ord("\n")) & (buf[starts] != ord("\r"))) + 1
    records = nonblank_lines[1:]  # the first non-blank line is the header
    header_end = _read_header(utf8, "")[1]
    expected = pacsv.read_csv(  # count records cheaply (no conversion)
        pa.BufferReader(utf8[header_end:]),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(include_columns=["f0"]),
    ).num_rows
    if expected == len(records):
        return records
    # Some quoted value spans lines: number the records the slow, exact way.
    return _record_lines_by_scan(utf8, header_end)


def _record_lines_by_scan(utf8: bytes, header_end: int) -> np.ndarray:
    header_lines = utf8[:header_end].count(b"\n")
    reader = csv.reader(io.StringIO(utf8[header_end:].decode("utf-8"), newline=""))
    lines: list[int] = []
    previous = 0
    for row in reader:
        if row:
            lines.append(header_lines + previous + 1)
        previous = reader.line_num
    return np.asarray(lines, dtype=np.int64)
