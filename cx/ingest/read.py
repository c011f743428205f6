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
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from xml.sax.saxutils import unescape

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
    not_utf8: int = 0  # lines that are not UTF-8: the page offers to read the whole file in another encoding


CHUNK = 1 << 20
SNIFF_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", " ": "spaces"}
# A web page saved as .csv, even when a spreadsheet quoted its first cell ("<html>…).
_HTML = re.compile(r"^\s*\"?\s*(<!doctype\s+html|<html|<head|<body|<table|<div|<\?xml|<!--|<meta|<script|<style)", re.I)
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


_BINARY_BYTES = [*range(0, 9), *range(14, 27), *range(28, 32)]  # control bytes no text file holds


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
    # A stray NUL is junk in a text (removed, with a note); many control bytes mean binary data.
    if sum(head.count(bytes([byte])) for byte in _BINARY_BYTES) > len(head) // 100:
        raise ImportRefused(
            f'The file "{file_name}" holds binary data, not text or a workbook, so it is not a table we can read. '
            "Export the data as CSV, Excel or Parquet."
        )
    return "csv"


MAX_LINE_BYTES = 2 << 20  # a line longer than this is no record of a table (and DuckDB's own limit)
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252 (Western European)", "latin-1": "Latin-1 (ISO 8859-1)"}


@dataclass
class TextScan:
    """What one pass over a text file found: its encoding, line by line, and what needs cleaning."""

    encoding: str  # utf-8 | utf-16 | cp1252 | latin-1 | mixed (UTF-8 with some lines in cp1252)
    bom: bool
    lines: int = 0
    not_utf8: list[int] = field(default_factory=list)  # line numbers, the first MAX_LISTED
    not_utf8_count: int = 0
    nuls: int = 0


MAX_LISTED = 20


def scan_text(path: Path, file_name: str) -> TextScan:
    """One streaming pass: which lines are not UTF-8, NUL bytes, and no line beyond MAX_LINE_BYTES.

    A line too long is refused as soon as it is seen, without reading the rest of the file."""
    with path.open("rb") as handle:
        first = handle.read(4)
        if first.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _scan_utf16(path, file_name)
        handle.seek(0)
        scan = TextScan("utf-8", first.startswith(codecs.BOM_UTF8))
        number, cp1252_fails = 0, False
        # Blocks of whole lines: a block of plain ASCII (most of most files) is counted at once, any other
        # line by line. The bounded readline completing a block never reads a line without newlines whole.
        while block := handle.read(CHUNK):
            if not block.endswith(b"\n"):
                block += handle.readline(MAX_LINE_BYTES + 1)
            # Only the block's last line can be too long: every other one lies within CHUNK < MAX_LINE_BYTES.
            last = block.rfind(b"\n", 0, len(block) - 1) + 1
            if len(block) - last - block.endswith(b"\n") > MAX_LINE_BYTES:
                raise ImportRefused(_line_too_long(file_name, number + block.count(b"\n", 0, last) + 1))
            scan.nuls += block.count(b"\x00")
            if block.isascii():
                number += block.count(b"\n") + (not block.endswith(b"\n"))
                continue
            for line in block.split(b"\n")[: block.count(b"\n") + (not block.endswith(b"\n"))]:
                number += 1
                if line.isascii():
                    continue
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    scan.not_utf8_count += 1
                    if len(scan.not_utf8) < MAX_LISTED:
                        scan.not_utf8.append(number)
                    try:
                        line.decode("cp1252")
                    except UnicodeDecodeError:
                        cp1252_fails = True
        scan.lines = number
    if scan.not_utf8_count:
        non_ascii_utf8 = _utf8_lines_with_non_ascii(path)
        if not non_ascii_utf8:  # no line is UTF-8 beyond ASCII: the whole file is a single-byte encoding
            scan.encoding = "latin-1" if cp1252_fails else "cp1252"
        else:
            scan.encoding = "mixed"
    return scan


def _utf8_lines_with_non_ascii(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while line := handle.readline(MAX_LINE_BYTES + 1):
            if not line.isascii():
                try:
                    line.decode("utf-8")
                    count += 1
                except UnicodeDecodeError:
                    pass
    return count


def _scan_utf16(path: Path, file_name: str) -> TextScan:
    scan = TextScan("utf-16", True)
    with path.open("r", encoding="utf-16", errors="replace", newline="") as handle:
        while line := handle.readline(MAX_LINE_BYTES + 1):
            scan.lines += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith("\n"):
                raise ImportRefused(_line_too_long(file_name, scan.lines))
            scan.nuls += line.count("\x00")
    return scan


def _line_too_long(file_name: str, number: int) -> str:
    return (
        f'Line {number:,} of "{file_name}" is longer than {MAX_LINE_BYTES >> 20} MB without a line break, which no '
        "record of a table is; the file is not a CSV export we can read (or its line breaks were lost)."
    )


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
    """Rewrite as UTF-8 without BOM or NUL (and whitespace-aligned columns as tab-separated), streaming.

    `mixed`: each line as UTF-8 where it is valid, as Windows-1252 where it is not."""
    if encoding == "mixed":
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            first = True
            while line := src.readline(MAX_LINE_BYTES + 1):
                try:
                    text = line.decode("utf-8-sig" if first else "utf-8")
                except UnicodeDecodeError:
                    text = line.decode("cp1252", errors="replace")
                first, text = False, text.replace("\x00", "")
                if not whitespace:
                    dst.write(text)
                elif text.strip():
                    dst.write("\t".join(text.split()) + "\n")
        return
    source_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with (
        path.open("r", encoding=source_encoding, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        if whitespace:
            for line in src:
                if line.strip():
                    dst.write("\t".join(line.replace("\x00", "").split()) + "\n")
        else:
            while chunk := src.read(CHUNK):
                dst.write(chunk.replace("\x00", ""))


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, file_name: str, workdir: Path,
              encoding_choice: str | None = None) -> Staged:  # fmt: skip
    """`encoding_choice` (utf-8, cp1252, latin-1) overrides what the scan decided, for the whole file."""
    scan = scan_text(path, file_name)
    encoding, bom = scan.encoding, scan.bom
    if encoding_choice:
        if encoding_choice not in ENCODINGS:
            raise ImportRefused(f'Unknown encoding "{encoding_choice}": use one of {", ".join(ENCODINGS)}.')
        encoding = encoding_choice
    text = _head_text(path, "utf-8" if encoding == "mixed" else encoding)
    if not text.strip():
        raise ImportRefused(f'The file "{file_name}" is empty.')
    if match := _HTML.match(text):
        start = match.group(1)  # the tag only: the page's styles and scripts are no message
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
    if len(first_record) > MAX_COLUMNS:
        raise ImportRefused(
            f'The file "{file_name}" has {len(first_record):,} columns; we read at most {MAX_COLUMNS:,}. '
            "Export only the columns you need."
        )
    has_header = _looks_like_header(first_record)
    headers = clean_headers(first_record) if has_header else [f"column {i}" for i in range(1, len(first_record) + 1)]

    readable = path
    if encoding != "utf-8" or bom or whitespace or scan.nuls:
        readable = workdir / "transcoded.csv"
        _transcode(path, readable, encoding, whitespace)
    quoted = _count_quotes(readable)

    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    # Explicit options: the sniffer gives up on ragged files, and ignore_errors would drop rows silently.
    # strict_mode reports records with too many fields in the rejects table instead of truncating them.
    # DuckDB's parallel reader cannot pad short records when a quoted field holds a line break; a file
    # without a single quote holds none, and is read on every core (same rows, order and rejects).
    parallel = "true" if quoted == 0 else "false"
    con.execute("DROP TABLE IF EXISTS raw; DROP TABLE IF EXISTS read_rejects; DROP TABLE IF EXISTS read_reject_scans")
    con.execute(
        f"""CREATE TABLE raw AS SELECT * FROM read_csv(?, header = {str(has_header).lower()}, delim = ?,
                quote = '"', escape = '"', columns = {columns}, auto_detect = false, strict_mode = true,
                null_padding = true, parallel = {parallel}, store_rejects = true, max_line_size = {4 * MAX_LINE_BYTES},
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
    notes += _encoding_notes(scan, encoding)
    total = con.execute("SELECT count(*) FROM staged").fetchall()[0][0] + len(unreadable)
    if total > MAX_ROWS:
        raise ImportRefused(f'The file "{file_name}" has {total:,} records; we import at most {MAX_ROWS:,} from one '
                            "file. Split it into parts and import them one after another.")  # fmt: skip
    return Staged(
        headers=headers,
        rows=con.execute("SELECT count(*) FROM staged").fetchall()[0][0] + len(unreadable),
        format="text" if whitespace else "csv",
        has_header=has_header,
        delimiter=DELIMITER_NAMES[" " if whitespace else delimiter],
        encoding=encoding,
        unreadable=unreadable,
        notes=notes,
        not_utf8=scan.not_utf8_count,
    )


def _encoding_notes(scan: TextScan, encoding: str) -> list[str]:
    """Plain words on how the text was read: never a silent transcoding."""
    notes = []
    one = scan.not_utf8_count == 1
    listed = ", ".join(f"{n:,}" for n in scan.not_utf8) + (" …" if scan.not_utf8_count > len(scan.not_utf8) else "")
    lines = f"line {listed}" if one else f"lines {listed}"
    count = f"{scan.not_utf8_count:,} of {scan.lines:,} lines {'is' if one else 'are'} not UTF-8"
    if scan.not_utf8_count and encoding == "mixed":
        notes.append(
            f"{count} ({lines}); {'it was' if one else 'they were'} read as Windows-1252 and the rest as UTF-8. "
            "If the whole file is in another encoding, choose it."
        )
    elif scan.not_utf8_count and encoding in ("cp1252", "latin-1"):
        notes.append(f"The file is not UTF-8 ({count}); it was read as {ENCODINGS[encoding]}.")
    elif scan.not_utf8_count and encoding == "utf-8":
        notes.append(f"Read as UTF-8 as chosen: {count} ({lines}), rejected with the reason.")
    if scan.nuls:
        notes.append(f"{scan.nuls:,} NUL characters (a byte 0, invisible) were removed from the text.")
    return notes


def _count_quotes(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            count += chunk.count(b'"')
    return count


def _reject_reason(kind: str, message: str) -> str:
    if kind == "TOO MANY COLUMNS":
        return "has more fields than the header has columns"
    if kind in ("INVALID UNICODE", "INVALID ENCODING") or "unicode" in (message or "").lower():
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


# Limits that keep one file from taking the server down: a reader's memory follows what the file
# expands to, not its size, so a workbook is measured before anything is expanded.
MAX_COLUMNS = 1_000
MAX_ROWS = 10_000_000
MAX_SHEET_CELLS = 5_000_000  # a workbook sheet is read whole into memory (as its used rectangle)
MAX_EXPANDED = 1 << 30  # bytes a workbook may unpack to, and at most EXPANSION times its own size
EXPANSION = 20
_CELL_REF = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{1,4})([0-9]{1,8})\"")
_CELL = re.compile(rb"<c[\s>/]")
_ROW = re.compile(rb"<row[\s>/]")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_workbook(path: Path, file_name: str) -> None:
    """Refuse a workbook that would expand beyond the limits, reading its parts as a stream, never whole.

    Counts the bytes each part really unpacks to (the sizes a zip declares can lie) and finds the
    farthest cell of every sheet, where the reader would size its grid; stops at the first limit passed."""
    size = path.stat().st_size
    budget = min(MAX_EXPANDED, max(EXPANSION * size, 64 << 20))
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportRefused(f'The file "{file_name}" is not a workbook we can read (it is a damaged zip).') from None
    with archive:
        names = archive.namelist()
        if not any(name.startswith("xl/worksheets/") for name in names):
            what = "an OpenDocument spreadsheet" if "content.xml" in names else "not an Excel workbook"
            raise ImportRefused(f'The file "{file_name}" is {what}. Save it as .xlsx or CSV and upload that.')
        if any(name.startswith("xl/worksheets/") and name.endswith(".bin") for name in names):
            raise ImportRefused(f'The file "{file_name}" is a binary workbook (.xlsb). Save it as .xlsx or CSV.')
        declared = sum(info.file_size for info in archive.infolist())
        if declared > budget:
            raise ImportRefused(_too_big(file_name, declared, budget))
        try:
            _measure_parts(archive, file_name, budget)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
            # A part that unpacks to other bytes than it declares (a CRC error), or is encrypted.
            raise ImportRefused(
                f'The file "{file_name}" is not a workbook we can read (a damaged or protected part: {error}).'
            ) from None


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"[^>]*?\br:id=\"([^\"]*)\"")
_RELATION = re.compile(rb"<Relationship\b[^>]*?\bId=\"([^\"]*)\"[^>]*?\bTarget=\"([^\"]*)\"")
_PART_SMALL = 1 << 20  # workbook.xml and its relations list the sheets: a few kB in any real workbook


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet part's name as Excel shows it ("xl/worksheets/sheet1.xml" -> "Data"), where the workbook says."""

    def small(name: str) -> bytes:
        try:
            with archive.open(name) as part:
                return part.read(_PART_SMALL)
        except (KeyError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError):
            return b""

    targets = {rid: target for rid, target in _RELATION.findall(small("xl/_rels/workbook.xml.rels"))}
    names = {}
    for name, rid in _SHEET.findall(small("xl/workbook.xml")):
        target = targets.get(rid, b"").decode(errors="replace").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        names[part] = unescape(name.decode(errors="replace"))
    return names


def _measure_parts(archive: zipfile.ZipFile, file_name: str, budget: int) -> None:
    expanded = 0
    sheet_names = _sheet_names(archive)
    for info in archive.infolist():
        sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        rows = columns = row_tags = widest = in_row = 0
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(CHUNK):
                expanded += len(chunk)
                if expanded > budget:
                    raise ImportRefused(_too_big(file_name, expanded, budget))
                if not sheet:
                    continue
                text = tail + chunk
                cut = text.rfind(b"<")
                cut = cut if cut > 0 and len(text) - cut < 4096 else len(text)
                text, tail = text[:cut], text[cut:]
                refs = _CELL_REF.findall(text)
                for letters, number in refs:
                    columns, rows = max(columns, _column_number(letters)), max(rows, int(number))
                # Cells without a reference sit one after another in their row: count them per row too.
                first, *others = _ROW.split(text)
                in_row += len(_CELL.findall(first))
                for cells in others:
                    widest, in_row, row_tags = max(widest, in_row), len(_CELL.findall(cells)), row_tags + 1
                sheet_name = sheet_names.get(info.filename, info.filename.rsplit("/", 1)[-1].removesuffix(".xml"))
                _check_grid(file_name, f'sheet "{sheet_name}"', max(columns, widest, in_row), max(rows, row_tags))


def _check_grid(file_name: str, sheet: str, columns: int, rows: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportRefused(
            f'The workbook "{file_name}" has a cell in column {columns:,} of {sheet}; we read at most '
            f"{MAX_COLUMNS:,} columns. Delete what lies beyond the table (or save the table alone as CSV)."
        )
    if rows > MAX_ROWS:
        raise ImportRefused(f'The workbook "{file_name}" has a cell in row {rows:,} of {sheet}; we read at most '
                            f"{MAX_ROWS:,} rows.")  # fmt: skip
    if rows * columns > MAX_SHEET_CELLS:
        raise ImportRefused(
            f'The workbook "{file_name}" has cells up to row {rows:,} and column {columns:,} of {sheet}, '
            f"{rows * columns:,} cells to hold at once; a workbook sheet may span at most {MAX_SHEET_CELLS:,}. "
            "Delete stray cells far from the table, or save the sheet as CSV (CSV has no such limit)."
        )


def _too_big(file_name: str, expanded: int, budget: int) -> str:
    return (
        f'The workbook "{file_name}" unpacks to more than {budget / 1e6:,.0f} MB (at least {expanded / 1e6:,.0f} MB) '
        "of XML, far more than a table of its size holds; we do not read it. Save the data as CSV and upload that."
    )


def workbook_sheets(path: Path, file_name: str) -> dict[str, list[list[str | None]]]:
    """Every sheet of a workbook as rows of text, starting at its first non-empty row."""
    from python_calamine import CalamineWorkbook

    with path.open("rb") as handle:
        zipped = handle.read(4) == b"PK\x03\x04"
    if zipped:  # .xlsx / .xlsm; an old .xls is bounded by its own format (65,536 rows, 256 columns)
        check_workbook(path, file_name)
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
