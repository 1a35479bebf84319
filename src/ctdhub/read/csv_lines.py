"""Physical line numbers of CSV records, found by one vectorised pass over the bytes (numpy, in chunks).

DuckDB reports no line numbers, and a record's ordinal differs from its line when values hold quoted
newlines or the file has empty lines (which DuckDB skips). This pass mirrors DuckDB's splitting with
quote '"' (escape '""'): a newline ends a record when an even number of quotes precedes it; an empty
line (or a lone '\r') is not a record.

The lines can be handed over as they are found (`LineFeed`, a bounded queue read by the parse of the same
file in another thread), so that no array of every record's line is held for a large file.
"""

from __future__ import annotations

import codecs
import queue
import threading
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

    lines: Lines  # start line of each non-empty record (the header first); empty when handed to a feed
    empty_lines: int  # empty lines after the first record
    utf8_error: int | None = None  # byte offset of the first invalid UTF-8, when asked to check
    records: int = 0  # how many start lines were found (= lines.size when they are kept)


FEED_CHUNKS = 4  # scan chunks a feed holds before the scan waits for the parse
_END = np.zeros(0, dtype=np.int64)


class LineFeed:
    """Start lines handed from the byte scan (one thread) to the parse of the same records (another) as they
    are found. The queue is bounded, so the scan runs at most a few chunks ahead; `cancel` (the parse has
    ended, perhaps early) lets the scan finish without waiting."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Lines | None] = queue.Queue(maxsize=FEED_CHUNKS)
        self._cancelled = threading.Event()
        self._buffer: Lines = _END
        self._ended = False

    def put(self, part: Lines | None) -> None:
        """Scan side: hand over the lines of one chunk (None: the scan has ended)."""
        while not self._cancelled.is_set():
            try:
                self._queue.put(part, timeout=0.05)
                return
            except queue.Full:
                continue

    def take(self, n: int) -> Lines:
        """Parse side: the next `n` start lines, or fewer when the scan ended before finding them."""
        parts = [self._buffer]
        have = self._buffer.size
        while have < n and not self._ended:
            part = self._queue.get()
            if part is None:
                self._ended = True
            else:
                parts.append(part)
                have += part.size
        lines = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._buffer = lines[n:]
        return lines[:n]

    def cancel(self) -> None:
        self._cancelled.set()


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
    feed: LineFeed | None = None,
) -> LineScan:
    """Start lines of the non-empty records in `path`, reading from physical line `first_line`, and the
    number of empty lines after the first record (DuckDB skips them; they count as blank rows).
    With `keep_empty`, empty lines are listed too (DuckDB counts them in its error positions). With `feed`,
    the lines go to it chunk by chunk (then None) instead of into the result's `lines`."""
    try:
        return _scan(path, first_line, keep_empty, check_utf8, feed)
    finally:
        if feed is not None:
            feed.put(None)


class _Found:
    """The start lines found so far: kept, or handed to a feed (only their count and the first kept)."""

    def __init__(self, feed: LineFeed | None) -> None:
        self.feed = feed
        self.parts: list[Lines] = []
        self.records = 0
        self.first: int | None = None

    def add(self, lines: Lines) -> None:
        if not lines.size:
            return
        if self.first is None:
            self.first = int(lines[0])
        self.records += int(lines.size)
        if self.feed is None:
            self.parts.append(lines)
        else:
            self.feed.put(lines)


def _scan(path: Path, first_line: int, keep_empty: bool, check_utf8: bool, feed: LineFeed | None) -> LineScan:
    start = line_start_offset(path, first_line - 1)
    found = _Found(feed)
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
                found.add(prev_lines[~empty] + 1)
                empties += int(empty.sum())
                last_term, last_term_line = int(terms[-1]), int(term_lines[-1])
            odd = (odd + int(qpos.size)) & 1
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
    return LineScan(lines, max(empties, 0), utf8_error, found.records)
