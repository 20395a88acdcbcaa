"""Rows for personalised runs: a CSV file, or a JSON or YAML list of records.

Each row is a dict of strings; templates see it as ``guest`` (``guest.name`` …). Rows come one
at a time from CSV files, so a run over many guests does not hold them all.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import PublisherError
from .names import slug
from .yamlsource import parse_yaml, read_text

MAX_DATA_BYTES = 200_000_000
REQUIRED = "name"


@dataclass(frozen=True)
class Row:
    key: str                    # safe file name, unique in the run
    fields: dict[str, str]
    line: int | None            # where the row starts in the data file


def file_key(value: str) -> str:
    """A row's key as a file name: 'Dr Ada Müller' → 'dr-ada-muller', 吴桂龙 → 'wu-gui-long'."""
    return slug(value, 80)


def column_name(header: object) -> str:
    """Headers as spreadsheets write them, matched without regard to case or spaces:
    'Name' → 'name', ' First Name ' → 'first_name'."""
    return re.sub(r"\s+", "_", str(header).strip().lower())


def read_rows(path: Path, key: str | None = None) -> Iterator[Row]:
    """The rows of ``path``, checked: every row has a name and a unique, usable key."""
    path = Path(path)
    if not path.is_file():
        raise PublisherError(f"data file not found: {path}", fix="give the path of a CSV, JSON "
                             "or YAML file with one row per guest")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path)
    elif suffix in (".json", ".yaml", ".yml"):
        records = _list_records(path, suffix)
    else:
        raise PublisherError(f"'{path.name}' is not a CSV, JSON or YAML file", path=path,
                             fix="save the guest list as .csv (or .json, .yaml)")
    seen: dict[str, int | None] = {}
    number = 0
    for line, record in records:
        fields = {column_name(k): "" if v is None else str(v).strip() for k, v in record.items()}
        if not any(fields.values()):
            continue  # an empty row, as spreadsheets leave them
        number += 1
        if REQUIRED not in fields:
            raise PublisherError(f"there is no column '{REQUIRED}'", path=path, line=line,
                                 fix=f"name the guests' column '{REQUIRED}'; the columns found "
                                     f"are: {', '.join(fields)}")
        if not fields.get(REQUIRED):
            raise PublisherError(f"row {number} has no '{REQUIRED}'", path=path, line=line,
                                 fix=f"give every row a '{REQUIRED}' (a column '{REQUIRED}' in a "
                                     "CSV file): the layouts print it")
        column = key or ("id" if "id" in fields else REQUIRED)
        if column not in fields:
            raise PublisherError(f"row {number} has no column '{column}' for the file names",
                                 path=path, line=line,
                                 fix=f"choose one of: {', '.join(fields)} (--key)")
        name = file_key(fields[column])
        if not name:
            raise PublisherError(f"row {number}: '{fields[column]}' makes no file name",
                                 path=path, line=line, fix="give it letters or digits")
        if name in seen:
            where = f" (line {seen[name]})" if seen[name] else ""
            raise PublisherError(f"row {number} has the same {column} as an earlier row{where}: "
                                 f"'{fields[column]}'", path=path, line=line,
                                 fix=f"make '{column}' unique, or choose another column with "
                                     "--key")
        seen[name] = line
        yield Row(name, fields, line)


def _csv_records(path: Path) -> Iterator[tuple[int, dict]]:
    if path.stat().st_size > MAX_DATA_BYTES:
        raise PublisherError("the data file is too large", path=path,
                             fix="split it into several runs")
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            # Spreadsheets save CSV with commas, semicolons (in many countries) or tabs.
            sample = file.read(64_000)
            file.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.DictReader(file, delimiter=dialect.delimiter)
            if not reader.fieldnames:
                raise PublisherError("the CSV file has no header line", path=path, line=1,
                                     fix="start it with the column names, e.g. name,title")
            seen = set()
            for name in reader.fieldnames:
                if name in seen:  # DictReader would keep the last column silently
                    raise PublisherError(f"the column '{name}' appears twice in the header",
                                         path=path, line=1,
                                         fix="rename or remove one of the two columns")
                seen.add(name)
            line = reader.line_num + 1
            for record in reader:
                record.pop(None, None)  # cells beyond the header
                yield line, record
                line = reader.line_num + 1
    except UnicodeDecodeError:
        raise PublisherError("the CSV file is not UTF-8 text", path=path,
                             fix="save it as 'CSV UTF-8' from your spreadsheet") from None
    except csv.Error as error:
        raise PublisherError(f"unreadable CSV: {error}", path=path,
                             fix="save it again from the spreadsheet as CSV") from None


def _list_records(path: Path, suffix: str) -> Iterator[tuple[int | None, dict]]:
    text = read_text(path, max_bytes=MAX_DATA_BYTES)
    if suffix == ".json":
        try:
            data, lines = json.loads(text), None
        except json.JSONDecodeError as error:
            raise PublisherError(f"invalid JSON: {error.msg}", path=path, line=error.lineno,
                                 fix="check the brackets, commas and quotes near this line"
                                 ) from None
    else:
        document = parse_yaml(text, path)
        data, lines = document.data, document
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PublisherError("the data must be a list of records (one per guest)", path=path,
                             fix='write [{"name": "Ada Example", …}, …]')
    for index, item in enumerate(data):
        yield (lines.line_of((index,)) if lines else None), item
