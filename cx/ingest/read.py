"""Reading a file into a staging table of text, one row per record.

Whatever the format (CSV in any usual encoding and delimiter, a
whitespace-aligned text file, an Excel workbook, Parquet), the result is the
same: a DuckDB table `staged(_record, c0, c1, ...)` of VARCHAR values, where
`_record` is the record number in the file (1 = first record after the header)
and the original headers are kept in Python, so no header from a file is ever
spliced into SQL. CSV is streamed by DuckDB's reader with explicit options and
`store_rejects`; records it cannot split are returned, with their number, so
every record is accounted for.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa


class ImportRefused(ValueError):
    """The file cannot be imported at all; the message says why, in plain words."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


@dataclass
class Staged:
    """What reading found: headers, record count, and records the reader could not split."""

    headers: list[str]
    rows: int
    format: str  # csv | text | excel | parquet
    has_header: bool = True
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)  # {row, reason, raw}
    notes: list[str] = field(default_factory=list)


CHUNK = 1 << 20
SNIFF_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", " ": "spaces"}
_HTML = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<table|<div|<\?xml|<!--|<meta|<script)", re.I)
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}


def source_bytes_to_path(source, workdir: Path, file_name: str) -> Path:
    """A path to read from: the given path, or the given bytes written into the work folder."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImportRefused(f'The file "{file_name}" was not found.')
        return path
    if hasattr(source, "getvalue"):
        source = source.getvalue()
    elif hasattr(source, "read"):
        source = source.read()
    path = workdir / ("upload" + Path(file_name).suffix.lower())
    path.write_bytes(bytes(source))
    return path


def sniff_format(path: Path, file_name: str) -> str:
    """csv, excel or parquet, from the bytes rather than the name; refuses what is not a table."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head.strip():
        raise ImportRefused(f'The file "{file_name}" is empty.')
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise ImportRefused(
                f'The file "{file_name}" is {what}, not a table of data. Export the data as CSV, Excel or Parquet.'
            )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text, as Excel's "Unicode text" export writes
    if b"\x00" in head:
        raise ImportRefused(
            f'The file "{file_name}" holds binary data, not text or a workbook, so it is not a table we can read. '
            "Export the data as CSV, Excel or Parquet."
        )
    return "csv"


def _detect_encoding(path: Path) -> tuple[str, bool]:
    """('utf-8' | 'utf-16' | 'cp1252' | 'latin-1', has_bom), checking the whole file as UTF-8."""
    with path.open("rb") as handle:
        first = handle.read(4)
        if first.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16", True
        bom = first.startswith(codecs.BOM_UTF8)
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8", bom
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        try:
            while chunk := handle.read(CHUNK):
                chunk.decode("cp1252")
            return "cp1252", False
        except UnicodeDecodeError:
            return "latin-1", False


def _head_text(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        raw = handle.read(SNIFF_BYTES)
    text = raw.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="ignore")
    if len(raw) == SNIFF_BYTES and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # never sniff a cut-off last line
    return text


def _sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the first records into the same number (> 1) of fields."""
    best, best_score = None, 0.0
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r][:200]
        except csv.Error:
            continue
        if len(records) == 0 or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistent = sum(1 for r in records if len(r) == width) / len(records)
        score = consistent * 10 + min(width, 50) / 50
        if consistent >= 0.5 and score > best_score:
            best, best_score = delimiter, score
    return best


def _is_whitespace_aligned(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:200]
    widths = {len(line.split()) for line in lines}
    return len(lines) > 0 and len(widths) == 1 and widths.pop() >= 2


_NOT_A_HEADER = re.compile(r"^[\s\d.,:/+\-$€£%]*$")


def _looks_like_header(fields: list[str]) -> bool:
    """A first record with no letters at all (ids, dates, amounts) is data, not a header."""
    return any(not _NOT_A_HEADER.match(value) for value in fields)


def clean_headers(raw: list[str]) -> list[str]:
    """Trimmed, non-empty and unique headers ("column 3" for a blank one, "Score (2)" for a repeat)."""
    headers: list[str] = []
    for position, header in enumerate(raw, start=1):
        name = " ".join(str(header or "").replace("\ufeff", "").split()) or f"column {position}"
        candidate, n = name, 2
        while candidate in headers:
            candidate, n = f"{name} ({n})", n + 1
        headers.append(candidate)
    return headers


def _transcode(path: Path, target: Path, encoding: str, whitespace: bool) -> None:
    """Rewrite as UTF-8 without BOM (and whitespace-aligned columns as tab-separated), streaming."""
    source_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with (
        path.open("r", encoding=source_encoding, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        if whitespace:
            for line in src:
                if line.strip():
                    dst.write("\t".join(line.split()) + "\n")
        else:
            while chunk := src.read(CHUNK):
                dst.write(chunk)


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, file_name: str, workdir: Path) -> Staged:
    encoding, bom = _detect_encoding(path)
    text = _head_text(path, encoding)
    if not text.strip():
        raise ImportRefused(f'The file "{file_name}" is empty.')
    if _HTML.match(text):
        start = text.strip().splitlines()[0][:40]
        raise ImportRefused(
            f'The file "{file_name}" is a web page (HTML starting with "{start}"), not a data export. '
            "This usually happens when a download link returns a login or error page; export the data again."
        )
    if text.lstrip().startswith(("{", "[")):
        raise ImportRefused(
            f'The file "{file_name}" holds JSON, not a table. Export the data as CSV, Excel or Parquet.'
        )
    delimiter = _sniff_delimiter(text)
    whitespace = False
    if delimiter is None:
        if not _is_whitespace_aligned(text):
            first = text.strip().splitlines()[0][:60]
            raise ImportRefused(
                f'The file "{file_name}" does not look like a table: its first line ("{first}") is not split into '
                "columns by commas, semicolons, tabs or aligned spaces."
            )
        whitespace, delimiter = True, "\t"
    if whitespace:
        first_record = text.strip().splitlines()[0].split()
    else:
        first_record = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    has_header = _looks_like_header(first_record)
    headers = clean_headers(first_record) if has_header else [f"column {i}" for i in range(1, len(first_record) + 1)]

    readable = path
    if encoding != "utf-8" or bom or whitespace:
        readable = workdir / "transcoded.csv"
        _transcode(path, readable, encoding, whitespace)
    quoted = _count_quotes(readable)

    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    # Explicit options: the sniffer gives up on ragged files, and ignore_errors would drop rows silently.
    # strict_mode reports records with too many fields in the rejects table instead of truncating them.
    con.execute("DROP TABLE IF EXISTS raw; DROP TABLE IF EXISTS read_rejects; DROP TABLE IF EXISTS read_reject_scans")
    con.execute(
        f"""CREATE TABLE raw AS SELECT * FROM read_csv(?, header = {str(has_header).lower()}, delim = ?,
                quote = '"', escape = '"', columns = {columns}, auto_detect = false, strict_mode = true,
                null_padding = true, parallel = false, store_rejects = true,
                rejects_table = 'read_rejects', rejects_scan = 'read_reject_scans')""",
        [str(readable), delimiter],
    )
    offset = 1 if has_header else 0
    unreadable = [
        {"row": int(line) - offset, "reason": _reject_reason(kind, message), "raw": raw}
        for line, kind, message, raw in con.execute(
            "SELECT line, error_type::VARCHAR, error_message, csv_line FROM read_rejects ORDER BY line"
        ).fetchall()
    ]
    con.execute("DROP TABLE IF EXISTS read_rejects; DROP TABLE IF EXISTS read_reject_scans")
    staged = _number_records(con, len(headers), [u["row"] for u in unreadable])
    notes = []
    if quoted % 2 == 1 and staged:
        # An unclosed quote swallows the rest of the file into one field; say so on that record.
        last = con.execute("SELECT max(_record) FROM staged").fetchall()[0][0]
        if unreadable:
            con.execute("DELETE FROM staged WHERE _record = ?", [last])
        else:  # staged is a view over raw, whose last row it is
            con.execute("DELETE FROM raw WHERE rowid = ?", [last - 1])
        unreadable.append(
            {
                "row": last,
                "reason": 'opens a quote (") that is never closed, so this record and the rest of the file could not be split into columns',
                "raw": None,
            }
        )
        notes.append(f"Record {last} opens a quote that is never closed; nothing after it could be read.")
    if encoding in ("cp1252", "latin-1"):
        notes.append("The file is not UTF-8; it was read as Windows-1252 (Western European).")
    return Staged(
        headers=headers,
        rows=con.execute("SELECT count(*) FROM staged").fetchall()[0][0] + len(unreadable),
        format="text" if whitespace else "csv",
        has_header=has_header,
        delimiter=DELIMITER_NAMES[" " if whitespace else delimiter],
        encoding=encoding,
        unreadable=unreadable,
        notes=notes,
    )


def _count_quotes(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            count += chunk.count(b'"')
    return count


def _reject_reason(kind: str, message: str) -> str:
    if kind == "TOO MANY COLUMNS":
        return "has more fields than the header has columns"
    if kind == "INVALID UNICODE":
        return "holds bytes that are not valid text"
    if kind == "UNQUOTED VALUE":
        return "has text after a closing quote"
    return (message or kind).split("\n")[0]


def _number_records(con: duckdb.DuckDBPyConnection, width: int, rejected: list[int]) -> int:
    """Give each staged row its record number, skipping the numbers of records the reader rejected."""
    columns = ", ".join(f"c{i}" for i in range(width))
    if not rejected:
        # A view, not a copy: the reader kept the file's order, so a row's position is its record number.
        con.execute(f"CREATE OR REPLACE VIEW staged AS SELECT (rowid + 1)::INTEGER AS _record, {columns} FROM raw")
        return con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    else:
        total = con.execute("SELECT count(*) FROM raw").fetchall()[0][0] + len(rejected)
        con.execute("CREATE OR REPLACE TEMP TABLE reader_rejects (n INTEGER)")
        con.executemany("INSERT INTO reader_rejects VALUES (?)", [[n] for n in rejected])
        con.execute(
            f"""CREATE OR REPLACE TABLE staged AS
                WITH kept AS (
                    SELECT n::INTEGER AS _record, row_number() OVER (ORDER BY n) - 1 AS position
                    FROM range(1, ? + 1) AS numbers(n) WHERE n NOT IN (SELECT n FROM reader_rejects)
                )
                SELECT kept._record, {columns} FROM (SELECT rowid AS position, * FROM raw) AS raw JOIN kept USING (position)
                ORDER BY _record""",
            [total],
        )
    con.execute("DROP TABLE raw")
    return con.execute("SELECT count(*) FROM staged").fetchall()[0][0]


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, file_name: str) -> Staged:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise ImportRefused(
            f'The file "{file_name}" looks like Parquet but cannot be read: {str(error).splitlines()[0]}'
        ) from None
    headers = clean_headers([row[0] for row in described])
    casts = ", ".join(
        f'CAST("{row[0].replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS c{i}' for i, row in enumerate(described)
    )
    # Column names here come from the Parquet schema; they are quoted as identifiers, never used as values.
    con.execute(
        f"CREATE OR REPLACE TABLE staged AS SELECT (file_row_number + 1)::INTEGER AS _record, {casts} "
        "FROM read_parquet(?, file_row_number = true) ORDER BY _record",
        [str(path)],
    )
    rows = con.execute("SELECT count(*) FROM staged").fetchall()[0][0]
    return Staged(headers=headers, rows=rows, format="parquet")


def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def workbook_sheets(path: Path, file_name: str) -> dict[str, list[list[str | None]]]:
    """Every sheet of a workbook as rows of text, starting at its first non-empty row."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {}
        for name in workbook.sheet_names:
            rows = [
                [_cell_text(v) for v in row] for row in workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
            ]
            while rows and not any(rows[0]):
                rows.pop(0)
            sheets[name] = rows
        return sheets
    except Exception as error:  # calamine raises several types for damaged or non-Excel zips
        raise ImportRefused(
            f'The file "{file_name}" is not a workbook we can read ({type(error).__name__}: {error}).'
        ) from None


def stage_sheet(con: duckdb.DuckDBPyConnection, rows: list[list[str | None]], sheet: str, sheets: list[str]) -> Staged:
    headers = clean_headers(rows[0]) if rows else []
    body = [row for row in rows[1:]]
    numbered = [(n, row) for n, row in enumerate(body, start=1) if any(v is not None for v in row)]
    width = len(headers)
    table = pa.table(
        {"_record": pa.array([n for n, _ in numbered], pa.int32())}
        | {
            f"c{i}": pa.array([(row[i] if i < len(row) else None) for _, row in numbered], pa.string())
            for i in range(width)
        }
    )
    con.register("sheet_rows", table)
    con.execute("CREATE OR REPLACE TABLE staged AS SELECT * FROM sheet_rows")
    con.unregister("sheet_rows")
    return Staged(headers=headers, rows=len(numbered), format="excel", sheet=sheet, sheets=sheets)
