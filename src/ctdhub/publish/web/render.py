"""Chart panels: a `stats()` result turned into a chart (Vega-Lite spec from `charts.py`, drawn offline
to SVG by vl-convert), the same numbers as an HTML table, the CSV link of the same query and the notes
a reader needs (percentage rule, caveat). Nothing here counts: every figure comes from `stats()`.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ctdhub.publish import charts
from ctdhub.publish.stats import StatsResult
from ctdhub.publish.web.i18n import Lang
from ctdhub.release.aggregates import ANY_INFO, UNKNOWN, YEAR

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
    """One table cell: display text, and for counts the raw value (None = suppressed)."""

    text: str
    count: int | None = None
    is_count: bool = False
    suppressed: bool = False
    href: str | None = None


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


def csv_url(dims: Sequence[str], query: Sequence[tuple[str, str]], release: str) -> str:
    """The API URL answering the same question as CSV."""
    params = [("dims", ",".join(dims)), *query, ("release", release), ("format", "csv")]
    return "/api/v1/stats?" + urlencode(params)


def count_text(lang: Lang, n: int | None) -> str:
    return lang.gettext("suppressed") if n is None else lang.int(n)


def share_text(lang: Lang, n: int | None, den: int | None) -> str:
    if n is None:
        return lang.gettext("suppressed")
    if not den:
        return "–"
    return lang.pct(n / den)


def _alt(lang: Lang, title: str, shown: list[tuple[str, str]], hidden: int) -> str:
    parts = [f"{k}: {v}" for k, v in shown[:12]]
    more = len(shown) - 12
    text = f"{title}. " + "; ".join(parts)
    if more > 0:
        text += "; " + lang.gettext("and %(n)s more in the table") % {"n": lang.int(more)}
    if hidden:
        text += ". " + lang.gettext("%(n)s values suppressed") % {"n": lang.int(hidden)}
    return text


def denominator(result: StatsResult, family: str) -> int | None:
    """The family's '(any information)' count for a one-dimension family result (None: unknown)."""
    for c in result.cells:
        if c.get(family) == ANY_INFO:
            n = c["count"]
            return n if isinstance(n, int) else None
    return None


def order(values: Sequence[str]) -> list[str]:
    """Unknown last (values come sorted from stats(): numbers by value, then text)."""
    return [v for v in values if v != UNKNOWN] + [v for v in values if v == UNKNOWN]


def bar_panel(
    panel: Panel,
    result: StatsResult,
    lang: Lang,
    *,
    family: bool = False,
    by_value: bool = True,
    href: Callable[[str], str | None] | None = None,
    limit: int | None = None,
) -> Panel:
    """One dimension: bars (shares of the '(any information)' cases for a flag family) and a table."""
    dim = result.dims[0]
    den = denominator(result, dim) if family else None
    cells = [c for c in result.cells if c[dim] != ANY_INFO]
    if by_value:
        cells.sort(key=lambda c: (c["count"] is None, -(c["count"] or 0)))
    label = {c[dim]: lang.value(dim, c[dim]) for c in result.cells}
    panel.header = [lang.dim(dim), lang.gettext("Cases")] + ([lang.gettext("Share")] if family else [])
    for c in cells:
        row = [
            Cell(label[c[dim]], href=href(c[dim]) if href else None),
            Cell(count_text(lang, c["count"]), c["count"], True, c["count"] is None),
        ]
        if family:
            row.append(Cell(share_text(lang, c["count"], den)))
        panel.rows.append(row)
    has_den = any(c[dim] == ANY_INFO for c in result.cells)
    if family and has_den:
        panel.rows.append(
            [
                Cell(lang.gettext("Cases with any information (denominator)")),
                Cell(count_text(lang, den), den, True, den is None),
                Cell(lang.pct(1.0) if den else "–"),
            ]
        )
        panel.notes.append(
            lang.gettext(
                "Percentages are shares of the cases with any information on %(topic)s "
                "(%(n)s cases), as in the codebook; a case can be counted in several categories."
            )
            % {"topic": lang.dim(dim).lower(), "n": count_text(lang, den)}
        )
    chart_cells = cells[:limit] if limit else cells
    use_share = family and bool(den)
    rows = [
        {
            "label": label[c[dim]],
            "value": (c["count"] / den if use_share and den and c["count"] is not None else c["count"]),
        }
        for c in chart_cells
    ]
    if limit and len(cells) > limit:
        panel.notes.append(
            lang.gettext("The chart shows the %(n)s largest; the table lists all.") % {"n": limit}
        )
    value_title = lang.gettext("Share of cases") if use_share else lang.gettext("Cases")
    spec = charts.bar_spec(
        rows,
        "label",
        value="value",
        value_title=value_title,
        category_title=lang.dim(dim),
        sort_by_value=by_value,
        percent=use_share,
        horizontal=dim != YEAR,
        width=380,
    )
    panel.img = svg_data_uri(spec, lang.code) if any(r["value"] is not None for r in rows) else None
    shown = [
        (r["label"], lang.pct(r["value"]) if use_share else lang.int(r["value"]))
        for r in rows
        if r["value"] is not None
    ]
    panel.alt = _alt(lang, panel.title, shown, sum(1 for r in rows if r["value"] is None))
    return panel


def two_dim_panel(
    panel: Panel,
    result: StatsResult,
    lang: Lang,
    *,
    kind: str,
    drop_any_info: bool = True,
) -> Panel:
    """Two dimensions (x first, series second): `kind` 'line' (trend), 'stacked' or 'heatmap'."""
    x, series = result.dims[0], result.dims[1]
    cells = result.cells
    xs = order(list(dict.fromkeys(c[x] for c in cells)))
    ss = order(list(dict.fromkeys(c[series] for c in cells)))
    if kind == "heatmap":
        xs, ss = order(sorted({c[x] for c in cells})), order(sorted({c[series] for c in cells}))
    panel.header = [lang.dim(x), lang.dim(series), lang.gettext("Cases")]
    for c in sorted(cells, key=lambda c: (xs.index(c[x]), ss.index(c[series]))):
        panel.rows.append(
            [
                Cell(lang.value(x, c[x])),
                Cell(lang.value(series, c[series])),
                Cell(count_text(lang, c["count"]), c["count"], True, c["count"] is None),
            ]
        )
    chart_cells = [c for c in cells if not (drop_any_info and ANY_INFO in (c[x], c[series]))]
    if kind == "line":
        chart_cells = [c for c in chart_cells if c[x] != UNKNOWN]
    rows = [
        {"x": lang.value(x, c[x]), "s": lang.value(series, c[series]), "count": c["count"]}
        for c in chart_cells
    ]
    x_sort = [lang.value(x, v) for v in xs]
    s_sort = [lang.value(series, v) for v in ss if not (drop_any_info and v == ANY_INFO)]
    spec: charts.Spec
    if kind == "line":
        spec = charts.line_spec(
            rows,
            "x",
            color="s",
            value_title=lang.gettext("Cases"),
            x_title=lang.dim(x),
            color_title=lang.dim(series),
        )
    elif kind == "stacked":
        spec = charts.stacked_bar_spec(
            rows,
            "x",
            "s",
            value_title=lang.gettext("Cases"),
            x_title=lang.dim(x),
            color_title=lang.dim(series),
            x_sort=x_sort,
            color_sort=s_sort,
        )
    else:
        spec = charts.heatmap_spec(
            rows,
            "s",
            "x",
            value_title=lang.gettext("Cases"),
            x_title=lang.dim(series),
            y_title=lang.dim(x),
            suppressed_label=lang.gettext("suppressed"),
            number_format=lang.int,
            x_sort=s_sort,
            y_sort=x_sort,
        )
    panel.img = svg_data_uri(spec, lang.code) if any(r["count"] is not None for r in rows) else None
    shown = [(f"{r['x']}, {r['s']}", lang.int(r["count"])) for r in rows if r["count"] is not None]
    panel.alt = _alt(lang, panel.title, shown, sum(1 for r in rows if r["count"] is None))
    return panel
