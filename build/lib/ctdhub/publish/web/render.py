"""Chart panels: a `stats()` result turned into a chart (Vega-Lite spec from `charts.py`, drawn offline
to SVG by vl-convert), the same numbers as an HTML table, the CSV link of the same query and the notes
a reader needs (percentage rule, intervals). Nothing here counts: every figure comes from `stats()`, an
estimate below the display threshold reads "fewer than N" ("<N" where space is tight, with the full
wording as a tooltip) and every other estimate is shown with its 90 % interval.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ctdhub.publish import charts, colours
from ctdhub.publish.stats import StatsResult
from ctdhub.publish.web.i18n import Lang
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN, YEAR

SVG_CACHE_SIZE = 512
_svg_cache: OrderedDict[str, str] = OrderedDict()
_svg_lock = threading.Lock()


def svg_data_uri(spec: charts.Spec, locale: str = "en") -> str:
    """The spec drawn to SVG (cached by spec and locale), as a `data:` URI for an `<img>`."""
    key = locale + json.dumps(spec, sort_keys=True, default=str)
    with _svg_lock:
        hit = _svg_cache.get(key)
        if hit is not None:
            _svg_cache.move_to_end(key)
            return hit
    svg = charts.render_svg(spec, locale=locale)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    with _svg_lock:
        _svg_cache[key] = uri
        while len(_svg_cache) > SVG_CACHE_SIZE:
            _svg_cache.popitem(last=False)
    return uri


@dataclass
class Cell:
    """One table cell: display text; for an estimate also its value, 90 % interval and whether it is
    below the display threshold (then the text reads "fewer than N" and `title` says so in full)."""

    text: str
    estimate: int | None = None
    lower: int | None = None
    upper: int | None = None
    is_count: bool = False
    below: bool = False
    title: str | None = None
    href: str | None = None
    source: str | None = None  # the API query (CSV) of this one estimate, when it is not the table's


@dataclass
class Panel:
    """One chart with its data table, CSV link and notes."""

    id: str
    title: str
    dims: list[str]
    csv_url: str = ""
    img: str | None = None
    alt: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""
    error: str | None = None
    raw_html: str | None = None  # an inline chart built elsewhere (the map)
    spec: str | None = None  # the chart's Vega-Lite spec as JSON, drawn interactively in the browser


def browser_spec(spec: charts.Spec, description: str) -> str:
    """The spec for vega-embed in the page: as wide as its container (charts reflow on phones), described
    for screen readers, as JSON safe inside a `<script type="application/json">` block."""
    out = {k: v for k, v in spec.items() if k != "$schema"}  # nothing in the page names another site
    out["width"] = "container"
    out["autosize"] = {"type": "fit-x", "contains": "padding"}
    out["description"] = description
    return json.dumps(out, ensure_ascii=False, default=str).replace("</", "<\\/")


def _draw(panel: Panel, spec: charts.Spec, lang: Lang, drawn: bool) -> None:
    """Set the panel's chart: the SVG (no-JavaScript fallback and print) and the interactive spec."""
    panel.img = svg_data_uri(spec, lang.code) if drawn else None
    panel.spec = browser_spec(spec, panel.alt) if drawn else None


def csv_url(dims: Sequence[str], query: Sequence[tuple[str, str]], release: str) -> str:
    """The API URL answering the same question as CSV."""
    params = [("dims", ",".join(dims)), *query, ("release", release), ("format", "csv")]
    return "/api/v1/stats?" + urlencode(params)


def fewer_than(lang: Lang, threshold: int) -> str:
    """ "fewer than 5", in the page's language."""
    return lang.gettext("fewer than %(n)s") % {"n": lang.int(threshold)}


def count_text(lang: Lang, estimate: int, threshold: int, *, short: bool = False) -> str:
    """An estimate as displayed: the number, or "fewer than N" ("<N" when `short`) below the threshold."""
    if estimate < threshold:
        return "<" + lang.int(threshold) if short else fewer_than(lang, threshold)
    return lang.int(estimate)


def interval_text(lang: Lang, lower: int, upper: int) -> str:
    """A 90 % interval as displayed, e.g. "1,230–1,290"."""
    return f"{lang.int(lower)}–{lang.int(upper)}"


def estimate_cell(lang: Lang, c: dict[str, Any], threshold: int) -> Cell:
    """The table cell of a stats cell's estimate ("<N" with the full wording as its title when below)."""
    est = int(c["estimate"])
    below = est < threshold
    return Cell(
        count_text(lang, est, threshold, short=True),
        est,
        int(c["lower"]),
        int(c["upper"]),
        is_count=True,
        below=below,
        title=fewer_than(lang, threshold) if below else None,
    )


def interval_cell(lang: Lang, c: dict[str, Any]) -> Cell:
    return Cell(interval_text(lang, int(c["lower"]), int(c["upper"])))


def share_text(lang: Lang, estimate: int, den: int | None, threshold: int) -> str:
    """A share of the denominator ("<x %" for an estimate below the threshold)."""
    if not den:
        return "–"
    if estimate < threshold:
        return "<" + lang.pct(threshold / den)
    return lang.pct(estimate / den)


def _alt(lang: Lang, title: str, shown: list[tuple[str, str]]) -> str:
    parts = [f"{k}: {v}" for k, v in shown[:12]]
    more = len(shown) - 12
    text = f"{title}. " + "; ".join(parts)
    if more > 0:
        text += "; " + lang.ngettext("and %(n)s more in the table", "and %(n)s more in the table", more) % {
            "n": lang.int(more)
        }
    return text


def denominator(result: StatsResult, family: str) -> dict[str, Any] | None:
    """The family's '(any information)' cell of a one-dimension family result (None: not there)."""
    return next((c for c in result.cells if c.get(family) == ANY_INFO), None)


def order(values: Sequence[str]) -> list[str]:
    """Unknown last (values come sorted from stats(): numbers by value, then text)."""
    return [v for v in values if v != UNKNOWN] + [v for v in values if v == UNKNOWN]


def _header(lang: Lang, *first: str) -> list[str]:
    return [*first, lang.gettext("Cases"), lang.gettext("90 % interval")]


def bar_panel(
    panel: Panel,
    result: StatsResult,
    lang: Lang,
    *,
    family: bool = False,
    by_value: bool = True,
    href: Callable[[str], str | None] | None = None,
    limit: int | None = None,
    source_dim: str | None = None,
) -> Panel:
    """One dimension: bars with error bars (shares of the '(any information)' cases for a flag family)
    and a table of estimates with their intervals."""
    dim = result.dims[0]
    threshold = result.threshold
    den_cell = denominator(result, dim) if family else None
    den = int(den_cell["estimate"]) if den_cell else None
    cells = [c for c in result.cells if c[dim] != ANY_INFO]
    if by_value:
        cells.sort(key=lambda c: -int(c["estimate"]))
    label = {c[dim]: lang.value(dim, c[dim]) for c in result.cells}
    panel.header = _header(lang, lang.dim(dim)) + ([lang.gettext("Share")] if family else [])
    for c in cells:
        row = [
            Cell(label[c[dim]], href=href(c[dim]) if href else None),
            estimate_cell(lang, c, threshold),
            interval_cell(lang, c),
        ]
        if family:
            row.append(Cell(share_text(lang, int(c["estimate"]), den, threshold)))
        panel.rows.append(row)
    if family and den_cell is not None:
        panel.rows.append(
            [
                Cell(lang.gettext("Cases with any information (denominator)")),
                estimate_cell(lang, den_cell, threshold),
                interval_cell(lang, den_cell),
                Cell(lang.pct(1.0) if den else "–"),
            ]
        )
        den_n = den or 0
        panel.notes.append(
            lang.ngettext(
                "Percentages are shares of the cases with any information on %(topic)s "
                "(%(n)s case), as in the codebook; a case can be counted in several categories.",
                "Percentages are shares of the cases with any information on %(topic)s "
                "(%(n)s cases), as in the codebook; a case can be counted in several categories.",
                # "fewer than N" below the threshold: the noun agrees with N
                den_n if den_n >= threshold else threshold,
            )
            % {"topic": lang.dim(dim).lower(), "n": count_text(lang, den_n, threshold)}
        )
    chart_cells = cells[:limit] if limit else cells
    use_share = family and bool(den)
    scale = 1 / den if use_share and den else 1.0
    rows = [
        {
            "label": label[c[dim]],
            "value": c["estimate"] * scale if use_share else c["estimate"],
            "lower": c["lower"] * scale if use_share else c["lower"],
            "upper": c["upper"] * scale if use_share else c["upper"],
            "text": share_text(lang, int(c["estimate"]), den, threshold)
            if use_share
            else count_text(lang, int(c["estimate"]), threshold),
            "interval": (
                f"{lang.pct(c['lower'] * scale)}–{lang.pct(c['upper'] * scale)}"
                if use_share
                else interval_text(lang, int(c["lower"]), int(c["upper"]))
            ),
        }
        for c in chart_cells
    ]
    if limit and len(cells) > limit:
        panel.notes.append(
            lang.ngettext(
                "The chart shows the largest one; the table lists all.",
                "The chart shows the %(n)s largest; the table lists all.",
                limit,
            )
            % {"n": lang.int(limit)}
        )
    panel.notes.append(lang.gettext("Lines across the bars show the 90 % intervals."))
    if not family:  # `source_dim`: the field the categories were read from, when it is not `dim` itself
        _coverage_note(panel, lang, cells, dim, threshold, source_dim or dim)
    value_title = lang.gettext("Share of cases") if use_share else lang.gettext("Cases")
    spec = charts.bar_spec(
        rows,
        "label",
        value="value",
        lower="lower",
        upper="upper",
        text="text",
        interval_text="interval",
        interval_title=lang.gettext("90 % interval"),
        value_title=value_title,
        category_title=lang.dim(dim),
        sort_by_value=by_value,
        percent=use_share,
        horizontal=dim != YEAR,
        width=380,
    )
    panel.alt = _alt(lang, panel.title, [(str(r["label"]), str(r["text"])) for r in rows])
    _draw(panel, spec, lang, any(r["value"] for r in rows))
    return panel


def _coverage_note(
    panel: Panel, lang: Lang, cells: list[dict[str, Any]], dim: str, threshold: int, topic: str
) -> None:
    """How many cases the chart covers and how many of them have ``dim`` unknown (named as the field
    ``topic``; the model's estimates add up, so the covered cases are the sum of the cells)."""
    unknown = sum(int(c["estimate"]) for c in cells if c[dim] == UNKNOWN)
    covered = sum(int(c["estimate"]) for c in cells)
    if not unknown:
        return
    panel.notes.append(
        lang.ngettext(
            "The chart covers %(n)s case; %(unknown)s of them with %(topic)s unknown.",
            "The chart covers %(n)s cases; %(unknown)s of them with %(topic)s unknown.",
            covered,
        )
        % {
            "n": count_text(lang, covered, threshold),
            "unknown": count_text(lang, unknown, threshold),
            "topic": lang.dim(topic).lower(),
        }
    )


def _trend_rows(
    lang: Lang,
    cells: list[dict[str, Any]],
    x: str,
    series: str,
    codes: list[str],
    threshold: int,
    years: tuple[int, int] | None,
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Rows of a trend chart: every year of the range (the release's years when given) × every series, a
    year without any case a gap (value None: the line breaks), a series without cases in a year 0.
    Returns the rows, the gap years and whether any year outside the range holds cases."""
    numeric = sorted({int(c[x]) for c in cells if str(c[x]).isdigit()})
    if not numeric:
        return [], [], False
    lo, hi = years if years else (numeric[0], numeric[-1])
    span = [str(y) for y in range(lo, hi + 1)]
    by = {(c[x], c[series]): c for c in cells}
    active = {c[x] for c in cells if c["estimate"] > 0}
    gaps = [y for y in span if y not in active]
    outside = any(int(c[x]) < lo or int(c[x]) > hi for c in cells if str(c[x]).isdigit() and c["estimate"])
    rows: list[dict[str, Any]] = []
    for y in span:
        for code in codes:
            c = by.get((y, code))
            est = None if y in gaps else int(c["estimate"]) if c else 0
            rows.append(
                {
                    "x": y,
                    "s": lang.value(series, code),
                    "estimate": est,
                    "lower": c["lower"] if c and est is not None else None,
                    "upper": c["upper"] if c and est is not None else None,
                    "below": est is not None and est < threshold,
                    "text": count_text(lang, est, threshold) if est is not None else "–",
                    "interval": interval_text(lang, int(c["lower"]), int(c["upper"])) if c else "–",
                }
            )
    return rows, gaps, outside


def _trend_notes(
    panel: Panel, lang: Lang, rows: list[dict[str, Any]], gaps: list[str], outside: bool, threshold: int
) -> None:
    panel.notes.append(lang.gettext("Vertical lines at the points show the 90 % intervals."))
    if any(r["below"] for r in rows):
        panel.notes.append(
            lang.gettext("Hollow points are estimates below %(n)s: they read “fewer than %(n)s”.")
            % {"n": lang.int(threshold)}
        )
    if gaps:
        panel.notes.append(
            lang.ngettext(
                "No case in the estimates for %(years)s: the chart leaves that year empty.",
                "No case in the estimates for %(years)s: the chart leaves those years empty.",
                len(gaps),
            )
            % {"years": ", ".join(gaps)}
        )
    if outside and rows:
        panel.notes.append(
            lang.gettext(
                "Years before %(first)s and after %(last)s hold fewer than %(n)s cases each and are not drawn."
            )
            % {"first": rows[0]["x"], "last": rows[-1]["x"], "n": lang.int(threshold)}
        )


def two_dim_panel(
    panel: Panel,
    result: StatsResult,
    lang: Lang,
    *,
    kind: str,
    drop_any_info: bool = True,
    years: tuple[int, int] | None = None,
) -> Panel:
    """Two dimensions (x first, series second): `kind` 'line' (trend over ``years``, the release's range),
    'stacked' or 'heatmap'. Series keep one colour per code (``colours``) on every page and language."""
    x, series = result.dims[0], result.dims[1]
    threshold = result.threshold
    cells = result.cells
    xs = order(list(dict.fromkeys(c[x] for c in cells)))
    ss = order(list(dict.fromkeys(c[series] for c in cells)))
    if kind == "heatmap":
        xs, ss = order(sorted({c[x] for c in cells})), order(sorted({c[series] for c in cells}))
    panel.header = _header(lang, lang.dim(x), lang.dim(series))
    for c in sorted(cells, key=lambda c: (xs.index(c[x]), ss.index(c[series]))):
        panel.rows.append(
            [
                Cell(lang.value(x, c[x])),
                Cell(lang.value(series, c[series])),
                estimate_cell(lang, c, threshold),
                interval_cell(lang, c),
            ]
        )
    chart_cells = [c for c in cells if not (drop_any_info and ANY_INFO in (c[x], c[series]))]
    s_codes = [v for v in ss if not (drop_any_info and v == ANY_INFO)]
    color_scale = colours.scale(series, s_codes, lambda v: lang.value(series, v))
    rows = [
        {
            "x": lang.value(x, c[x]),
            "s": lang.value(series, c[series]),
            "estimate": c["estimate"],
            "lower": c["lower"],
            "upper": c["upper"],
            "text": count_text(lang, int(c["estimate"]), threshold, short=kind == "heatmap"),
            "interval": interval_text(lang, int(c["lower"]), int(c["upper"])),
        }
        for c in chart_cells
    ]
    x_sort = [lang.value(x, v) for v in xs]
    s_sort = [lang.value(series, v) for v in s_codes]
    interval_title, value_title = lang.gettext("90 % interval"), lang.gettext("Cases")
    spec: charts.Spec
    if kind == "line":
        rows, gaps, outside = _trend_rows(
            lang, [c for c in chart_cells if c[x] != UNKNOWN], x, series, s_codes, threshold, years
        )
        spec = charts.line_spec(
            rows,
            "x",
            color="s",
            lower="lower",
            upper="upper",
            x_title=lang.dim(x),
            color_title=lang.dim(series),
            color_scale=color_scale,
            below="below",
            value="estimate",
            text="text",
            interval_text="interval",
            interval_title=interval_title,
            value_title=value_title,
        )
        _trend_notes(panel, lang, rows, gaps, outside, threshold)
    elif kind == "stacked":
        spec = charts.stacked_bar_spec(
            rows,
            "x",
            "s",
            x_title=lang.dim(x),
            color_title=lang.dim(series),
            x_sort=x_sort,
            color_sort=s_sort,
            color_scale=color_scale,
            value="estimate",
            text="text",
            interval_text="interval",
            interval_title=interval_title,
            value_title=value_title,
        )
        panel.notes.append(lang.gettext("The 90 % intervals are in the table."))
    else:
        spec = charts.heatmap_spec(
            rows,
            "s",
            "x",
            x_title=lang.dim(series),
            y_title=lang.dim(x),
            number_format=lang.int,
            x_sort=s_sort,
            y_sort=x_sort,
            value="estimate",
            text="text",
            interval_text="interval",
            interval_title=interval_title,
            value_title=value_title,
        )
        panel.notes.append(lang.gettext("The 90 % intervals are in the table."))
    drawn = [r for r in rows if r["estimate"] is not None]
    shown = [(f"{r['x']}, {r['s']}", count_text(lang, int(r["estimate"]), threshold)) for r in drawn]
    panel.alt = _alt(lang, panel.title, shown)
    _draw(panel, spec, lang, any(r["estimate"] for r in drawn))
    return panel
