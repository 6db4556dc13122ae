"""Readers for the two encodings of the import format: JSON Lines and CSV.

Both turn a file into ``RawLine`` items (a dict of field values and the 1-based line number it
started on) plus the errors that belong to the file rather than to one record. Neither looks at
what the fields mean; ``schema.parse_record`` does.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from .schema import FloatLiteral, LineError, RecordType, field_names, required_field_names


@dataclass(frozen=True)
class RawLine:
    line: int
    data: dict[str, Any] | None = None
    error: str | None = None
    #: CSV only: the header lacks a column this row's type requires (reported once, on line 1).
    incomplete: bool = False


@dataclass
class ParsedFile:
    lines: list[RawLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; in a money file that hides a bug.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(f'the key "{key}" appears twice in one record')
            seen.add(key)
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


# One decoder for every line: json.loads(…, hooks) would build a new one per call.
_DECODER = json.JSONDecoder(
    parse_float=FloatLiteral, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys
)


def _decode(content: bytes, parsed: ParsedFile) -> str | None:
    try:
        # utf-8-sig: spreadsheet programs on Windows put a byte-order mark in front.
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        parsed.errors.append(
            LineError(line, f"the file is not UTF-8 text (byte 0x{content[exc.start]:02x})")
        )
        return None


def read_jsonl(content: bytes) -> ParsedFile:
    """One JSON object per line; blank lines are skipped but still counted."""
    parsed = ParsedFile()
    text = _decode(content, parsed)
    if text is None:
        return parsed
    # Split on \n only: str.splitlines() would also split inside strings on U+2028 and friends.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            data = _DECODER.decode(raw)
        except _DuplicateKey as exc:
            parsed.lines.append(RawLine(number, error=str(exc)))
            continue
        except ValueError as exc:
            parsed.lines.append(RawLine(number, error=f"not valid JSON: {exc}"))
            continue
        if not isinstance(data, dict):
            parsed.lines.append(RawLine(number, error="each line must be one JSON object {...}"))
            continue
        parsed.lines.append(RawLine(number, data=data))
    return parsed


ALL_COLUMNS = {"type", "version"} | {name for rt in RecordType for name in field_names(rt)}


def read_csv(content: bytes) -> ParsedFile:
    """A header row naming the columns, then one record per row; ``type`` says which.

    The columns are the union of those the file's record types use; a row leaves the others
    empty. An empty cell means "not given" (the field's default, usually empty).
    """
    parsed = ParsedFile()
    text = _decode(content, parsed)
    if text is None:
        return parsed
    first_line = text.split("\n", 1)[0]
    # Polish spreadsheet programs export with semicolons, because the comma is the decimal mark.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return parsed
    except csv.Error as exc:
        parsed.errors.append(LineError(1, f"the header row is not valid CSV: {exc}"))
        return parsed

    header_ok = True
    for column in {"type", "version"} - set(header):
        parsed.errors.append(LineError(1, f'the header has no "{column}" column'))
        header_ok = False
    for position, column in enumerate(header):
        if column not in ALL_COLUMNS:
            parsed.errors.append(LineError(1, f"unknown column {column!r} in the header"))
            header_ok = False
        elif column in header[:position]:
            parsed.errors.append(LineError(1, f"the column {column!r} appears twice"))
            header_ok = False
    if not header_ok:
        return parsed

    missing_by_type: dict[str, set[str]] = {}
    line_after_previous = 2
    while True:
        start = line_after_previous
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.lines.append(RawLine(start, error=f"not valid CSV: {exc}"))
            break  # the reader cannot resynchronise after a broken quote
        line_after_previous = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            parsed.lines.append(
                RawLine(start, error=f"the row has {len(row)} cells, the header {len(header)}")
            )
            continue
        data = {
            column: cell.strip()
            for column, cell in zip(header, row, strict=False)
            if cell.strip() != ""
        }
        record_type = data.get("type", "")
        if record_type in RecordType.__members__.values():
            missing = missing_by_type.get(record_type)
            if missing is None:
                missing = required_field_names(RecordType(record_type)) - set(header)
                missing_by_type[record_type] = missing
                for column in sorted(missing):
                    parsed.errors.append(
                        LineError(
                            1,
                            f"the header has no {column!r} column, which {record_type} records "
                            f"need (first on line {start})",
                            record_type=record_type,
                        )
                    )
            if missing:
                parsed.lines.append(RawLine(start, data=data, incomplete=True))
                continue
        parsed.lines.append(RawLine(start, data=data))
    return parsed


def read(content: bytes, format: str) -> ParsedFile:
    if format == "jsonl":
        return read_jsonl(content)
    if format == "csv":
        return read_csv(content)
    raise ValueError(f"unknown format {format!r}; use jsonl or csv")
