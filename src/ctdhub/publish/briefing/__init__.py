"""Briefings: short documents (PDF, HTML or JSON, in English, French or Spanish) about one selection of a
release, every figure counted from the release's restricted snapshot and protected like the release's
own tables (see ``figures``). Modules: ``selection`` and ``groupings`` (what the briefing is about),
``figures`` (the gate entry point), ``i18n`` and ``narrative`` (languages and sentences), ``methods``,
``render_json``, ``render_html`` and ``render_pdf``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from ctdhub.publish.briefing.figures import BriefingFigures, compute_figures
from ctdhub.publish.briefing.i18n import LANGS, Language
from ctdhub.publish.briefing.selection import BriefingError, Selection, SelectionError, Years, make_selection
from ctdhub.publish.gate import ReleaseView

Format = Literal["pdf", "html", "json"]
FORMATS: tuple[Format, ...] = ("pdf", "html", "json")

__all__ = [
    "FORMATS",
    "LANGS",
    "Briefing",
    "BriefingError",
    "Selection",
    "SelectionError",
    "Years",
    "default_comparison",
    "make_briefing",
    "make_selection",
]


@dataclass(frozen=True)
class Briefing:
    """A rendered briefing and the figures it was made from."""

    content: bytes
    format: Format
    lang: str
    figures: BriefingFigures


def default_comparison(selection: Selection, release_years: list[int] | None) -> Years | None:
    """The period of the same length just before the selected years, if the release covers it."""
    if selection.years is None or not release_years:
        return None
    prev = selection.years.previous()
    return prev if prev.last >= release_years[0] else None


def make_briefing(
    view: ReleaseView,
    selection: Selection,
    *,
    compare: Years | Literal["auto"] | None = "auto",
    lang: str = "en",
    fmt: Format = "pdf",
) -> Briefing:
    """Compute the protected figures for ``selection`` and render them in ``fmt`` and ``lang``."""
    if lang not in LANGS:
        raise SelectionError(f"--lang {lang!r} is not available; use one of: {', '.join(LANGS)}.")
    if compare == "auto":
        compare = default_comparison(selection, view.public_manifest().get("years"))
    if compare is not None and selection.years is None:
        raise SelectionError("--compare needs --years: the comparison period replaces the selected years.")
    comparison = selection.with_years(compare) if compare is not None else None
    figs = compute_figures(view, selection, comparison)
    L = Language(lang, figs.threshold)
    if fmt == "json":
        from ctdhub.publish.briefing.render_json import briefing_json

        content = json.dumps(briefing_json(figs, L), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "html":
        from ctdhub.publish.briefing.render_html import briefing_html

        content = briefing_html(figs, L).encode("utf-8")
    elif fmt == "pdf":
        from ctdhub.publish.briefing.render_pdf import briefing_pdf

        content = briefing_pdf(figs, L)
    else:
        raise SelectionError(f"--format {fmt!r} is not available; use one of: {', '.join(FORMATS)}.")
    return Briefing(content, fmt, lang, figs)
