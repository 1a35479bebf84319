"""What `read_source` tells the caller about the file it loaded (format, encoding, header row, size)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceInfo:
    """The outcome of reading one contributor file into a DuckDB table."""

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int
    rows: int
    columns: list[str]
    blank_rows_skipped: int = 0
    other_sheets: tuple[str, ...] = ()
    notes: tuple[
        str, ...
    ] = ()  # what the reader detected or repaired (shown in the ingest report)  # workbook sheets holding data that were not read (said in the report)
