"""The files of ``miyraa score``: CSV or JSON Lines in, CSV or JSON Lines out, resumable.

Input (``Source``): a CSV file with a header row, or JSON Lines (one object a line,
blank lines skipped), UTF-8. A row's number is its record after the header (CSV) or its
line (JSON Lines), from 1. A row that cannot be scored (no text field, a text that is not
a string, or only whitespace) comes out with ``problem`` set, and the output records it
as the row's error. Parquet is not read: it would need pyarrow (about 40 MB), which the
project does not otherwise install.

Output (``Sink``): each input row once, with what it held (all its fields, or all but the
text with ``drop_text``) and the fingerprint, in the order rows finish:
- JSON Lines: the row's fields, ``"fingerprint": {...}`` (the API's answer) or
  ``"error": "..."``;
- CSV: the row's columns, then one column a fingerprint value, named by its path in the
  answer (``emotion``, ``emotion_scores.joy``, ``vad.valence``, ``safety.categories.toxic``,
  ``pii.counts.EMAIL``, ...; ``columns()``), then ``error``.
Rows are keyed by ``id_column`` when given (its values must be unique), else by their
number, written as a first column ``row``. Each row is written whole and flushed. When
the output exists, the rows it holds are not scored again and new ones are appended
(a last row cut short by a crash is removed first); ``retry_errors`` drops the rows
recorded with an error, so they are scored again.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES
from miyraa.pii import PII_TYPES
from miyraa.schemas import Fingerprint

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ROW = "row"  # the output's key column when no id column is given: the input row's number
FINGERPRINT = "fingerprint"
ERROR = "error"
# Fingerprint fields that are maps with known keys: one CSV column a key (value when absent).
KEYED: dict[str, tuple[tuple[str, ...], Any]] = {
    "emotion_scores": (EMOTIONS, None),
    "safety.categories": (SAFETY_CATEGORIES, None),
    "pii.counts": (PII_TYPES, 0),
}
_ABSENT = object()
csv.field_size_limit(sys.maxsize)  # a text may be longer than the csv module's 128 KB default


class InputError(Exception):
    """A problem with the files or the options, in words for the user (``miyraa`` exits 2)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    key: str
    fields: dict[str, Any]
    text: str
    problem: str | None = None


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {path.suffix or '(no extension)'!r}; "
            "use .csv or .jsonl (.ndjson); Parquet is not supported"
        )
    return fmt


def key_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _opened(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class Source:
    """An input file, checked whole on construction (readable, UTF-8, well-formed, the
    columns present, ids unique); ``rows()`` reads it again, row by row."""

    def __init__(self, path: Path, column: str, id_column: str | None = None) -> None:
        self.path, self.format = path, file_format(path)
        self.column, self.id_column = column, id_column
        self.columns: list[str] = []  # CSV: the header's; JSON Lines: every row's fields, in order seen
        self._known: set[str] = set()
        self.keys: list[str] = []
        self._any_text = False  # JSON Lines: whether any row has the text field
        seen: dict[str, int] = {}
        try:
            for row in self._read():
                if (first := seen.setdefault(row.key, row.number)) != row.number:
                    raise InputError(
                        f"{path}: {id_column!r} holds the same id in rows {first} and {row.number}; "
                        "ids must be unique (or leave out --id-column to key rows by number)"
                    )
                self.keys.append(row.key)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path} is not UTF-8 text (byte {exc.start})") from None
        except csv.Error as exc:
            raise InputError(f"{path} is not well-formed CSV: {exc}") from None
        if self.format == "jsonl" and self.keys and not self._any_text:
            raise InputError(f"{path}: no row has a field {column!r} (see --column)")

    def rows(self) -> Iterator[Row]:
        return self._read()

    def _read(self) -> Iterator[Row]:
        with _opened(self.path) as file:
            yield from (self._csv(file) if self.format == "csv" else self._jsonl(file))

    def _csv(self, file: IO[str]) -> Iterator[Row]:
        reader = csv.DictReader(file)
        self.columns = [name for name in reader.fieldnames or [] if name]
        if not self.columns:
            raise InputError(f"{self.path} is empty: a CSV file needs a header row")
        for name in (self.column, self.id_column):
            if name is not None and name not in self.columns:
                raise InputError(
                    f"{self.path} has no column {name!r}; its columns: {', '.join(self.columns)}"
                )
        for number, record in enumerate(reader, 1):
            fields = {name: value for name, value in record.items() if name}
            yield self._row(number, fields)

    def _jsonl(self, file: IO[str]) -> Iterator[Row]:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
            except ValueError:
                fields = None
            if not isinstance(fields, dict):
                if self.id_column:
                    raise InputError(f"{self.path}, line {number}: not a JSON object, so no id")
                yield Row(number, str(number), {}, "", "not a JSON object")
                continue
            self.columns += [name for name in fields if name not in self._known]
            self._known.update(fields)
            self._any_text |= self.column in fields
            yield self._row(number, fields)

    def _row(self, number: int, fields: dict[str, Any]) -> Row:
        key = str(number)
        if self.id_column:
            if fields.get(self.id_column) in (None, ""):
                raise InputError(f"{self.path}, row {number}: no value in the id column {self.id_column!r}")
            value = fields[self.id_column]
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InputError(
                    f"{self.path}, row {number}: the id in {self.id_column!r} is {type(value).__name__}; "
                    "ids are strings or numbers"
                )
            key = key_text(value)
        text = fields.get(self.column)
        if text is None:
            return Row(number, key, fields, "", f"no field {self.column!r}")
        if not isinstance(text, str):
            return Row(number, key, fields, "", f"{self.column!r} is not a string")
        if not text.strip():
            return Row(number, key, fields, "", "empty text")
        if not _encodable(text):  # JSON's "\ud83d" alone: no UTF-8 text can carry it
            return Row(number, key, fields, "", "text is not valid Unicode (a lone surrogate)")
        return Row(number, key, fields, text)


@functools.cache
def columns() -> tuple[str, ...]:
    """The CSV columns of a fingerprint, by path, derived from the response model."""

    def walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                yield from walk(field.annotation, f"{path}.")
            elif path in KEYED:
                yield from (f"{path}.{key}" for key in KEYED[path][0])
            else:
                yield path

    return tuple(walk(Fingerprint, ""))


def flat(fingerprint: Fingerprint) -> dict[str, Any]:
    """``fingerprint`` as one value a column of ``columns()`` (a map or list as JSON)."""
    answer = fingerprint.model_dump(mode="json")
    out: dict[str, Any] = {}
    for column in columns():
        value: Any = answer
        for part in column.split("."):
            value = value.get(part, _ABSENT) if isinstance(value, dict) else _ABSENT
        if value is _ABSENT:
            value = KEYED.get(column.rsplit(".", 1)[0], ((), None))[1]
        out[column] = json.dumps(value) if isinstance(value, dict | list) else value
    return out


class Sink:
    """The output file (module docstring): ``done`` holds the keys it already has."""

    def __init__(
        self, path: Path, source: Source, drop_text: bool = False, retry_errors: bool = False
    ) -> None:
        if path.resolve() == source.path.resolve():
            raise InputError("the output must be another file than the input")
        self.path, self.format = path, file_format(path)
        self.key = source.id_column or ROW
        carried = [c for c in source.columns if not (drop_text and c == source.column)]
        self.carried = set(carried)
        added = [*columns(), ERROR] if self.format == "csv" else [FINGERPRINT, ERROR]
        self.header = ([] if source.id_column else [ROW]) + carried + added
        if clash := sorted({*carried} & {*added, *([] if source.id_column else [ROW])}):
            raise InputError(
                f"the input's column(s) {', '.join(map(repr, clash))} would clash with the output's; "
                "rename them in the input"
            )
        self.done = self._resume(retry_errors)
        try:
            # A lone surrogate in a carried field comes out as \udXXX (in JSON Lines, JSON's escape).
            self.file = path.open("a", encoding="utf-8", errors="backslashreplace", newline="")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        if not self.done and self.file.tell() == 0 and self.format == "csv":
            self._put(self.header)

    def write(self, row: Row, result: Fingerprint | None, error: str | None = None) -> None:
        fields = {name: value for name, value in row.fields.items() if name in self.carried}
        if self.key == ROW:
            fields = {ROW: row.number, **fields}
        if self.format == "jsonl":
            fields |= {FINGERPRINT: result.model_dump(mode="json")} if result else {ERROR: error}
            self.file.write(json.dumps(fields, ensure_ascii=False) + "\n")
        else:
            values = {**fields, **(flat(result) if result else {}), ERROR: error or ""}
            self._put([values.get(name, "") for name in self.header])
        self.file.flush()

    def close(self) -> None:
        self.file.close()

    def _put(self, values: list[Any]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(values)
        self.file.write(buffer.getvalue())

    def _resume(self, retry_errors: bool) -> set[str]:
        """The keys the output holds; a last row cut short, and with ``retry_errors`` the
        rows with an error, removed from the file first. Read as a stream: memory holds the
        keys, not the file."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return set()
        done: set[str] = set()
        dropped = False
        complete = 0  # bytes up to the end of the last whole record
        try:
            with self.path.open("rb") as file:
                for unit, record in self._scan(file, retry_errors):
                    complete += len(unit)
                    if record is None:
                        dropped = True
                    elif self.key in record:
                        done.add(key_text(record[self.key]))
                size = file.seek(0, os.SEEK_END)
                if dropped:
                    file.seek(0)
                    self._replace(
                        kept for kept, record in self._scan(file, retry_errors) if record is not None
                    )
                elif complete != size:
                    os.truncate(self.path, complete)
        except OSError as exc:
            raise InputError(f"cannot rewrite {self.path} to resume: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, csv.Error):
            raise InputError(f"{self.path} is not an output of miyraa score; pass another --out") from None
        return done

    def _scan(self, file: IO[bytes], retry_errors: bool) -> Iterator[tuple[bytes, dict[str, Any] | None]]:
        """Each whole record of the output with its bytes, and the record; None for one to drop."""
        for index, (unit, value) in enumerate(_units(file, self.format)):
            record = self._record(index, value)
            yield unit, None if record is None or (retry_errors and record.get(ERROR)) else record

    def _replace(self, units: Iterator[bytes]) -> None:
        """The output replaced by ``units``: a new file renamed over it, so that an
        interruption now loses no finished row."""
        fresh = self.path.with_name(f".{self.path.name}.resume")
        with fresh.open("wb") as out:
            for unit in units:
                out.write(unit)
        os.replace(fresh, self.path)

    def _record(self, index: int, value: Any) -> dict[str, Any] | None:
        """One unit of the output as a record; {} for the CSV header, None for what is no row."""
        if self.format == "jsonl":
            try:
                record = json.loads(value)
            except ValueError:
                return None
            return record if isinstance(record, dict) else None
        if index == 0:
            if value != self.header:
                raise InputError(
                    f"{self.path} exists with other columns (another input or other options?); "
                    "pass another --out, or delete it to start over"
                )
            return {}
        return dict(zip(self.header, value, strict=True)) if len(value) == len(self.header) else None


def _units(file: IO[bytes], fmt: str) -> Iterator[tuple[bytes, Any]]:
    """The whole records of an output file with their bytes, in order and contiguous from the
    start: (bytes, the JSON line) or (bytes, the CSV values; a record may span lines). A last
    record without its line end (cut short, maybe inside a character) is left out."""
    whole = (line for line in file if line.endswith(b"\n"))  # only the last line can lack it
    if fmt == "jsonl":
        for line in whole:
            yield line, line.decode("utf-8")
        return
    consumed: list[bytes] = []
    read_all = False

    def lines() -> Iterator[str]:
        nonlocal read_all
        for line in whole:
            consumed.append(line)
            yield line.decode("utf-8")
        read_all = True

    # The reader takes no more lines than the record it returns needs; strict, a record cut
    # inside a quoted text (one that spans lines) is an error at the end of the data.
    reader = csv.reader(lines(), strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            if read_all:
                return  # the last record, cut short
            raise
        unit = b"".join(consumed)
        consumed.clear()
        yield unit, values
