"""Reading messy CSV bytes: encodings, quoting, headers, blank rows and line numbers."""

from __future__ import annotations

import codecs

import pyarrow as pa
import pytest

from littlesis.core.errors import SourceError
from littlesis.core.sources.csvio import _parse_blocks, read_csv_bytes
from littlesis.core.sources.rejections import Rejections
from tests.conftest import REAL


def read(data: bytes, encoding: str = "auto"):
    rejections = Rejections()
    return read_csv_bytes(data, "f.csv", rejections, encoding), rejections.frame()


@pytest.mark.parametrize("data, encoding", [
    ("Name,Room\nZoë,Salle 1\n".encode(), "utf-8"),
    (codecs.BOM_UTF8 + "Name,Room\r\nZoë,Salle 1\r\n".encode(), "utf-8-sig"),
    ("Name,Room\r\nZoë,Salle 1\r\n".encode("cp1252"), "cp1252"),
    ("Name,Room\nZoë,Salle 1\n".encode("utf-16"), "utf-16"),
    ('"Name","Room"\r\n"Zoë","Salle 1"\r\n'.encode(), "utf-8"),
])
def test_encodings_and_quoting_read_the_same(data, encoding):
    table, rejected = read(data)
    assert table.encoding == encoding
    assert table.frame.to_dict("records") == [{"Name": "Zoë", "Room": "Salle 1"}]
    assert rejected.empty


def test_cp1252_after_a_long_utf8_looking_prefix_is_detected():
    body = "Name,Room\n" + "Ann,R1\n" * 50_000 + "Fran\xe7oise,R2\n"
    table, _ = read(body.encode("cp1252"))
    assert table.encoding == "cp1252" and table.frame["Name"].iloc[-1] == "Françoise"


def test_duplicate_and_empty_header_names_keep_the_first():
    table, _ = read(b"Email,Name,Email,\nA@x.org,Ann,,\n")
    assert table.columns == ["Email", "Name"]
    assert any("appears twice" in w for w in table.warnings)


def test_blank_rows_are_skipped_and_line_numbers_stay_physical():
    table, _ = read(b"A,B\n1,2\n\n,\n3,4\n")
    assert table.frame["A"].tolist() == ["1", "3"]
    assert table.lines_of(table.frame.index).tolist() == [2, 5]
    assert any("blank row" in w for w in table.warnings)


def test_quoted_newlines_keep_line_numbers_exact():
    table, _ = read(b'A,B\n1,"two\nlines"\n3,4\n')
    assert table.frame["B"].tolist() == ["two\nlines", "4"]
    assert table.lines_of(table.frame.index).tolist() == [2, 4]


def test_trailing_blank_header_columns_are_tolerated_like_the_real_roles_file():
    table, rejected = read((REAL / "oneroster-1.2-messy" / "roles.csv").read_bytes())
    assert rejected.empty
    assert len(table.frame) == 7 and table.columns[-1] == "orgSourcedId"
    assert table.lines_of(table.frame.index[-1:]).tolist() == [8]


def test_nul_byte_names_its_line():
    with pytest.raises(SourceError, match=r"f.csv:3: contains a NUL byte"):
        read(b"A\n1\n2\x00\n")


def test_header_only_file_is_an_empty_table():
    table, rejected = read(b"A,B\r\n")
    assert table.frame.empty and table.columns == ["A", "B"] and rejected.empty


def test_values_spanning_lines_across_pyarrow_block_boundaries_are_read_exactly():
    # Big enough for several parse blocks: a boundary lands inside a quoted value.
    # Nine of every ten line ends are inside a quoted value.
    rows = [f'{i},"first line of a long value' + "\nmore" * 8 + f'\nsecond line {i}",x{i}' for i in range(300_000)]
    data = ("A,B,C\n" + "\n".join(rows) + "\n").encode()
    # The fast parse (line ends as block boundaries) refuses this file, so the exact one must have run:
    try:
        fast = _parse_blocks(memoryview(data)[6:], ["A", "B", "C"], ["A", "B", "C"], newlines_in_values=False)
    except pa.ArrowInvalid as exc:
        assert "out of sync" in str(exc)
    else:
        assert fast is None
    table, rejected = read(data)
    assert len(table.frame) == 300_000 and rejected.empty
    assert table.frame["B"].iloc[-1] == "first line of a long value" + "\nmore" * 8 + "\nsecond line 299999"
    assert table.frame["C"].iloc[-1] == "x299999"
    assert table.lines_of(table.frame.index[-1:]).tolist() == [2 + 10 * 299_999]
