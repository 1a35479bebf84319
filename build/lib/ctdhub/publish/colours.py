"""One colour per category code, the same on every page, in every language and in the briefings.

Vega assigns the colours of a nominal scale in the order of the values it sees, so a category's colour
would follow the alphabetical order of its translated label and change when a filter removes another
category. Here the colour is a function of the code alone: its position in the standard's list of codes
(a flag family's members, a field's code list), Unknown always grey. Charts get an explicit
``{"domain": labels, "range": colours}`` scale built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

# Okabe–Ito, a colour-blind-safe qualitative palette, then two more distinguishable hues for longer lists
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#882255",
    "#44AA99",
)
UNKNOWN_COLOUR = "#9E9E9E"


@cache
def codes_of(dim: str) -> tuple[str, ...]:
    """The standard's codes of ``dim`` in their defined order (a family: its members); () if it has none."""
    std = load_standard()
    fam = next((f for f in std.families if f.name == dim), None)
    if fam is not None:
        return tuple(fam.members)
    if std.has_field(dim):
        return tuple(std.field(dim).codes)
    return ()


def colour(dim: str, code: str, seen: Sequence[str] = ()) -> str:
    """The colour of ``code`` of ``dim``: by its place among the standard's codes (or, for a dimension
    without a code list, among ``seen`` sorted), Unknown grey."""
    if code in (UNKNOWN, ANY_INFO):
        return UNKNOWN_COLOUR
    known = codes_of(dim)
    if code in known:
        i = known.index(code)
    else:  # a code outside the standard's list (or a dimension without one): after the listed ones
        others = sorted(c for c in seen if c not in known)
        i = len(known) + (others.index(code) if code in others else 0)
    return PALETTE[i % len(PALETTE)]


def scale(dim: str, codes: Sequence[str], label: Callable[[str], str]) -> dict[str, Any]:
    """A Vega-Lite colour scale giving each of ``codes`` (shown as ``label(code)``) its fixed colour."""
    return {"domain": [label(c) for c in codes], "range": [colour(dim, c, codes) for c in codes]}
