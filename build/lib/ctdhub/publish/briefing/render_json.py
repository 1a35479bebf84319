"""The briefing as one JSON object: every number it prints.

Top-level keys: the release (``release_id``, ``threshold``), ``figures`` ("estimates": the public,
differentially private briefing; "restricted-exact": the staff's exact one, with ``restricted`` true), the
selection echo, ``cases``, ``countries``, ``change``, one object per breakdown (``"gender": {"Female": n,
...}``; a two-way breakdown nests, ``"gender_ageBroad": {"Female": {"0--8": n}}``), ``intervals`` (90 %
interval of every one-way estimate, ``{"gender": {"Female": [lower, upper]}}``), ``percent`` (shares),
``modelled`` (one-way estimates no measurement covers, whose interval omits the model's own error),
``suppressed`` (``[{"table", "key"}]``, always empty for estimates), the comparison period's figures, the
narrative sentences and the methods text. Estimates are given as numbers even below the threshold (they
are safe to publish; "<threshold" is how the documents print them), as the API gives them.
"""

from __future__ import annotations

from typing import Any

from ctdhub import __version__
from ctdhub.publish.briefing.figures import FAMILIES, TABLES, BriefingFigures, PeriodFigures, change, share
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.methods import methods
from ctdhub.publish.briefing.narrative import sections, selection_text
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

FORMAT = "ctdhub-briefing"
VERSION = 1
CODED = ("gender", "ageBroad", "majorityStatus", "Datasource")


def _zero_filled(name: str) -> list[str]:
    std = load_standard()
    if name in CODED:
        return [*std.field(name).codes, UNKNOWN]
    if name in FAMILIES:
        return [*std.family(name).members, ANY_INFO]
    return []


def breakdowns(period: PeriodFigures) -> dict[str, Any]:
    """Each breakdown as a JSON object (one-way: category → n; two-way: nested)."""
    out: dict[str, Any] = {}
    for name, dims in TABLES.items():
        if name == "total":
            continue
        b = period[name]
        if len(dims) == 1:
            obj: dict[str, int | None] = {k: 0 for k in _zero_filled(name)}
            obj.update({k[0]: v for k, v in b.items()})
            out[name] = obj
        else:
            nested: dict[str, dict[str, int | None]] = {}
            for (a, c), v in b.items():
                nested.setdefault(a, {})[c] = v
            out[name] = nested
    return out


def percents(period: PeriodFigures) -> dict[str, Any]:
    """Shares of each one-way breakdown over its base (family: any information; else known cases)."""
    out: dict[str, Any] = {}
    for name, dims in TABLES.items():
        if len(dims) != 1 or name in ("yearOfRegistration", "contributor"):
            continue
        den = period.denominator(name)
        out[name] = {
            "base": den,
            "base_kind": "any information" if name in FAMILIES else "known",
            "shares": {
                k[0]: share(v, den) for k, v in period[name].items() if k[0] not in (UNKNOWN, ANY_INFO)
            },
        }
    return out


def intervals(period: PeriodFigures) -> dict[str, dict[str, list[int]]]:
    """The 90 % interval of every one-way estimate (empty for exact figures)."""
    return {
        name: {k[0]: list(iv) for k, iv in sorted(period[name].intervals.items())}
        for name, dims in TABLES.items()
        if len(dims) == 1 and period[name].intervals
    }


def modelled(period: PeriodFigures) -> dict[str, list[str]]:
    """One-way estimates that no measurement covers (their interval omits the model's own error)."""
    return {
        name: sorted(k[0] for k in period[name].modelled)
        for name, dims in TABLES.items()
        if len(dims) == 1 and period[name].modelled
    }


def suppressed(period: PeriodFigures) -> list[dict[str, Any]]:
    return [{"table": b.name, "key": list(k)} for b in period.tables.values() for k in b.suppressed()]


def briefing_json(figs: BriefingFigures, L: Language) -> dict[str, Any]:
    main, cmp = figs.main, figs.comparison
    years = figs.manifest.years
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "ctdhub_version": __version__,
        "lang": L.lang,
        "release_id": figs.release_id,
        "release_created_at": figs.manifest.created_at,
        "threshold": figs.threshold,
        "figures": "restricted-exact" if figs.exact else "estimates",
        "restricted": figs.exact,
        "interval_level": figs.interval_level,
        "epsilon": None if figs.exact else figs.epsilon,
        "below_threshold_marker": L.num(None),
        "selection": {**main.selection.echo(), "description": selection_text(main.selection, L, years)},
        "cases": main.total,
        "interval": list(iv) if (iv := main["total"].interval()) else None,
        "interval_modelled": () in main["total"].modelled,
        "countries": main.countries(),
        "citizenship_countries": main.countries("citizenship"),
        "comparison": None,
        "change": None,
    }
    if cmp is not None:
        doc["comparison"] = {
            **cmp.selection.echo(),
            "description": selection_text(cmp.selection, L, years),
            "cases": cmp.total,
        }
        diff = None if main.total is None or cmp.total is None else main.total - cmp.total
        doc["change"] = {"cases": diff, "percent": change(main.total, cmp.total)}
    doc.update(breakdowns(main))
    doc["intervals"] = intervals(main)
    doc["modelled"] = modelled(main)
    doc["percent"] = percents(main)
    doc["suppressed"] = suppressed(main)
    doc["comparison_figures"] = (
        None
        if cmp is None
        else {
            "cases": cmp.total,
            **breakdowns(cmp),
            "intervals": intervals(cmp),
            "suppressed": suppressed(cmp),
        }
    )
    doc["narrative"] = sections(figs, L)
    doc["methods"] = methods(figs, L)
    return doc
