"""Streaming a non-UTF-8 text file into a temporary UTF-8 copy that DuckDB can parse (constant memory)."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from ctdhub.errors import CtdhubError
from ctdhub.read.csv_detect import legacy_encoding

CHUNK = 8 * 1024 * 1024


def line_of_offset(path: Path, offset: int) -> int:
    """The 1-based line number holding byte `offset`."""
    lines = 1
    done = 0
    with path.open("rb") as fh:
        while done < offset:
            chunk = fh.read(min(CHUNK, offset - done))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def transcode_to_utf8(path: Path, encoding: str, errors: str = "strict") -> Path:
    """Write `path` decoded from `encoding` to a temporary UTF-8 file and return its path.

    The caller deletes the file. A byte that is not valid in `encoding` raises UnicodeDecodeError
    with `start` set to the absolute byte offset in the source file.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    fd, name = tempfile.mkstemp(prefix="ctdhub-", suffix=".csv")
    out_path = Path(name)
    try:
        done = 0
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while True:
                chunk = src.read(CHUNK)
                final = not chunk
                try:
                    text = decoder.decode(chunk, final=final)
                except UnicodeDecodeError as err:
                    raise UnicodeDecodeError(
                        err.encoding, err.object, done + err.start, done + err.end, err.reason
                    ) from None
                out.write(text.encode("utf-8"))
                done += len(chunk)
                if final:
                    break
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def transcode_or_fail(path: Path, encoding: str, label: str) -> Path:
    """`transcode_to_utf8`, turning a decoding failure into a CtdhubError naming the line."""
    try:
        return transcode_to_utf8(path, encoding)
    except UnicodeDecodeError as err:
        line = line_of_offset(path, err.start)
        raise CtdhubError(
            f"{label}, line {line}: the file is not valid {encoding} (byte {err.start}).",
            hint="Set source.encoding in the mapping to the file's real encoding, or re-save it as UTF-8.",
        ) from None


def recover_encoding(path: Path, first_error: int) -> tuple[str, str]:
    """The encoding of a file that looked like UTF-8 but holds invalid bytes, and a note saying so.

    When the file holds more valid multi-byte UTF-8 characters than invalid bytes it is UTF-8 with a few
    damaged bytes: those are read as U+FFFD, so only the values holding them fail to map (and their rows are
    quarantined) instead of every accented value of the file being misread. Otherwise it is a legacy code
    page, chosen by charset-normalizer from the bytes around the first invalid one.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    invalid = valid = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            bad = text.count("\ufffd") - chunk.count(b"\xef\xbf\xbd")
            invalid += bad
            valid += len(text) - len(text.encode("ascii", "ignore")) - bad
            if not chunk:
                break
    line = line_of_offset(path, first_error)
    if valid >= invalid:
        return "utf-8", (
            f"{invalid:,} byte(s) that are not valid UTF-8 (the first on line {line}) were read as '\ufffd'"
        )
    with path.open("rb") as fh:
        fh.seek(max(first_error - 1024, 0))
        around = fh.read(64 * 1024)
    enc = legacy_encoding(around)
    return enc, f"encoding detected: {enc} (the file is not UTF-8 from line {line} on)"


def mixed_line_endings(path: Path) -> bool:
    """Whether the file ends some lines with CRLF and others with a bare LF (DuckDB refuses such a file)."""
    crlf = bare = False
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            data = last + chunk
            n_lf, n_crlf = data.count(b"\n"), data.count(b"\r\n")
            crlf |= n_crlf > 0
            bare |= n_lf > n_crlf
            if crlf and bare:
                return True
            last = data[-1:]
    return False


def with_lf_line_endings(path: Path) -> Path:
    """A temporary copy of `path` with every CRLF made LF (line numbers unchanged); the caller deletes it."""
    fd, name = tempfile.mkstemp(prefix="ctdhub-", suffix=".csv")
    out_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            carry = b""
            while chunk := src.read(CHUNK):
                data = carry + chunk
                carry = b"\r" if data.endswith(b"\r") else b""
                out.write((data[:-1] if carry else data).replace(b"\r\n", b"\n"))
            out.write(carry)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path
