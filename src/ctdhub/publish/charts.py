"""Chart specifications: one Vega-Lite spec per chart, shared by the web dashboard and the PDF briefings.

Each builder takes rows of differentially private estimates (``{"<dim>": value, ..., "count": int}``;
the value field is named by ``value``) and returns a Vega-Lite v6 dict. Rows may also carry the 90 %
interval (fields named by ``lower`` / ``upper``: drawn as error bars where that is simple, and shown in
the tooltip) and display texts (``text``: e.g. "fewer than 5" for an estimate below the display
threshold; ``interval_text``: e.g. "1,230–1,290"). Nothing is suppressed: every row is drawn.
``render_svg`` turns a spec into an image offline with vl-convert (no network, no
browser), so the same spec draws the dashboard's SVG and the briefing's figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ctdhub.publish.colours import PALETTE

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

FONT = "DejaVu Sans"
INTERVAL_TITLE = "90 % interval"
BELOW_FILL = "#deebf7"  # a country whose estimate is below the display threshold (lighter than any class)

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


def _drawn(rows: Sequence[Row], value: str) -> list[Row]:
    """The rows with a value (every row of a differentially private result has one)."""
    return [r for r in rows if r.get(value) is not None]


def _description(title: str, rows: Sequence[Row], value: str) -> str:
    return f"{title}: {len(_drawn(rows, value))} values (differentially private estimates)"


def _base(title: str, rows: Sequence[Row], value: str, width: int, height: int) -> Spec:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value),
        "width": width,
        "height": height,
        "data": {"values": _drawn(rows, value)},
        "config": _config(),
    }


def _has(rows: Sequence[Row], name: str | None) -> bool:
    return name is not None and any(name in r for r in rows)


def _tooltip(
    rows: Sequence[Row],
    keys: Sequence[dict[str, Any]],
    value: str,
    fmt: str,
    value_title: str,
    text: str | None,
    interval_text: str | None,
    lower: str | None,
    upper: str | None,
    interval_title: str,
) -> list[dict[str, Any]]:
    """Tooltip fields: the keys, the value (its display text when given) and the interval."""
    out = list(keys)
    if _has(rows, text):
        out.append({"field": text, "type": "nominal", "title": value_title})
    else:
        out.append({"field": value, "type": "quantitative", "title": value_title, "format": fmt})
    if _has(rows, interval_text):
        out.append({"field": interval_text, "type": "nominal", "title": interval_title})
    elif _has(rows, lower) and _has(rows, upper):
        out.append(
            {"field": lower, "type": "quantitative", "title": f"{interval_title} (lower)", "format": fmt}
        )
        out.append(
            {"field": upper, "type": "quantitative", "title": f"{interval_title} (upper)", "format": fmt}
        )
    return out


def bar_spec(
    rows: Sequence[Row],
    category: str,
    *,
    value: str = "count",
    lower: str | None = None,
    upper: str | None = None,
    text: str | None = None,
    interval_text: str | None = None,
    interval_title: str = INTERVAL_TITLE,
    title: str = "",
    value_title: str = "Cases",
    category_title: str | None = None,
    horizontal: bool = True,
    sort_by_value: bool = True,
    percent: bool = False,
    width: int = 420,
    height: int | None = None,
) -> Spec:
    """Bars of ``value`` by ``category`` (horizontal by default, largest first), with error bars from
    ``lower`` to ``upper`` when the rows carry them."""
    n = len(_drawn(rows, value))
    height = height or max(60, 22 * n)
    fmt = ".0%" if percent else ",d"
    val_axis = "x" if horizontal else "y"
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
        "sort": {"field": value, "op": "sum", "order": "descending"},
    }
    if not sort_by_value:
        cat["sort"] = None
    enc: dict[str, Any] = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
    enc["tooltip"] = _tooltip(
        rows,
        [{"field": category, "type": "nominal", "title": cat["title"]}],
        value,
        fmt,
        value_title,
        text,
        interval_text,
        lower,
        upper,
        interval_title,
    )
    spec = _base(title, rows, value, width, height if horizontal else 260)
    spec["encoding"] = enc
    bars: Spec = {"mark": {"type": "bar", "color": PALETTE[0]}}
    if _has(rows, lower) and _has(rows, upper):
        assert lower is not None and upper is not None
        rule: Spec = {
            "mark": {"type": "rule", "color": "#333333", "strokeWidth": 1.2},
            "encoding": {
                val_axis: {"field": lower, "type": "quantitative"},
                val_axis + "2": {"field": upper},
            },
        }
        spec["layer"] = [bars, rule]
    else:
        spec["mark"] = bars["mark"]
    return spec


def stacked_bar_spec(
    rows: Sequence[Row],
    x: str,
    color: str,
    *,
    value: str = "count",
    lower: str | None = None,
    upper: str | None = None,
    text: str | None = None,
    interval_text: str | None = None,
    interval_title: str = INTERVAL_TITLE,
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    color_title: str | None = None,
    normalize: bool = False,
    width: int = 480,
    height: int = 260,
    x_sort: Sequence[str] | None = None,
    color_sort: Sequence[str] | None = None,
    color_scale: dict[str, Any] | None = None,
) -> Spec:
    """Vertical bars of ``value`` by ``x``, stacked by ``color`` (share of each bar with ``normalize``);
    the interval of each segment is in its tooltip (error bars do not stack).

    ``x_sort`` / ``color_sort`` give the order of the categories (default: ascending); ``color_scale``
    (``colours.scale``) fixes each category's colour. Clicking a legend entry highlights its segments."""
    spec = _base(title, rows, value, width, height)
    spec["mark"] = {"type": "bar"}
    spec["params"] = [_legend_pick(color)]
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
            **({"scale": dict(color_scale)} if color_scale is not None else {}),
        },
        "opacity": _picked_opacity(),
        "tooltip": _tooltip(
            rows,
            [{"field": x}, {"field": color}],
            value,
            ",d",
            value_title,
            text,
            interval_text,
            lower,
            upper,
            interval_title,
        ),
    }
    return spec


def line_spec(
    rows: Sequence[Row],
    x: str,
    *,
    color: str | None = None,
    value: str = "count",
    lower: str | None = None,
    upper: str | None = None,
    text: str | None = None,
    interval_text: str | None = None,
    interval_title: str = INTERVAL_TITLE,
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    color_title: str | None = None,
    color_scale: dict[str, Any] | None = None,
    below: str | None = None,
    width: int = 520,
    height: int = 260,
) -> Spec:
    """A trend line of ``value`` over ``x`` (ordinal, e.g. year), one line per ``color`` value, with a
    light error bar at each point when the rows carry ``lower`` / ``upper``.

    A row whose value is None is a gap: the line breaks there and its ``x`` keeps its place on the axis
    (never a line joined across a missing year). Rows whose ``below`` field is true (an estimate below the
    display threshold) are drawn as hollow points. ``color_scale`` fixes each series' colour; clicking a
    legend entry highlights its line."""
    spec = _base(title, rows, value, width, height)
    spec["data"] = {"values": list(rows)}  # rows without a value are the gaps
    x_enc = {
        "field": x,
        "type": "ordinal",
        "title": x_title if x_title is not None else x,
        "axis": {"labelAngle": 0, "labelOverlap": True},
    }
    keys: list[dict[str, Any]] = [{"field": x}] + ([{"field": color}] if color else [])
    y_enc = {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": ",d"}}
    tooltip = _tooltip(
        rows, keys, value, ",d", value_title, text, interval_text, lower, upper, interval_title
    )
    line: Spec = {
        "mark": {"type": "line", "invalid": "break-paths-show-domains"},
        "encoding": {"y": y_enc},
    }
    points: Spec = {
        "transform": [{"filter": {"field": value, "valid": True}}],
        "mark": {"type": "point", "filled": True, "size": 40, "strokeWidth": 1.5, "opacity": 1},
        "encoding": {"y": y_enc, "tooltip": tooltip},
    }
    spec["encoding"] = {"x": x_enc}
    layers: list[Spec] = []
    if _has(rows, lower) and _has(rows, upper):
        assert lower is not None and upper is not None
        layers.append(
            {
                "transform": [{"filter": {"field": lower, "valid": True}}],
                "mark": {"type": "rule", "opacity": 0.45, "strokeWidth": 1.5},
                "encoding": {"y": {"field": lower, "type": "quantitative"}, "y2": {"field": upper}},
            }
        )
    layers.append(line)
    # the points draw fill and stroke themselves (hollow below the threshold) instead of a colour channel
    series: dict[str, Any] = {"value": PALETTE[0]}
    if color:
        scale = {"scale": dict(color_scale)} if color_scale is not None else {}
        for layer in layers:
            layer["encoding"]["color"] = {
                "field": color,
                "type": "nominal",
                "title": color_title if color_title else color,
                "legend": {"symbolOpacity": 1},
                **scale,
            }
        # same field, title and legend as the lines' colour: Vega-Lite merges them into one legend
        series = dict(layers[-1]["encoding"]["color"])
        spec["encoding"]["opacity"] = _picked_opacity()
        line["params"] = [_legend_pick(color)]
    else:
        for layer in layers:
            layer["mark"]["color"] = PALETTE[0]
    points["encoding"]["stroke"] = series
    if _has(rows, below):
        points["encoding"]["fill"] = {
            "condition": {"test": f"datum[{below!r}] === true", "value": "white"},
            **series,
        }
    else:
        points["encoding"]["fill"] = series
    spec["layer"] = [*layers, points]
    return spec


def _legend_pick(field: str) -> dict[str, Any]:
    """A selection bound to the legend: clicking an entry highlights its series (interactive charts)."""
    return {"name": "pick", "select": {"type": "point", "fields": [field]}, "bind": "legend"}


def _picked_opacity() -> dict[str, Any]:
    return {"condition": {"param": "pick", "value": 1, "empty": True}, "value": 0.2}


def heatmap_spec(
    rows: Sequence[Row],
    x: str,
    y: str,
    *,
    value: str = "count",
    text: str | None = None,
    interval_text: str | None = None,
    interval_title: str = INTERVAL_TITLE,
    title: str = "",
    value_title: str = "Cases",
    x_title: str | None = None,
    y_title: str | None = None,
    x_sort: Sequence[str] | None = None,
    y_sort: Sequence[str] | None = None,
    cell: int = 44,
    number_format: Callable[[int], str] | None = None,
) -> Spec:
    """A matrix of ``value`` by ``y`` (rows) and ``x`` (columns), e.g. region of citizenship → region of
    exploitation: a sequential colour per cell with its number printed (the row's ``text`` when given,
    e.g. "<5" below the display threshold) and its interval in the tooltip."""
    xs = list(x_sort) if x_sort is not None else sorted({str(r[x]) for r in rows})
    ys = list(y_sort) if y_sort is not None else sorted({str(r[y]) for r in rows})
    values = []
    for r in _drawn(rows, value):
        label = r[text] if text and r.get(text) is not None else None
        if label is None:
            label = number_format(r[value]) if number_format else f"{r[value]:,}"
        item = {x: r[x], y: r[y], value: r[value], "label": label}
        if interval_text and r.get(interval_text) is not None:
            item["interval"] = r[interval_text]
        values.append(item)
    tooltip: list[dict[str, Any]] = [{"field": y}, {"field": x}, {"field": "label", "title": value_title}]
    if any("interval" in v for v in values):
        tooltip.append({"field": "interval", "title": interval_title})
    spec: Spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value),
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
                        "field": value,
                        "type": "quantitative",
                        "title": value_title,
                        "scale": {"scheme": "blues", "type": "symlog"},
                        "legend": {"format": ",d"},
                    },
                    "tooltip": tooltip,
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
    below: str | None = "below_threshold",
    title: str = "",
    value_title: str = "Cases",
    width: int = 640,
    height: int = 330,
) -> Spec:
    """A world choropleth (Equal Earth) of ``value`` by ISO3 ``key``, from a GeoJSON FeatureCollection
    whose features carry ``properties.iso3`` (the package's world geometry). A country whose row is
    flagged ``below`` (estimate below the display threshold) is drawn in one light class of its own."""
    by_iso = {str(r[key]): r for r in _drawn(rows, value)}
    features = []
    for f in geo["features"]:
        iso = f["properties"].get("iso3")
        r = by_iso.get(iso)
        state = "none" if r is None or not r[value] else ("below" if below and r.get(below) else "value")
        features.append(
            {
                **f,
                "properties": {**f["properties"], "value": None if r is None else r[value], "state": state},
            }
        )
    spec: Spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": _description(title, rows, value),
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
                "transform": [{"filter": "datum.properties.state === 'below'"}],
                "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.3, "fill": BELOW_FILL},
            },
            {
                "transform": [{"filter": "datum.properties.state === 'value'"}],
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
