"""Turning a file's header cells into column names: trimmed, `column_<n>` for blanks, no duplicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ctdhub.errors import CtdhubError

# Characters stripped from both ends of header cells and values (ASCII whitespace and no-break space).
WHITESPACE = " \t\n\r\x0b\x0c\u00a0"
RESERVED = "_row"


def column_letter(n: int) -> str:
    """Spreadsheet letters for a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def clean_headers(
    cells: Sequence[str | None],
    label: str,
    *,
    positions: Sequence[int] | None = None,
    describe: Callable[[int], str] = lambda n: f"column {n}",
) -> list[str]:
    """Column names for header `cells`; `positions` are their 1-based places in the file (default 1..n).

    Names are compared case-insensitively, as DuckDB does; a repeat is an error naming both places.
    """
    places = list(positions) if positions is not None else list(range(1, len(cells) + 1))
    names: list[str] = []
    seen: dict[str, int] = {}
    for cell, place in zip(cells, places, strict=True):
        name = (cell or "").strip(WHITESPACE) or f"column_{place}"
        key = name.lower()
        if key == RESERVED:
            raise CtdhubError(
                f"{label}: {describe(place)} is named {name!r}, which ctdhub reserves for row numbers.",
                hint="Rename that column in the file.",
            )
        if key in seen:
            raise CtdhubError(
                f"{label}: the header {name!r} appears twice ({describe(seen[key])} and {describe(place)}).",
                hint="Give every column a distinct name in the header row.",
            )
        seen[key] = place
        names.append(name)
    return names
