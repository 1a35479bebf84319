"""Bounding the work of reading an .xlsx before python-calamine loads it.

calamine builds a dense grid from A1 to the farthest cell holding a value (32 bytes a cell), so a 2 KB
workbook with one stray value at XFD1048576 asks for half a terabyte and aborts the process. Its zip parts
may also unpack to far more than their packed size. `WorkbookGuard` reads the zip directory before
calamine opens the file, refusing oversized parts, and `check_sheet` streams one sheet's XML to find the
extent calamine will allocate, refusing a sheet whose grid is far larger than its values need.

The scan is two-staged so normal workbooks stay fast: a cheap pass over the XML (C-speed regular
expressions, no per-cell Python work) gives an upper bound of the extent; only when that bound is too
large does an exact pass follow, which follows calamine's placing of cells (self-closing, value-less
cells are skipped; a cell without a reference sits after the previous one).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ctdhub.errors import CtdhubError
from ctdhub.read.headers import column_letter

# Decompressed size allowed for any one part of the zip (a sheet's XML, the shared strings).
MAX_PART_BYTES = 512 * 1024 * 1024
# Largest dense grid (rows x columns from A1) allowed at all, and allowed beyond the values' own need.
MAX_CELLS = 20_000_000
SPARSE_FACTOR = 50
SPARSE_MARGIN = 1_000_000
# Size of the small XML parts (workbook, relationships) parsed to map sheet names to parts.
MAX_INDEX_BYTES = 16 * 1024 * 1024
CHUNK = 8 * 1024 * 1024

_REF_LETTERS = re.compile(rb'<c r="([A-Z]+)[0-9]')
_ROW_NUMBER = re.compile(rb"""<row r=["']0*([0-9]+)""")
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*?)(/?)>")
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]*)\$?([0-9]*)["']""")


@dataclass(frozen=True)
class SheetExtent:
    """The grid calamine allocates for a sheet: rows and columns counted from A1, and the values in it."""

    rows: int
    columns: int
    values: int
    far_row: str = ""
    far_column: str = ""

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    def too_large(self) -> bool:
        """True when the grid exceeds MAX_CELLS or is far larger than the values need."""
        return self.cells > MAX_CELLS or self.cells > SPARSE_FACTOR * self.values + SPARSE_MARGIN


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Iterator[bytes]:
    """The part's XML in pieces that each end just before a '<', refusing it past MAX_PART_BYTES."""
    total = 0
    carry = b""
    with zf.open(info) as fh:
        while True:
            data = fh.read(CHUNK)
            total += len(data)
            if total > MAX_PART_BYTES:
                raise _unpacks_too_far(where, info)
            if not data:
                break
            piece = carry + data
            cut = piece.rfind(b"<")  # a tag never spans two pieces
            carry = piece[cut:] if cut >= 0 else b""
            if cut != 0:
                yield piece[:cut] if cut > 0 else piece
    if carry:
        yield carry


def _unpacks_too_far(where: str, info: zipfile.ZipInfo) -> CtdhubError:
    return CtdhubError(
        f"{where} unpacks to more than {_mb(MAX_PART_BYTES)} from {info.compress_size:,} bytes packed "
        f"({info.filename}), so the file looks damaged or built to exhaust memory and was not read."
    )


def _greater_than(token: str, lo: str, hi: str, lead: str) -> str:
    """A regular expression for the tokens over the alphabet `lo`..`hi` that come after `token` (same length
    and larger, or longer, a longer one starting with `lead`)."""
    k = len(token)
    alts = [f"{lead}[{lo}-{hi}]{{{k},}}"]
    for i, ch in enumerate(token):
        if ch != hi:
            alts.append(f"{token[:i]}[{chr(ord(ch) + 1)}-{hi}][{lo}-{hi}]{{{k - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


def _greater_number(n: int) -> str:
    """A regular expression for the decimal numbers above `n` (no leading zeros)."""
    return _greater_than(str(n), "0", "9", "[1-9]")


def _greater_letters(n: int) -> str:
    """A regular expression for the column letters after column `n` (upper case)."""
    return _greater_than(column_letter(n) if n > 0 else "", "A", "Z", "[A-Z]")


def _quick_extent(chunks: Iterator[bytes]) -> SheetExtent | None:
    """An upper bound of the extent, or None when only the exact pass can tell (a cell written other than
    `<c r="...">`, or a cell reference beyond the bound). The bound is the largest row number on a <row>
    tag (widened by the rows without one) and the widest column of the first piece; one search per piece
    confirms that no cell reference lies beyond them."""
    columns = rows = values = 0
    for piece in chunks:
        if piece.count(b"<c ") != piece.count(b'<c r="'):
            return None
        numbered = [int(n) for n in _ROW_NUMBER.findall(piece)]
        rows = max(rows, *numbered) if numbered else rows
        rows += piece.count(b"<row") - len(numbered)
        if not columns:
            columns = max((_column_number(s) for s in set(_REF_LETTERS.findall(piece))), default=0)
        beyond = rf"""<c r="(?:{_greater_letters(columns)}[0-9]|[A-Z]+0*{_greater_number(rows)}")"""
        if re.search(beyond.encode(), piece):
            return None
        values += piece.count(b"</c>")
    return SheetExtent(rows=rows, columns=columns, values=values)


@dataclass(slots=True)
class _Placement:
    """calamine's placing of cells as a sheet's tags stream by, and the extent of the cells holding something."""

    row: int = 0  # where the next cell without a reference goes (0-based)
    col: int = 0
    rows: int = 0
    columns: int = 0
    values: int = 0
    far_row: str = ""
    far_column: str = ""

    def tag(self, close: bytes, name: bytes, attrs: bytes, empty: bytes) -> None:
        """Follow one `<row>`, `</row>`, `<c>` or `</c>` tag (a closing cell tag changes nothing)."""
        ref = _REF.search(attrs) if not close else None
        if name == b"row":
            self.row_tag(close, ref)
        elif not close:
            self.cell_tag(ref, empty)

    def row_tag(self, close: bytes, ref: re.Match[bytes] | None) -> None:
        """A row ends (the next starts at column A), or starts at its own row number when it has one."""
        if close:
            self.row, self.col = self.row + 1, 0
        elif ref is not None and ref.group(2):
            self.row = int(ref.group(2)) - 1

    def cell_tag(self, ref: re.Match[bytes] | None, empty: bytes) -> None:
        """A cell sits at its reference, or after the previous cell; a self-closing one holds nothing."""
        here_row, here_col = self.row, self.col
        if ref is not None and ref.group(1) and ref.group(2):
            here_row, here_col = int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1
        self.col = here_col + 1
        if not empty:
            self.value_at(here_row, here_col)

    def value_at(self, row: int, col: int) -> None:
        """Count a cell holding something, widening the extent to reach it."""
        self.values += 1
        label = f"{column_letter(col + 1)}{row + 1}"
        if row + 1 > self.rows:
            self.rows, self.far_row = row + 1, label
        if col + 1 > self.columns:
            self.columns, self.far_column = col + 1, label

    def extent(self) -> SheetExtent:
        return SheetExtent(self.rows, self.columns, self.values, self.far_row, self.far_column)


def _exact_extent(chunks: Iterator[bytes]) -> SheetExtent:
    """The extent as calamine places the cells that hold something (not self-closing)."""
    placement = _Placement()
    for piece in chunks:
        for close, name, attrs, empty in _TAG.findall(piece):
            placement.tag(close, name, attrs, empty)
    return placement.extent()


class WorkbookGuard:
    """Checks on one .xlsx made before calamine touches it; a file that is not a zip is left to calamine."""

    def __init__(self, path: Path) -> None:
        """Read the zip directory, refuse a part declared larger than MAX_PART_BYTES, and map sheet names
        to their XML parts."""
        self.path = path
        self.parts: dict[str, str] = {}
        self.names: set[str] = set()
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            return  # not a zip (or unreadable): calamine reports the file itself when it opens it
        with zf:
            infos = zf.infolist()
            for info in infos:
                if info.file_size > MAX_PART_BYTES:
                    raise _unpacks_too_far(path.name, info)
            self.names = {i.filename for i in infos}
            try:
                self.parts = self._sheet_parts(zf)
            except (zipfile.BadZipFile, zlib.error, EOFError, ElementTree.ParseError, KeyError):
                self.parts = {}  # no usable index: every worksheet part is checked instead

    def _read_small(self, zf: zipfile.ZipFile, name: str) -> ElementTree.Element:
        with zf.open(name) as fh:
            data = fh.read(MAX_INDEX_BYTES + 1)
        if len(data) > MAX_INDEX_BYTES:
            raise CtdhubError(f"{self.path.name}: the part {name} is too large to be a workbook index.")
        return ElementTree.fromstring(data)

    def _targets(self, zf: zipfile.ZipFile, rels: str, base: str) -> dict[str, str]:
        """Relationship id -> part name, from the relationships part `rels` of a part in folder `base`."""
        found: dict[str, str] = {}
        if rels not in self.names:
            return found
        for el in self._read_small(zf, rels):
            target = el.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            found[el.get("Id", "")] = posixpath.normpath(full)
        return found

    def _sheet_parts(self, zf: zipfile.ZipFile) -> dict[str, str]:
        """Sheet name -> the zip member holding its XML, as listed by the workbook part."""
        book = next(
            (t for t in self._targets(zf, "_rels/.rels", "").values() if t in self.names), "xl/workbook.xml"
        )
        if book not in self.names:
            return {}
        folder, leaf = posixpath.split(book)
        targets = self._targets(zf, posixpath.join(folder, "_rels", leaf + ".rels"), folder)
        parts: dict[str, str] = {}
        for el in self._read_small(zf, book).iter():
            if not el.tag.endswith("}sheet") and el.tag != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            if rid in targets:
                parts[el.get("name", "")] = targets[rid]
        return parts

    def check_sheet(self, sheet: str) -> None:
        """Refuse `sheet` when its XML unpacks past MAX_PART_BYTES or calamine's grid for it would be far
        larger than its values need."""
        if not self.names:
            return
        part = self.parts.get(sheet, "")
        members = (
            [part]
            if part in self.names
            else sorted(n for n in self.names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        )
        where = f"{self.path.name}, sheet {sheet!r}"
        try:
            with zipfile.ZipFile(self.path) as zf:
                for member in members:
                    info = zf.getinfo(member)
                    quick = _quick_extent(_chunks(zf, info, where))
                    if quick is not None and not quick.too_large():
                        continue
                    extent = _exact_extent(_chunks(zf, info, where))
                    if extent.too_large():
                        raise _too_sparse(where, extent)
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise CtdhubError(
                f"{where}: the sheet could not be unpacked ({type(err).__name__}: {err}).",
                hint="Check that it is a real .xlsx file and re-save it from Excel.",
            ) from None


def _too_sparse(where: str, extent: SheetExtent) -> CtdhubError:
    if extent.far_row == extent.far_column:
        far = f"a cell at {extent.far_row} makes"
    else:
        far = f"cells at {extent.far_row} and {extent.far_column} make"
    values = f"{extent.values:,} value" + ("" if extent.values == 1 else "s")
    return CtdhubError(
        f"{where}: {far} the sheet {extent.rows:,} rows × {extent.columns:,} columns for {values}; delete "
        "the empty rows and columns below and right of the data and save again."
    )
