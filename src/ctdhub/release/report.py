"""The privacy and utility report of a release, as JSON and as a self-contained HTML page.

It states the parameters, what k-anonymity achieved and cost, what the aggregate tables suppressed, how
faithful the synthetic data are (total-variation distance over 1-, 2- and 3-way marginals, mean absolute
count error), and two disclosure indicators each beside a fresh-sample reference — plus a plain-language
explanation of ε for readers who are not privacy specialists.
"""

from __future__ import annotations

import html
import math
from typing import Any

EPSILON_TEXT = (
    "The synthetic data are produced with differential privacy at ε = {eps:g} (δ = {delta:g}). In plain words: "
    "whether or not any one person's record was in the hub's data changes the probability of any result — "
    "any table, any synthetic file — by at most a factor of about e^ε ≈ {factor:,.0f}, except with a "
    "negligible probability δ. Smaller ε means stronger protection and noisier data; ε between 1 and 10 is "
    "common for official statistics. The synthetic rows are not real people: each is drawn from a statistical "
    "model fitted to noisy summaries, so patterns across many cases are kept while no row can be traced back "
    "to a person. Rare combinations are deliberately unreliable; use the aggregate tables for exact counts."
)
KANON_TEXT = (
    "The k-anonymised file keeps real records, but every combination of quasi-identifiers ({qis}) is shared "
    "by at least k = {k} records: values are generalised (for example an age band to a broader band, a "
    "country to its region) and the records still in groups smaller than k are removed."
)
AGG_TEXT = (
    "Aggregate tables count real records. A count from 1 to {t_1} is never published (primary suppression); "
    "further cells are withheld where a suppressed count could otherwise be recovered by adding or "
    "subtracting published ones (secondary suppression)."
)


def epsilon_explanation(epsilon: float, delta: float) -> str:
    return EPSILON_TEXT.format(eps=epsilon, delta=delta, factor=math.exp(min(epsilon, 50)))


def build_report(
    *,
    release_id: str,
    created_at: str,
    policy: dict[str, Any],
    cases: int,
    kanon: dict[str, Any] | None,
    aggregates: dict[str, Any],
    synthetic: dict[str, Any] | None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "release_id": release_id,
        "created_at": created_at,
        "parameters": policy,
        "cases_in_snapshot": cases,
        "kanon": kanon,
        "aggregates": aggregates,
        "synthetic": synthetic,
        "explanations": {
            "aggregates": AGG_TEXT.format(t_1=policy["aggregates"]["threshold"] - 1),
        },
    }
    if kanon:
        report["explanations"]["kanon"] = KANON_TEXT.format(
            qis=", ".join(kanon["quasi_identifiers"]), k=kanon["k"]
        )
    if synthetic:
        report["explanations"]["epsilon"] = epsilon_explanation(synthetic["epsilon"], synthetic["delta"])
    return report


def _ledger_summary(ledger: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The budget ledger grouped by mechanism: how many measurements and how much ρ each spent."""
    groups: dict[str, tuple[int, float]] = {}
    for m in ledger:
        key = str(m.get("mechanism", ""))
        n, rho = groups.get(key, (0, 0.0))
        groups[key] = (n + 1, rho + float(m.get("rho", 0.0)))
    rows: list[tuple[str, Any]] = [
        (mech, f"{n} measurement{'s' if n != 1 else ''}, ρ = {rho:.4g}") for mech, (n, rho) in groups.items()
    ]
    rows.append(("total", f"ρ = {sum(r for _, r in groups.values()):.4g}"))
    return rows


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th scope='row'>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
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
    p = r["parameters"]
    parts = [
        f"<h1>Privacy and utility report — release {html.escape(r['release_id'])}</h1>",
        f"<p>Created {html.escape(r['created_at'])} from {r['cases_in_snapshot']:,} harmonised case records.</p>",
        "<h2>Parameters</h2>",
        _table(
            [
                ("policy", p["policy"]),
                ("k (k-anonymised microdata)", p["kanon"]["k"]),
                ("quasi-identifiers", p["kanon"]["quasi_identifiers"]),
                ("maximum record suppression", p["kanon"]["max_suppression"]),
                ("ε, δ (synthetic data)", f"{p['synthetic']['epsilon']:g}, {p['synthetic']['delta']:g}"),
                ("aggregate threshold", p["aggregates"]["threshold"]),
                ("rounding", p["aggregates"]["rounding"]),
            ]
        ),
    ]
    if r.get("kanon"):
        k = r["kanon"]
        parts += [
            "<h2>k-anonymised microdata</h2>",
            f"<p>{html.escape(r['explanations']['kanon'])}</p>",
            _table(
                [
                    ("k required / achieved", f"{k['k']} / {k['k_achieved']}"),
                    (
                        "records in / out / suppressed",
                        f"{k['rows_in']:,} / {k['rows_out']:,} / {k['rows_suppressed']:,}",
                    ),
                    ("generalisation chosen", k["level_names"]),
                    ("information loss", k["information_loss"]),
                    ("lattice nodes evaluated", k["candidates_evaluated"]),
                ]
            ),
        ]
    a = r["aggregates"]
    parts += [
        "<h2>Aggregate tables</h2>",
        f"<p>{html.escape(r['explanations']['aggregates'])}</p>",
        _table(
            [
                ("tables", a["tables"]),
                ("cells", a["cells"]),
                ("cells suppressed (primary)", a["primary"]),
                ("cells suppressed (secondary)", a["secondary"]),
            ]
        ),
    ]
    if r.get("synthetic"):
        s = r["synthetic"]
        f = s["fidelity"]
        parts += [
            "<h2>Differentially private synthetic microdata</h2>",
            f"<p>{html.escape(r['explanations']['epsilon'])}</p>",
            _table(
                [
                    ("rows (DP count)", s["rows"]),
                    ("ε, δ, ρ (zCDP)", f"{s['epsilon']:g}, {s['delta']:g}, {s['rho']:.4g}"),
                    ("mean TVD, 1-way marginals", f["tvd_1way"]),
                    ("mean TVD, 2-way marginals", f["tvd_2way"]),
                    ("mean TVD, 3-way marginals", f["tvd_3way"]),
                    ("mean absolute count error (1-way)", f["mean_abs_count_error_1way"]),
                    (
                        "rare combinations reproduced (reference: a fresh half-sample)",
                        f"{f['rare']['share']:.1%} (reference {f['rare']['reference_share']:.1%})",
                    ),
                    (
                        "exact copies of rows unique in the real data (reference: a fresh half-sample)",
                        f"{f['unique_copies']['copies']:g} = {f['unique_copies']['share']:.3%} of synthetic rows "
                        f"(reference {f['unique_copies']['reference_share']:.3%})",
                    ),
                    ("seconds", s["seconds"]),
                ]
            ),
            "<h3>Privacy budget ledger</h3>",
            _table(_ledger_summary(s["ledger"])),
            f"<details><summary>Every measurement ({len(s['ledger'])})</summary>",
            _table(
                [
                    (m.get("what", ""), f"{m.get('mechanism', '')}: ρ = {m.get('rho', 0):.4g}")
                    for m in s["ledger"]
                ]
            ),
            "</details>",
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
