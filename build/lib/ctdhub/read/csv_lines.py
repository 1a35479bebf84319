"""Physical line numbers of CSV records, found by one vectorised pass over the bytes (numpy, in chunks).

DuckDB reports no line numbers, and a record's ordinal differs from its line when values hold quoted
newlines or the file has empty lines (which DuckDB skips). This pass mirrors DuckDB's splitting with
quote '"' (escape '""'): a newline ends a record when an even number of quotes precedes it; an empty
line (or a lone '\r') is not a record.
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

    lines: Lines  # start line of each non-empty record (the header first)
    empty_lines: int  # empty lines after the first record
    utf8_error: int | None = None  # byte offset of the first invalid UTF-8, when asked to check


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
    path: Path, *, first_line: int = 1, keep_empty: bool = False, check_utf8: bool = False
) -> LineScan:
    """Start lines of the non-empty records in `path`, reading from physical line `first_line`, and the
    number of empty lines after the first record (DuckDB skips them; they count as blank rows).
    With `keep_empty`, empty lines are listed too (DuckDB counts them in its error positions)."""
    start = line_start_offset(path, first_line - 1)
    parts: list[Lines] = []
    empties = 0
    odd = 0  # parity of quotes seen so far
    newlines_before = first_line - 1  # newlines before the current chunk (from the top of the file)
    last_term = start - 1  # offset of the last record terminator
    last_term_line = first_line - 1  # line on which that terminator sits
    last_byte = NEWLINE  # byte just before the current chunk
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
            qpos = np.flatnonzero(a == QUOTE)
            npos = np.flatnonzero(a == NEWLINE)
            quoted = (np.searchsorted(qpos, npos) + odd) & 1
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
                parts.append(prev_lines[~empty] + 1)
                empties += int(empty.sum())
                last_term, last_term_line = int(terms[-1]), int(term_lines[-1])
            odd = (odd + int(qpos.size)) & 1
            newlines_before += int(npos.size)
            last_byte = int(a[-1])
            offset += len(chunk)
    tail = offset - (last_term + 1)
    if tail > 1 or (tail == 1 and last_byte != CR):
        parts.append(np.array([last_term_line + 1], dtype=np.int64))
    lines = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if lines.size:  # empty lines above the first record are not blank data rows
        empties -= int(lines[0]) - first_line
    if decoder is not None and utf8_error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = offset
    return LineScan(lines, max(empties, 0), utf8_error)
