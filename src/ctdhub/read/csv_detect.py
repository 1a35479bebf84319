"""Guessing a CSV file's encoding and delimiter from its first bytes (no full pass over the file)."""

from __future__ import annotations

import codecs
from collections import Counter
from pathlib import Path

from ctdhub.errors import CtdhubError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_RECORDS = 50


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def normalise_encoding(name: str, label: str) -> str:
    """The Python codec name for a user-given encoding (e.g. 'latin1' -> 'iso8859-1')."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise CtdhubError(
            f"{label}: unknown encoding {name!r}.", hint="Use e.g. utf-8, cp1252 or latin-1."
        ) from None


def guess_encoding(sample: bytes) -> str:
    """utf-8-sig (BOM), utf-8, else cp1252, else latin-1 (which decodes anything)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "iso8859-1"


def decode_sample(sample: bytes, encoding: str) -> str:
    """The sample as text; a multi-byte character cut at the end of the sample is dropped."""
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)


def split_records(text: str, quote: str = '"') -> tuple[list[str], bool]:
    """Split text into CSV records at newlines outside quotes; also says whether the text ended inside quotes."""
    records: list[str] = []
    start = 0
    inside = False
    for i, ch in enumerate(text):
        if ch == quote:
            inside = not inside
        elif ch == "\n" and not inside:
            records.append(text[start:i].rstrip("\r"))
            start = i + 1
    if start < len(text):
        records.append(text[start:])
    return records, inside


def count_outside_quotes(record: str, delimiter: str, quote: str = '"') -> int:
    inside = False
    n = 0
    for ch in record:
        if ch == quote:
            inside = not inside
        elif ch == delimiter and not inside:
            n += 1
    return n


def guess_delimiter(text: str, *, truncated: bool) -> str:
    """The candidate whose count outside quotes is most consistent (then largest) over the first records."""
    records, _ = split_records(text)
    if truncated and len(records) > 1:
        records = records[:-1]
    records = [r for r in records if r.strip()][:MAX_RECORDS]
    best: tuple[float, int, int] = (0.0, 0, 0)
    choice = ","
    for rank, delim in enumerate(DELIMITERS):
        counts = [count_outside_quotes(r, delim) for r in records]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        if mode == 0:
            continue
        score = (hits / len(counts), mode, -rank)
        if score > best:
            best, choice = score, delim
    return choice


def skip_lines(text: str, n: int) -> str:
    """Text after the first `n` physical lines."""
    pos = 0
    for _ in range(n):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return ""
        pos = nxt + 1
    return text[pos:]


def detect_csv(path: str | Path, *, header_row: int = 1) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file, guessed from its first 64 KB.

    The encoding is a Python codec name: 'utf-8-sig' (UTF-8 with BOM), 'utf-8', 'cp1252' or 'iso8859-1'.
    A file whose invalid UTF-8 only appears after the sample is caught when it is read.
    """
    p = Path(path)
    sample = read_sample(p)
    encoding = guess_encoding(sample)
    text = skip_lines(decode_sample(sample, encoding).lstrip("\ufeff"), header_row - 1)
    return encoding, guess_delimiter(text, truncated=len(sample) == SAMPLE_BYTES)
