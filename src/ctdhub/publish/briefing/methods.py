"""The methods and caveats section: sources, coverage, definitions, disclosure control, citation."""

from __future__ import annotations

from ctdhub import __version__
from ctdhub.publish.briefing.figures import BriefingFigures
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.narrative import selection_text


def methods(figs: BriefingFigures, L: Language) -> list[str]:
    """Paragraphs of the methods and caveats section, in the briefing's language."""
    m = figs.manifest
    main = figs.main
    contributors = [k[0] for k in main["contributor"].cells]
    sources = [L.label(k[0]) for k in main["Datasource"].cells if k[0] != "Unknown"]
    release_years = m.years or ()
    years = (
        str(main.selection.years).replace("-", "–")
        if main.selection.years
        else "–".join(str(y) for y in release_years)
    )
    out = [
        L.t(
            "m_sources",
            n=L.whole(len(contributors)),
            names=", ".join(sorted(contributors)),
            sources=", ".join(sorted(sources)) or "–",
        ),
        L.t(
            "m_coverage",
            years=years,
            release=figs.release_id,
            selection=selection_text(main.selection, L, release_years),
        ),
    ]
    grouping = main.selection.grouping
    if grouping is not None:
        out.append(L.t("m_grouping", label=grouping.title(L.lang), note=grouping.note_in(L.lang)))
    out += [
        L.t("m_definitions", version=m.standard_version),
        L.t("m_prevalence"),
        _privacy(figs, L),
    ]
    return out


def _privacy(figs: BriefingFigures, L: Language) -> str:
    """How the figures were protected: the DP model (public) or exact with suppression (restricted)."""
    if figs.exact:
        return L.t("m_exact", max=figs.threshold - 1, lt=L.num(None))
    eps = figs.epsilon
    return L.t(
        "m_dp",
        epsilon=L.whole(round(eps)) if eps and eps == round(eps) else f"{eps:.3g}",
        t=L.whole(figs.threshold),
        lt=L.num(None),
    )


def citation(figs: BriefingFigures, L: Language) -> list[str]:
    created = figs.manifest.created_at[:10]
    return [
        L.t("m_citation", citation=figs.citation),
        L.t("m_generated", version=__version__, release=figs.release_id, created=created),
    ]
