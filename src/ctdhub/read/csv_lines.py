"""Physical line numbers of CSV records, found by one vectorised pass over the bytes (numpy, in chunks).

DuckDB reports no line numbers, and a record's ordinal differs from its line when values hold quoted
newlines or the file has empty lines (which DuckDB skips). This pass mirrors DuckDB's splitting with
quote '"' (escape '""'): a newline ends a record when an even number of quotes precedes it; an empty
line (or a lone '\r') is not a record.

For a large file the lines are not kept one by one (`compact`): a record's line is its ordinal plus an
offset that only grows where a record spans lines or an empty line is skipped, so the scan keeps the
ordinals where that offset changes (`LineScan.breaks`). A file of one line per record has one break, and
memory does not grow with the file.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CHUNK = 16 * 1024 * 1024
QUOTE = 34
NEWLINE = 10
CR = 13

Lines = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LineScan:
    """What one pass over a CSV file found."""

    lines: Lines  # start line of each non-empty record (the header first); empty when `compact`
    empty_lines: int  # empty lines after the first record
    utf8_error: int | None = None  # byte offset of the first invalid UTF-8, when asked to check
    records: int = 0  # how many start lines were found (= lines.size when they are kept)
    # (ordinals, offsets): record `i` starts on line i + the offset of the last break at or before `i`
    breaks: tuple[Lines, Lines] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    # whitespace other than the space in some value: a tab, vertical tab, form feed, no-break space, a
    # carriage return not ending a line, or a newline inside quotes (then values need more than trim())
    other_whitespace: bool = True


OTHER_BYTES = (b"\t", b"\x0b", b"\x0c")  # tab, vertical tab, form feed


def _other_whitespace(chunk: bytes, before: int, quoted: Lines) -> bool:
    """Whether `chunk` (after the byte `before`) holds whitespace other than spaces and line ends: a tab,
    vertical tab or form feed, a no-break space (C2 A0 in UTF-8), a carriage return not followed by a
    newline (one ending a chunk is judged with the next, as its `before`), or a newline inside quotes
    (`quoted`: the quote parity at each newline). Each test starts with a one-byte search (memchr, at memory
    speed); counting or searching pairs only follows when that byte is there."""
    if bool(quoted.any()) or any(b in chunk for b in OTHER_BYTES):
        return True
    if _has_no_break_space(chunk, before):
        return True
    if before == CR and chunk[0] != NEWLINE:
        return True
    if b"\r" not in chunk:
        return False
    return chunk.count(b"\r") - chunk.count(b"\r\n") != (1 if chunk[-1] == CR else 0)


NBSP_LOOKS = 1_000  # A0 bytes followed one by one before searching for the pair instead


def _has_no_break_space(chunk: bytes, before: int) -> bool:
    """Whether `chunk` (after the byte `before`) holds C2 A0. A0 is also the second byte of letters such as
    'à' (C3 A0); its few occurrences are followed with memchr, as searching for the pair takes ten times a
    one-byte search, and the pair is searched for only when A0 is frequent (Cyrillic or CJK text)."""
    at = chunk.find(b"\xa0")
    for _ in range(NBSP_LOOKS):
        if at < 0:
            return False
        if (chunk[at - 1] if at else before) == 0xC2:
            return True
        at = chunk.find(b"\xa0", at + 1)
    return b"\xc2\xa0" in chunk


def line_start_offset(path: Path, lines_to_skip: int) -> int:
    """Byte offset where physical line `lines_to_skip + 1` starts."""
    if lines_to_skip <= 0:
        return 0
    seen = 0
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            pos = -1
            while seen < lines_to_skip:
                pos = chunk.find(b"\n", pos + 1)
                if pos < 0:
                    break
                seen += 1
            if seen == lines_to_skip:
                return done + pos + 1
            done += len(chunk)
    return done


def record_lines(
    path: Path,
    *,
    first_line: int = 1,
    keep_empty: bool = False,
    check_utf8: bool = False,
    compact: bool = False,
) -> LineScan:
    """Start lines of the non-empty records in `path`, reading from physical line `first_line`, and the
    number of empty lines after the first record (DuckDB skips them; they count as blank rows).
    With `keep_empty`, empty lines are listed too (DuckDB counts them in its error positions). With
    `compact`, only the `breaks` of the lines are kept, not the lines."""
    return _scan(path, first_line, keep_empty, check_utf8, _Found(keep=not compact))


class _Found:
    """The start lines found so far: kept, or (not `keep`) only where their offset from the ordinal changes."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.parts: list[Lines] = []
        self.records = 0
        self.first: int | None = None
        self.ordinals: list[Lines] = []
        self.offsets: list[Lines] = []
        self.offset: int | None = None

    def add(self, lines: Lines) -> None:
        if not lines.size:
            return
        if self.first is None:
            self.first = int(lines[0])
        if self.keep:
            self.parts.append(lines)
        else:
            offsets = lines - np.arange(self.records, self.records + lines.size, dtype=np.int64)
            at = np.flatnonzero(np.diff(offsets)) + 1
            if self.offset is None or int(offsets[0]) != self.offset:
                at = np.concatenate(([0], at))
            self.ordinals.append(at.astype(np.int64) + self.records)
            self.offsets.append(offsets[at])
            self.offset = int(offsets[-1])
        self.records += int(lines.size)

    def breaks(self) -> tuple[Lines, Lines]:
        empty = np.zeros(0, dtype=np.int64)
        return (
            np.concatenate(self.ordinals) if self.ordinals else empty,
            np.concatenate(self.offsets) if self.offsets else empty,
        )


def _quotes_before(is_quote: npt.NDArray[np.uint8], npos: Lines) -> Lines:
    """The parity of the quotes before each newline of a chunk (`is_quote`: 1 where the byte is a quote;
    `npos`: the newlines' offsets, increasing): the parity of each stretch between newlines, accumulated.
    Two passes over the bytes, where listing every quote's offset cost a fully quoted file a third of its
    parse time."""
    if not npos.size or npos[-1] == 0:  # no newline, or only one, at the chunk's start: no quote before it
        return np.zeros(npos.size, dtype=np.int64)
    starts = np.concatenate(([0], npos[:-1]))  # stretch i runs from the previous newline to newline i
    # reduceat gives an empty stretch (a chunk starting with a newline) the byte at its start: a newline, 0
    stretches = np.bitwise_xor.reduceat(is_quote[: int(npos[-1])], starts)
    return np.bitwise_xor.accumulate(stretches).astype(np.int64)


def _scan(path: Path, first_line: int, keep_empty: bool, check_utf8: bool, found: _Found) -> LineScan:
    start = line_start_offset(path, first_line - 1)
    empties = 0
    odd = 0  # parity of quotes seen so far
    newlines_before = first_line - 1  # newlines before the current chunk (from the top of the file)
    last_term = start - 1  # offset of the last record terminator
    last_term_line = first_line - 1  # line on which that terminator sits
    last_byte = NEWLINE  # byte just before the current chunk
    other = False
    offset = start
    decoder = codecs.getincrementaldecoder("utf-8")() if check_utf8 else None
    utf8_error: int | None = None
    with path.open("rb") as fh:
        fh.seek(start)
        while chunk := fh.read(CHUNK):
            if decoder is not None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    utf8_error, decoder = offset + err.start, None
            a = np.frombuffer(chunk, dtype=np.uint8)
            is_quote = (a == QUOTE).view(np.uint8)
            npos = np.flatnonzero(a == NEWLINE)
            quoted = (_quotes_before(is_quote, npos) + odd) & 1
            other = other or _other_whitespace(chunk, last_byte, quoted)
            local = np.flatnonzero(quoted == 0)
            if local.size:
                terms = npos[local].astype(np.int64) + offset
                term_lines = local.astype(np.int64) + newlines_before + 1
                prev = np.concatenate(([last_term], terms[:-1]))
                prev_lines = np.concatenate(([last_term_line], term_lines[:-1]))
                starts = prev + 1
                length = terms - starts
                first = np.where(starts >= offset, a[np.clip(starts - offset, 0, len(a) - 1)], last_byte)
                empty = (length == 0) | ((length == 1) & (first == CR))
                if keep_empty:
                    empty[:] = False
                found.add(prev_lines[~empty] + 1)
                empties += int(empty.sum())
                last_term, last_term_line = int(terms[-1]), int(term_lines[-1])
            odd = (odd + int(np.count_nonzero(is_quote))) & 1
            newlines_before += int(npos.size)
            last_byte = int(a[-1])
            offset += len(chunk)
    tail = offset - (last_term + 1)
    if tail > 1 or (tail == 1 and last_byte != CR):
        found.add(np.array([last_term_line + 1], dtype=np.int64))
    lines = np.concatenate(found.parts) if found.parts else np.zeros(0, dtype=np.int64)
    if found.first is not None:  # empty lines above the first record are not blank data rows
        empties -= found.first - first_line
    if decoder is not None and utf8_error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = offset
    return LineScan(lines, max(empties, 0), utf8_error, found.records, found.breaks(), other)
