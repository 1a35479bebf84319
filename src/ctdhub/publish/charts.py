"""Chart specifications: one Vega-Lite spec per chart, shared by the web dashboard and the PDF briefings.

Each builder takes already-protected rows (``{"<dim>": value, ..., "count": int | None}``, a ``None``
count being a suppressed cell) and returns a Vega-Lite v5 dict. Suppressed cells are dropped from the
marks (their value is unknown) and listed in the chart's description so the text alternative says so.
``render_svg`` / ``render_png`` turn a spec into an image offline with vl-convert (no network, no
browser), so the same spec draws the dashboard's SVG and the briefing's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

# Okabe–Ito: a colour-blind-safe qualitative palette.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
FONT = "DejaVu Sans"

Row = dict[str, Any]
Spec = dict[str, Any]


def _config() -> dict[str, Any]:
    return {
        "font": FONT,
        "range": {"category": list(PALETTE)},
        "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 220},
        "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 220},
        "title": {"fontSize": 14, "anchor": "start"},
        "view": {"stroke": None},
        "background": "white",
    }


def _published(rows: Sequence[Row], value: str) -> list[Row]:
    return [r for r in rows if r.get(value) is not None]


def _description(title: str, rows: Sequence[Row], value: str, dims: Sequence[str]) -> str:
    shown = _published(rows, value)
    hidden = len(rows) - len(shown)
    text = f"{title}: {len(shown)} values shown"
    return text + (f", {hidden} suppressed (too few cases to publish)" if hidden else "")


def _base(title: str, rows: Sequence[Row], value: str, dims: Sequence[str], width: int, height: int) -> Spec:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value, dims),
        "width": width,
        "height": height,
        "data": {"values": _published(rows, value)},
        "config": _config(),
    }


def bar_spec(
    rows: Sequence[Row],
    category: str,
    *,
    value: str = "count",
    title: str = "",
    value_title: str = "Cases",
    category_title: str | None = None,
    horizontal: bool = True,
    sort_by_value: bool = True,
    percent: bool = False,
    width: int = 420,
    height: int | None = None,
) -> Spec:
    """Bars of ``value`` by ``category`` (horizontal by default, largest first)."""
    n = len(_published(rows, value))
    height = height or max(60, 22 * n)
    fmt = ".0%" if percent else ",d"
    val = {
        "field": value,
        "type": "quantitative",
        "title": value_title,
        "axis": {"format": fmt},
    }
    cat: dict[str, Any] = {
        "field": category,
        "type": "nominal",
        "title": category_title if category_title is not None else category,
        "sort": "-x" if horizontal else "-y",
    }
    if not sort_by_value:
        cat["sort"] = None
    enc: dict[str, Any] = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
    enc["tooltip"] = [{"field": category, "type": "nominal"}, {"field": value, "format": fmt}]
    spec = _base(title, rows, value, [category], width, height if horizontal else 260)
    spec["mark"] = {"type": "bar", "color": PALETTE[0]}
    spec["encoding"] = enc
    return spec


def stacked_bar_spec(
    rows: Sequence[Row],
    x: str,
    color: str,
    *,
    value: str = "count",
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    color_title: str | None = None,
    normalize: bool = False,
    width: int = 480,
    height: int = 260,
    x_sort: Sequence[str] | None = None,
    color_sort: Sequence[str] | None = None,
) -> Spec:
    """Vertical bars of ``value`` by ``x``, stacked by ``color`` (share of each bar with ``normalize``).

    ``x_sort`` / ``color_sort`` give the order of the categories (default: ascending)."""
    spec = _base(title, rows, value, [x, color], width, height)
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {
            "field": x,
            "type": "ordinal",
            "title": x_title if x_title is not None else x,
            **({"sort": list(x_sort)} if x_sort is not None else {}),
        },
        "y": {
            "field": value,
            "type": "quantitative",
            "title": value_title,
            "stack": "normalize" if normalize else "zero",
            "axis": {"format": ".0%" if normalize else ",d"},
        },
        "color": {
            "field": color,
            "type": "nominal",
            "title": color_title if color_title is not None else color,
            **({"sort": list(color_sort)} if color_sort is not None else {}),
        },
        "tooltip": [{"field": x}, {"field": color}, {"field": value, "format": ",d"}],
    }
    return spec


def line_spec(
    rows: Sequence[Row],
    x: str,
    *,
    color: str | None = None,
    value: str = "count",
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    color_title: str | None = None,
    width: int = 520,
    height: int = 260,
) -> Spec:
    """A trend line of ``value`` over ``x`` (ordinal, e.g. year), one line per ``color`` value."""
    spec = _base(title, rows, value, [x] + ([color] if color else []), width, height)
    spec["mark"] = {"type": "line", "point": True}
    enc: dict[str, Any] = {
        "x": {"field": x, "type": "ordinal", "title": x_title if x_title is not None else x},
        "y": {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": ",d"}},
        "tooltip": [{"field": x}, {"field": value, "format": ",d"}],
    }
    if color:
        enc["color"] = {"field": color, "type": "nominal", "title": color_title if color_title else color}
        enc["tooltip"].insert(1, {"field": color})
    spec["encoding"] = enc
    return spec


def heatmap_spec(
    rows: Sequence[Row],
    x: str,
    y: str,
    *,
    value: str = "count",
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    y_title: str | None = None,
    suppressed_label: str = "suppressed",
    x_sort: Sequence[str] | None = None,
    y_sort: Sequence[str] | None = None,
    cell: int = 44,
    number_format: Callable[[int], str] | None = None,
) -> Spec:
    """A matrix of ``value`` by ``y`` (rows) and ``x`` (columns), e.g. region of citizenship → region of
    exploitation: a sequential colour per cell with its number printed; suppressed cells are grey and
    labelled ``suppressed_label`` (their value is unknown, so they carry no colour of the scale)."""
    xs = list(x_sort) if x_sort is not None else sorted({str(r[x]) for r in rows})
    ys = list(y_sort) if y_sort is not None else sorted({str(r[y]) for r in rows})
    values = [
        {
            x: r[x],
            y: r[y],
            value: r.get(value),
            "label": suppressed_label
            if r.get(value) is None
            else (number_format(r[value]) if number_format else f"{r[value]:,}"),
        }
        for r in rows
    ]
    spec: Spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value, [x, y]),
        "width": max(120, cell * len(xs)),
        "height": max(60, 28 * len(ys)),
        "data": {"values": values},
        "config": _config(),
        "encoding": {
            "x": {
                "field": x,
                "type": "nominal",
                "title": x_title if x_title is not None else x,
                "sort": xs,
                "axis": {"labelAngle": -30, "orient": "top"},
            },
            "y": {"field": y, "type": "nominal", "title": y_title if y_title is not None else y, "sort": ys},
        },
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "white"},
                "encoding": {
                    "color": {
                        "condition": {
                            "test": f"datum[{value!r}] === null",
                            "value": "#d9d9d9",
                        },
                        "field": value,
                        "type": "quantitative",
                        "title": value_title,
                        "scale": {"scheme": "blues", "type": "symlog"},
                        "legend": {"format": ",d"},
                    },
                    "tooltip": [{"field": y}, {"field": x}, {"field": "label", "title": value_title}],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "text": {"field": "label"},
                    "color": {
                        "condition": {
                            "test": f"datum[{value!r}] > 0 && datum[{value!r}] > {_dark(rows, value)}",
                            "value": "white",
                        },
                        "value": "black",
                    },
                },
            },
        ],
    }
    return spec


def _dark(rows: Sequence[Row], value: str) -> float:
    """Above this value a heatmap cell is dark enough for white text (upper third, log scale)."""
    vals = [float(r[value]) for r in rows if r.get(value)]
    return max(vals) ** (2 / 3) if vals else 0.0


def choropleth_spec(
    rows: Sequence[Row],
    geo: dict[str, Any],
    *,
    key: str = "iso3",
    value: str = "count",
    title: str = "",
    value_title: str = "Cases",
    width: int = 640,
    height: int = 330,
) -> Spec:
    """A world choropleth (Equal Earth) of ``value`` by ISO3 ``key``, from a GeoJSON FeatureCollection
    whose features carry ``properties.iso3`` (the package's world geometry). Suppressed countries are
    hatched grey in print terms: drawn light grey, and counted in the description."""
    published = {str(r[key]): r.get(value) for r in rows}
    features = []
    for f in geo["features"]:
        iso = f["properties"].get("iso3")
        state = "none" if iso not in published else ("suppressed" if published[iso] is None else "count")
        features.append(
            {
                **f,
                "properties": {**f["properties"], "value": published.get(iso), "state": state},
            }
        )
    spec: Spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value, [key]),
        "width": width,
        "height": height,
        "projection": {"type": "equalEarth"},
        "data": {
            "values": {"type": "FeatureCollection", "features": features},
            "format": {"property": "features"},
        },
        "config": _config(),
        "layer": [
            {
                "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.3, "fill": "#f2f2f2"},
            },
            {
                "transform": [{"filter": "datum.properties.state === 'suppressed'"}],
                "mark": {"type": "geoshape", "stroke": "#737373", "strokeWidth": 0.3, "fill": "#bdbdbd"},
            },
            {
                "transform": [{"filter": "datum.properties.state === 'count'"}],
                "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.3},
                "encoding": {
                    "color": {
                        "field": "properties.value",
                        "type": "quantitative",
                        "title": value_title,
                        "scale": {"scheme": "blues", "type": "symlog"},
                        "legend": {"format": ",d"},
                    }
                },
            },
        ],
    }
    return spec


# d3-format locales for the axis numbers of the dashboard's languages (vl-convert ships them)
FORMAT_LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}


def render_svg(spec: Spec, *, locale: str | None = None) -> str:
    """The spec drawn as an SVG document, offline; ``locale`` ('en', 'fr', 'es' or a d3 locale name
    such as 'fr-FR') formats the axis numbers."""
    import vl_convert as vlc

    if locale:
        fmt: Any = FORMAT_LOCALES.get(locale, locale)
        return str(vlc.vegalite_to_svg(spec, format_locale=fmt))
    return str(vlc.vegalite_to_svg(spec))


def render_png(spec: Spec, *, scale: float = 2.0) -> bytes:
    """The spec drawn as a PNG image, offline (for print)."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(spec, scale=scale))
