"""Streaming a non-UTF-8 text file into a temporary UTF-8 copy that DuckDB can parse (constant memory)."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from ctdhub.errors import CtdhubError

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


def transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Write `path` decoded from `encoding` to a temporary UTF-8 file and return its path.

    The caller deletes the file. A byte that is not valid in `encoding` raises UnicodeDecodeError
    with `start` set to the absolute byte offset in the source file.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
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
