"""Which reader handles a file: the format names `read_source` accepts and detection from the extension."""

from __future__ import annotations

from pathlib import Path

from ctdhub.errors import CtdhubError

FORMATS = ("csv", "xlsx", "json", "jsonl", "parquet")

EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

ALIASES: dict[str, str] = {"tsv": "csv", "txt": "csv", "xlsm": "xlsx", "ndjson": "jsonl", "excel": "xlsx"}


def resolve_format(path: Path, format: str | None) -> str:
    """The reader for `path`: the explicit `format` if given, else the one its extension implies."""
    if format is not None:
        name = format.strip().lower().lstrip(".")
        name = ALIASES.get(name, name)
        if name not in FORMATS:
            raise CtdhubError(
                f"{path.name}: unknown source format {format!r}.",
                hint=f"Use one of: {', '.join(FORMATS)}.",
            )
        return name
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise CtdhubError(
            f"{path.name}: cannot tell the file format from the extension {path.suffix or '(none)'!r}.",
            hint=f"Rename the file or set source.format in the mapping to one of: {', '.join(FORMATS)}.",
        )
    return found
