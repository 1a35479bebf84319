"""Spreadsheet cell values as the hub's text: integral numbers without '.0', ISO dates, true/false."""

from __future__ import annotations

import datetime as dt
import math


def cell_text(value: object) -> str | None:
    """The text of one calamine cell value (None for an empty cell)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def is_text_cell(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def is_filled(value: object) -> bool:
    return not (value is None or (isinstance(value, str) and value.strip() == ""))
