"""The privacy and utility report of a release: a public part made only of DP quantities, and a restricted
part comparing the model with the real records, for the hub's staff.

The public report (``privacy.json`` / ``report.html``; a JSON file named ``*report.json`` would be taken
for a validation report by Frictionless) states the guarantee in plain language (per release
and over the hub's lifetime, and its unit), how many case records and, when records are linked to persons,
how many persons the release stands for, what was measured with what noise, and how precise each
published table is — all of it computed from the measurements, never from the records. Anything that
compares the model with the real records (fidelity, exact counts, copies of unique rows) would move when
one record is added, so it goes to the restricted manifest, which is never listed or served.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from typing import Any

import numpy as np

from ctdhub.release.dp import DPModel
from ctdhub.release.dp.fidelity import (
    exact_unique_copies,
    marginal_tvd,
    rare_combination_reproduction,
)
from ctdhub.release.dp.space import Codes
from ctdhub.release.manifest import Population
from ctdhub.release.policy import Policy

EPSILON_TEXT = (
    "Every figure of this release — tables, the API and the dashboard, briefings, the synthetic records, the "
    "changes since the previous release — is computed from one set of noisy measurements taken once, with "
    "differential privacy at ε = {eps:g} (δ = {delta:g}). In plain words: whether or not any one {unit} was in "
    "the hub's data changes the probability of anything this release shows by at most a factor of about "
    "e^ε ≈ {factor:,.0f}, except with a negligible probability δ. Smaller ε means stronger protection and "
    "noisier figures; ε between 1 and 10 is common for official statistics. Differences between figures, "
    "between queries and between briefings of this release add nothing: they are computed from the same "
    "measurements."
)
LIFETIME_TEXT = (
    "Releases add up. Over its {n} release(s) so far the hub has spent ε = {spent:.3g} of its lifetime budget "
    "of ε = {life:g} (δ = {delta:g}); comparing all of them with each other reveals no more than that. The "
    "budget allows {left} more release(s) at ε = {eps:g}."
)
INTERVAL_TEXT = (
    "Each estimate has a {level:.0f} % interval from the noise of the measurements it rests on (generalised least "
    "squares over every measurement). Estimates below {t} read 'fewer than {t}'. Estimates are counts of "
    "identified cases recorded by the contributing organisations, not of all victims."
)
UNIT_RECORD_TEXT = (
    "The unit of privacy is one case record. The records carry no person key, so a person recorded by "
    "several organisations (or twice by one) appears in several records, and is then protected at up to "
    "that many times ε; a mapping that names a person key, or the hub's record linkage, links records to "
    "persons before measuring, and makes the unit the person."
)
UNIT_PERSON_TEXT = (
    "The unit of privacy is one person. Records are linked to persons by the hub's record linkage (linkage "
    "keys the contributors make on their side) or by person keys (a keyed hash of the identifiers the "
    "contributors' mappings name); the identifiers themselves are never stored. Records linked either way, "
    "directly or through other records, are records of one person, and at most {k} record(s) of each person "
    "are measured, with the noise scaled so that ε holds for the person. Records linked to no other count "
    "as persons of their own: a person whose records were not linked is protected at up to that many times ε. "
    "The guarantee also rests on the links being right: a record wrongly linked to the records of other "
    "persons joins them all into one unit, and the person it belongs to is then protected at up to (1 + the "
    "number of persons joined) times ε. The record linkage puts at most one record of each contributor in a "
    "person (unless the hub team decides otherwise), which bounds how many persons one wrong link can join; "
    "how often a link is wrong is measured in the linkage benchmark (precision of the links)."
)
POPULATION_PERSONS_TEXT = (
    "The release stands for about {records:,} case records of about {persons:,} persons (estimates, "
    "rounded). The case records are those measured (at most {k} per person); the persons are estimated from "
    "the same measurements as every other figure: a record whose person has j records counts as 1/j of a "
    "person (how many records each person has is measured, but no table, filter or file publishes it)."
)
POPULATION_RECORDS_TEXT = (
    "The release stands for about {records:,} case records (an estimate, rounded). The records are not "
    "linked to persons, so the number of persons is not estimated: a person recorded several times counts "
    "once per record."
)
KANON_TEXT = (
    "The policy switched on k-anonymised microdata: real records, generalised so that each combination of "
    "{qis} is shared by at least k = {k} records. They are not covered by the differential-privacy "
    "guarantee (two releases a few records apart can be compared to find the records added in between), so "
    "they are not published: researchers of the hub receive them after accepting its data-use terms, and "
    "every download is recorded."
)


def epsilon_explanation(epsilon: float, delta: float, unit: str = "case record") -> str:
    return EPSILON_TEXT.format(eps=epsilon, delta=delta, unit=unit, factor=math.exp(min(epsilon, 50)))


def unit_explanation(privacy: dict[str, Any]) -> str:
    """The unit-of-privacy paragraph for ``privacy["unit"]`` (``PersonBound.unit``: a person when records
    are linked to persons)."""
    if str(privacy.get("unit", "")).startswith("one person"):
        return UNIT_PERSON_TEXT.format(k=privacy.get("max_records_per_person", 1))
    return UNIT_RECORD_TEXT


def population_explanation(population: Population, k: int) -> str:
    """What the release counts: case records and, when records are linked to persons, persons."""
    if population.persons is not None:
        return POPULATION_PERSONS_TEXT.format(records=population.records, persons=population.persons, k=k)
    return POPULATION_RECORDS_TEXT.format(records=population.records)


def build_report(
    *,
    release_id: str,
    created_at: str,
    policy: dict[str, Any],
    privacy: dict[str, Any],
    tables: list[dict[str, Any]],
    records: int,
    kanon: dict[str, Any] | None,
    measurements: list[dict[str, Any]],
    population: Population,
) -> dict[str, Any]:
    """The public report: parameters, guarantee, population, measurements and the precision of each
    table."""
    life = privacy["lifetime"]
    by_size = Counter(len(m["attrs"]) for m in measurements)
    sigmas = sorted(m["sigma"] for m in measurements)
    report: dict[str, Any] = {
        "release_id": release_id,
        "created_at": created_at,
        "parameters": policy,
        "privacy": privacy,
        "model": {
            "records": records,
            "note": "records in the synthetic file: the model's estimate of the total",
        },
        "population": population.to_json(),
        "measurements": {
            "count": len(measurements),
            "by_number_of_attributes": {str(k): v for k, v in sorted(by_size.items())},
            "noise_sd_min": sigmas[0] if sigmas else None,
            "noise_sd_median": sigmas[len(sigmas) // 2] if sigmas else None,
            "noise_sd_max": sigmas[-1] if sigmas else None,
            "list": measurements,
        },
        "tables": tables,
        "kanon": kanon,
        "explanations": {
            "epsilon": epsilon_explanation(
                privacy["epsilon"],
                privacy["delta"],
                "person" if str(privacy.get("unit", "")).startswith("one person") else "case record",
            ),
            "lifetime": LIFETIME_TEXT.format(
                n=life["releases"],
                spent=life["epsilon_spent"],
                life=life["lifetime_epsilon"],
                delta=life["delta"],
                left=life["remaining_releases_at_this_epsilon"],
                eps=privacy["epsilon"],
            ),
            "intervals": INTERVAL_TEXT.format(
                level=100 * privacy["interval_level"], t=privacy["display_threshold"]
            ),
            "unit": unit_explanation(privacy),
            "population": population_explanation(population, int(privacy["max_records_per_person"])),
        },
    }
    if kanon:
        report["explanations"]["kanon"] = KANON_TEXT.format(
            qis=", ".join(kanon["quasi_identifiers"]), k=kanon["k"]
        )
    return report


def restricted_report(
    real: Codes, model: DPModel, policy: Policy, cases: int, batches: list[dict[str, Any]]
) -> dict[str, Any]:
    """For the hub's staff only: exact counts and how faithful the model is to the real records (``real``:
    the codes of the records measured, as ``build_model`` read them)."""
    domains = model.space.domains
    sizes = {k: d.size for k, d in domains.items()}
    synth = model.synthetic
    qis = [q for q in policy.quasi_identifiers if q in real]
    rng = np.random.default_rng(0)
    empty = not model.rows or not len(next(iter(real.values()), ()))
    fidelity: dict[str, Any] = (
        {"note": "not measured: the model or the measured records hold no rows"}
        if empty
        else {
            "tvd_1way": marginal_tvd(real, synth, sizes, 1),
            "tvd_2way": marginal_tvd(real, synth, sizes, 2, max_sets=2000, seed=int(rng.integers(1 << 30))),
            "tvd_3way": marginal_tvd(real, synth, sizes, 3, max_sets=1500, seed=int(rng.integers(1 << 30))),
            "rare": rare_combination_reproduction(real, synth, qis, policy.threshold),
            "unique_copies": exact_unique_copies(real, synth),
        }
    )
    return {
        "restricted": "Exact figures from the confidential records: for the hub's staff, never for publication.",
        "cases_in_snapshot": cases,
        "model_records": model.rows,
        "fidelity": fidelity,
        "batches_count": len(batches),
        "seconds": model.seconds,
    }


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th scope='row'>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list | tuple):
        return ", ".join(_fmt(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return "—" if v is None else str(v)


def report_html(r: dict[str, Any]) -> str:
    """A self-contained page (no external assets)."""
    p = r["privacy"]
    life = p["lifetime"]
    m = r["measurements"]
    pop = r["population"]
    parts = [
        f"<h1>Privacy and utility report — release {html.escape(r['release_id'])}</h1>",
        f"<p>Created {html.escape(r['created_at'])}.</p>",
        "<h2>The guarantee</h2>",
        f"<p>{html.escape(r['explanations']['epsilon'])}</p>",
        f"<p>{html.escape(r['explanations']['lifetime'])}</p>",
        f"<p>{html.escape(r['explanations']['unit'])}</p>",
        _table(
            [
                ("ε, δ of this release", f"{p['epsilon']:g}, {p['delta']:g}"),
                ("ρ (zero-concentrated DP)", p["rho"]),
                ("noise", p["noise"]),
                ("lifetime ε spent / budget", f"{life['epsilon_spent']:.3g} / {life['lifetime_epsilon']:g}"),
                ("releases so far", life["releases"]),
                ("releases left at this ε", life["remaining_releases_at_this_epsilon"]),
                ("unit of privacy", p["unit"]),
            ]
        ),
        "<h2>Case records and persons</h2>",
        f"<p>{html.escape(r['explanations']['population'])}</p>",
        _table(
            [
                ("case records (estimate)", pop["records"]),
                (
                    "persons (estimate)",
                    pop["persons"] if pop["persons"] is not None else "not estimated: records not linked",
                ),
                *(
                    [("persons: 90 % interval", f"{pop['persons_lower']:,} – {pop['persons_upper']:,}")]
                    if pop.get("persons_lower") is not None and pop.get("persons_upper") is not None
                    else []
                ),
            ]
        ),
        "<h2>What was measured</h2>",
        f"<p>{m['count']} marginal tables were measured once, each with discrete Gaussian noise; the noise "
        f"standard deviation per cell ranges from {_fmt(m['noise_sd_min'])} to {_fmt(m['noise_sd_max'])} "
        f"(median {_fmt(m['noise_sd_median'])}). One model was estimated from all of them; the synthetic file "
        f"holds its {r['model']['records']:,} records.</p>",
        "<h2>Precision of the published tables</h2>",
        f"<p>{html.escape(r['explanations']['intervals'])}</p>",
        "<table><tr><th>table</th><th>cells</th><th>noise sd of one cell</th><th>measured directly</th></tr>"
        + "".join(
            f"<tr><td>{html.escape(', '.join(t['dims']) or 'total')}</td><td>{t['cells']:,}</td>"
            f"<td>{t['cell_sd']:.3g}</td><td>{'yes' if t['measured'] else 'partly modelled'}</td></tr>"
            for t in r["tables"]
        )
        + "</table>",
    ]
    if r.get("kanon"):
        k = r["kanon"]
        parts += [
            "<h2>k-anonymised microdata (opt-in, for researchers only)</h2>",
            f"<p>{html.escape(r['explanations']['kanon'])}</p>",
            _table(
                [
                    ("k required / achieved", f"{k['k']} / {k['k_achieved']}"),
                    ("generalisation", k["level_names"]),
                ]
            ),
        ]
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}"
        "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
        "th{background:#f3f3f3;font-weight:600}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Privacy and utility report {html.escape(r['release_id'])}</title><style>{style}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>\n"
    )
