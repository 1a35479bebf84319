"""Briefings: short documents (PDF, HTML or JSON, in English, French or Spanish) about one selection of a
release. Public briefings (``make_briefing``) print estimates from the release's differentially private
model, read through the gate, each with its 90 % interval (see ``figures``); the hub staff's exact
briefings (``make_exact_briefing``, command line only) count the restricted snapshot with suppression and
are marked restricted on every page (see ``restricted``). Modules: ``selection`` and ``groupings`` (what
the briefing is about), ``figures``, ``restricted``, ``i18n`` and ``narrative`` (languages and
sentences), ``methods``, ``render_json``, ``render_html`` and ``render_pdf``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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
    "make_exact_briefing",
    "make_selection",
]


@dataclass(frozen=True)
class Briefing:
    """A rendered briefing and the figures it was made from."""

    content: bytes
    format: Format
    lang: str
    figures: BriefingFigures


def default_comparison(selection: Selection, release_years: Sequence[int] | None) -> Years | None:
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
    """The public briefing: estimates for ``selection`` from the release's model, rendered in ``fmt``."""
    comparison = _comparison(selection, compare, lang, view.manifest.years)
    return render(compute_figures(view, selection, comparison), lang, fmt)


def make_exact_briefing(
    releases_dir: Path,
    release_id: str | None,
    selection: Selection,
    *,
    compare: Years | Literal["auto"] | None = "auto",
    lang: str = "en",
    fmt: Format = "pdf",
) -> Briefing:
    """The hub staff's restricted briefing: exact, suppressed figures from the restricted snapshot."""
    from ctdhub.publish.briefing.restricted import exact_figures
    from ctdhub.release.registry import list_releases

    published = list_releases(releases_dir, include_withdrawn=False)
    years = (
        next((m.years for m in published if m.release_id == release_id), published[-1].years)
        if published
        else None
    )
    comparison = _comparison(selection, compare, lang, years)
    return render(exact_figures(releases_dir, release_id, selection, comparison), lang, fmt)


def _comparison(
    selection: Selection, compare: Years | Literal["auto"] | None, lang: str, years: Sequence[int] | None
) -> Selection | None:
    if lang not in LANGS:
        raise SelectionError(f"--lang {lang!r} is not available; use one of: {', '.join(LANGS)}.")
    if compare == "auto":
        compare = default_comparison(selection, years)
    if compare is not None and selection.years is None:
        raise SelectionError("--compare needs --years: the comparison period replaces the selected years.")
    return selection.with_years(compare) if compare is not None else None


def render(figs: BriefingFigures, lang: str, fmt: Format) -> Briefing:
    """Render computed figures in ``fmt`` and ``lang``."""
    L = Language(lang, figs.threshold, estimates=not figs.exact)
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
