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
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, dt.date | dt.time):
        return _temporal_text(value)
    return str(value)  # a duration (timedelta), or anything else


def _number_text(value: int | float) -> str:
    """A number's text: integral numbers without '.0', other floats as their repr."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return repr(value)


def _temporal_text(value: dt.date | dt.time) -> str:
    """ISO text of a date, time or datetime; a datetime at midnight without a time zone is a date."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()
    return value.isoformat()


def is_text_cell(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def is_filled(value: object) -> bool:
    return not (value is None or (isinstance(value, str) and value.strip() == ""))
