"""Loading one sheet of an Excel workbook with python-calamine into a DuckDB table, in chunks of rows.

calamine holds the sheet's cells (compactly, outside Python); they become Python values `CHUNK_ROWS` rows at
a time (`_Sheet.rows`): one pass finds the columns that hold anything, a second turns each chunk into text
columns appended to the table (`batches.store_batches`). Python memory does not grow with the sheet.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ctdhub.errors import CtdhubError
from ctdhub.read.batches import Chunk, clean_text, store_batches
from ctdhub.read.headers import clean_headers, column_letter
from ctdhub.read.source_info import SourceInfo
from ctdhub.read.xlsx_bounds import WorkbookGuard
from ctdhub.read.xlsx_cells import cell_text, is_filled, is_text_cell

HEADER_SEARCH_ROWS = 30
CHUNK_ROWS = 50_000  # rows of the sheet turned into Python values at a time

Grid = Sequence[Sequence[object]]


def _open(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as err:  # noqa: BLE001 - calamine raises several unrelated types for broken files; all become one sentence
        raise CtdhubError(
            f"{path.name}: the workbook could not be opened ({type(err).__name__}: {err}).",
            hint="Check that it is a real .xlsx file, not password-protected, and re-save it from Excel.",
        ) from None


class _Sheet:
    """One worksheet as calamine holds it, handed to Python row by row: every row is `width` cells long from
    column A, and the rows start at row 1 (as `to_python(skip_empty_area=False)` gives them)."""

    def __init__(self, sheet: CalamineSheet) -> None:
        self.sheet = sheet
        start, end = sheet.start, sheet.end
        self.height = end[0] + 1 if end else 0
        self.width = end[1] + 1 if end else 0
        self.pad: list[object] = [""] * start[1] if start else []  # calamine's rows start at its first column

    def rows(self, first: int = 0) -> Iterator[Sequence[object]]:
        """The rows from index `first` (0-based) on."""
        for row in itertools.islice(self.sheet.iter_rows(), first, None):
            yield [*self.pad, *row] if self.pad else row

    def head(self, n: int = HEADER_SEARCH_ROWS) -> Grid:
        return list(itertools.islice(self.rows(), n))

    def chunks(self, first: int) -> Iterator[tuple[int, Grid]]:
        """(index of the first row, rows) of at most `CHUNK_ROWS` rows, from row index `first` on."""
        rows = self.rows(first)
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            yield first, chunk
            first += len(chunk)


def _sheet(book: CalamineWorkbook, name: str, guard: WorkbookGuard) -> _Sheet:
    guard.check_sheet(name)  # before calamine allocates the sheet's dense grid
    return _Sheet(book.get_sheet_by_name(name))


def _has_data(sheet: _Sheet) -> bool:
    return any(is_filled(v) for row in sheet.rows() for v in row)


def _choose_sheet(
    book: CalamineWorkbook, guard: WorkbookGuard, sheet: str | int | None, label: str
) -> tuple[str, _Sheet, tuple[str, ...]]:
    """The sheet to read, its cells, and the other sheets that hold data (shown in the ingest report)."""
    meta = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    names = [m.name for m in meta]
    hidden = {m.name for m in meta if m.visible != SheetVisibleEnum.Visible}
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        filled = [(n, g) for n in names if _has_data(g := _sheet(book, n, guard))]
        if not filled:
            raise CtdhubError(f"{label} is empty: no sheet has any data.", hint=f"Sheets: {listed}.")
        name, grid = next(((n, g) for n, g in filled if n not in hidden), filled[0])
        _refuse_split_records(label, name, grid, filled)
        others = tuple(f"{n} (hidden)" if n in hidden else n for n, _ in filled if n != name)
        return name, grid, others
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet not in names and sheet.strip().isdigit()):
        index = int(sheet)
        if not 1 <= index <= len(names):
            raise CtdhubError(
                f"{label} has no sheet number {index}; it has {len(names)} sheet(s): {listed}.",
                hint="Set source.sheet to a sheet name or a number counted from 1.",
            )
        name = names[index - 1]
    else:
        match = [n for n in names if n == sheet] or [
            n for n in names if n.strip().lower() == sheet.strip().lower()
        ]
        if not match:
            raise CtdhubError(
                f"{label} has no sheet named {sheet!r}; available sheets: {listed}.",
                hint="Set source.sheet to one of those names.",
            )
        name = match[0]
    return name, _sheet(book, name, guard), ()


def _header_names(sheet: _Sheet) -> set[str]:
    top = sheet.head()
    row = top[detect_header_row(top)] if top else []
    return {str(cell_text(v)).strip().lower() for v in row if is_filled(v)}


def _refuse_split_records(label: str, name: str, sheet: _Sheet, filled: list[tuple[str, _Sheet]]) -> None:
    """Refuse a workbook whose case records are split over sheets with the same columns (one per year,
    say): reading the first alone would leave the others' rows neither stored nor quarantined. A sheet
    of notes or of drop-down lists (as in the HTCDS template) has other columns and is only reported."""
    head = _header_names(sheet)
    same = [n for n, g in filled if n != name and len(head & _header_names(g)) * 2 > max(len(head), 1)]
    if same:
        sheets = ", ".join(repr(n) for n in [name, *same])
        raise CtdhubError(
            f"{label} holds case records with the same columns on {len(same) + 1} sheets ({sheets}); one "
            "file is read from one sheet, so the others' rows would be lost; nothing was stored.",
            hint="Copy the records onto one sheet, or save each sheet as its own file and set source.sheet.",
        )


def detect_header_row(grid: Grid) -> int:
    """0-based index of the header row: the first row, among the first rows, where most filled cells are
    text and that has as many filled cells as any row above it and at least half as many as the widest
    row nearby (so a one-cell title above the real header is passed over)."""
    counts = [sum(1 for v in row if is_filled(v)) for row in grid[:HEADER_SEARCH_ROWS]]
    widest = max(counts, default=0)
    need = max(1, min(2, widest), math.ceil(widest / 2))
    above = 0
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        filled = counts[i]
        texts = sum(1 for v in row if is_text_cell(v))
        if filled >= need and filled >= above and texts * 2 > filled:
            return i
        above = max(above, filled)
    return next((i for i, c in enumerate(counts) if c), 0)


_CACHED_TYPES = {int, float, dt.datetime, dt.date, dt.time}


def _columns(data: Grid, width: int) -> list[tuple[object, ...]] | None:
    """The data rows' cells column by column (one transposition in C), or None when the rows are not all
    `width` cells long (the callers then read the cells row by row)."""
    if not data or any(len(r) != width for r in data):
        return None
    return list(zip(*data, strict=True))


def _any_filled(cells: list[tuple[object, ...]] | None, data: Grid, c: int) -> bool:
    """Whether column `c` has a filled cell: tested once per distinct value (a template's empty column
    holds one, '') rather than once per cell."""
    if cells is None:
        return any(c < len(r) and is_filled(r[c]) for r in data)
    return any(is_filled(v) for v in set(cells[c]))


def _column_text(cells: list[tuple[object, ...]] | None, data: Grid, c: int) -> pa.Array:
    """Column `c` as text (`cell_text`). A column of text cells only is handed to Arrow as it is: its empty
    cells ('') become NULL in `clean_text`, as `cell_text` makes them None."""
    if cells is None:
        return pa.array([cell_text(r[c]) if c < len(r) else None for r in data], pa.string())
    column = cells[c]
    types = set(map(type, column))
    if types == {str}:  # no per-cell Python code
        return pa.array(column, pa.string())
    if len(types) == 1 and types <= _CACHED_TYPES:
        # numbers or dates of one type: `cell_text` once per distinct value (values equal in one of these
        # types have the same text; an aware date-time, equal to others at the same instant, is excluded)
        distinct = set(column)
        if len(distinct) * 2 < len(column) and all(getattr(v, "tzinfo", None) is None for v in distinct):
            text = {v: cell_text(v) for v in distinct}
            return pa.array(list(map(text.__getitem__, column)), pa.string())
    return pa.array([cell_text(v) for v in column], pa.string())


def _filled_columns(sheet: _Sheet, first: int, width: int) -> list[bool]:
    """Whether each column has a filled cell from row index `first` on (the pass ends once all have)."""
    filled = [False] * width
    for _, data in sheet.chunks(first):
        cells = _columns(data, width)
        for c in range(width):
            filled[c] = filled[c] or _any_filled(cells, data, c)
        if all(filled):
            break
    return filled


def _text_chunks(sheet: _Sheet, first: int, width: int, keep: list[int]) -> Iterator[Chunk]:
    """(spreadsheet row numbers, cleaned text of the `keep` columns) per chunk of rows from index `first`."""
    for start, data in sheet.chunks(first):
        rows = np.arange(start + 1, start + 1 + len(data), dtype=np.int64)
        cells = _columns(data, width)
        yield rows, [clean_text(_column_text(cells, data, c)) for c in keep]


def read_xlsx_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    table: str,
    sheet: str | int | None,
    header_row: int | None,
) -> SourceInfo:
    label = path.name
    guard = WorkbookGuard(path)  # refuses parts that unpack too far before calamine reads any
    book = _open(path)
    name, worksheet, others = _choose_sheet(book, guard, sheet, label)
    where = f"{label}, sheet {name!r}"
    if not _has_data(worksheet):
        raise CtdhubError(f"{where} is empty.")
    top = worksheet.head()
    if header_row is not None:
        if not 1 <= header_row <= worksheet.height:
            raise CtdhubError(f"{where} has no row {header_row} (it has {worksheet.height} rows).")
        head = header_row - 1
    else:
        head = detect_header_row(top)
    header = top[head] if head < len(top) else next(worksheet.rows(head))
    width = worksheet.width
    filled = _filled_columns(worksheet, head + 1, width)
    keep = [c for c in range(width) if (c < len(header) and is_filled(header[c])) or filled[c]]
    header_cells = [cell_text(header[c]) if c < len(header) else None for c in keep]
    names = clean_headers(
        header_cells,
        where,
        positions=[c + 1 for c in keep],
        describe=lambda n: f"column {column_letter(n)}",
    )
    counts = store_batches(con, table, names, _text_chunks(worksheet, head + 1, width, keep))
    return SourceInfo(
        path=path,
        format="xlsx",
        encoding=None,
        delimiter=None,
        sheet=name,
        header_row=head + 1,
        rows=counts.rows,
        columns=names,
        blank_rows_skipped=counts.blanks,
        other_sheets=others,
    )
