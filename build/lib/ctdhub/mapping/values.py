"""Value matching: explicit value maps, the standard's own codes and labels, flag words, missing codes."""

from __future__ import annotations

from typing import Any

from ctdhub.standard import Field

FLAG_WORDS: dict[str, int] = {
    "1": 1,
    "1.0": 1,
    "yes": 1,
    "y": 1,
    "true": 1,
    "x": 1,
    "oui": 1,
    "si": 1,
    "sí": 1,
    "0": 0,
    "0.0": 0,
    "no": 0,
    "n": 0,
    "false": 0,
    "non": 0,
}


def norm(value: object) -> str:
    return str(value).strip().lower()


def value_map(f: Field, explicit: dict[str, Any]) -> dict[str, str | None]:
    """Lower-cased source value -> standard code (None = unknown) for a categorical or flag field.

    The standard's codes and labels match by themselves; the spec's explicit map wins.
    """
    out: dict[str, str | None] = {}
    if f.type == "flag":
        out.update({k: str(v) for k, v in FLAG_WORDS.items()})
    else:
        for c in f.values:
            out[norm(c.label)] = c.code
            out[norm(c.code)] = c.code
    for src, target in explicit.items():
        if target is None:
            out[norm(src)] = None
        elif f.type == "flag":
            out[norm(src)] = str(int(target)) if isinstance(target, bool | int) else str(target)
        else:
            out[norm(src)] = str(target)
    return out


def split_map(explicit: dict[str, Any]) -> dict[str, list[str]]:
    """Lower-cased token -> flag fields it sets (an empty list: a known token that sets no flag)."""
    out: dict[str, list[str]] = {}
    for src, target in explicit.items():
        out[norm(src)] = [target] if isinstance(target, str) else [str(t) for t in (target or [])]
    return out
