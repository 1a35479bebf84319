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


# Legacy code pages contributors' files come in, for charset-normalizer to choose among (its full list also
# holds exotic ones that fit any Western text by accident).
LEGACY = ("cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1256", "iso8859_15", "koi8_r", "mac_roman")


def wide_encoding(sample: bytes) -> str | None:
    """UTF-16 / UTF-32 by byte-order mark, or by the zero bytes of mostly-ASCII text without one."""
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[: 4096 - 4096 % 4]
    if len(head) < 4 or head.count(0) < len(head) // 3:
        return None
    zeros = [head[i::4].count(0) / (len(head) // 4) for i in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9:
        return "utf-32-be"
    if zeros[1] > 0.9 and zeros[3] > 0.9:
        return "utf-16-le"
    if zeros[0] > 0.9 and zeros[2] > 0.9:
        return "utf-16-be"
    return None


OTHER_SCRIPTS = ("Cyrillic", "Greek", "Arabic", "Hebrew", "Thai")  # what LEGACY's non-Latin pages encode
MIN_EVIDENCE = 8  # non-ASCII bytes needed before another script than Latin is believed


def legacy_encoding(sample: bytes) -> str:
    """The most plausible legacy code page of non-UTF-8 bytes (charset-normalizer), else cp1252 or latin-1."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(LEGACY)).best()
    # A reading in another script (Cyrillic, Greek, Arabic) is trusted; between Latin code pages a short
    # sample cannot decide (nor can a few bytes decide the script), so cp1252, the commonest, is kept when it can decode the bytes at all.
    other_script = best is not None and any(a.startswith(OTHER_SCRIPTS) for a in best.alphabets)
    if best is not None and other_script and sum(b >= 0x80 for b in sample) >= MIN_EVIDENCE:
        return codecs.lookup(best.encoding).name
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "iso8859-1"


def guess_encoding(sample: bytes) -> str:
    """utf-8-sig (BOM), UTF-16/32, utf-8, else the legacy code page charset-normalizer finds most plausible."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    wide = wide_encoding(sample)
    if wide is not None:
        return codecs.lookup(wide).name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return legacy_encoding(sample)


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
