"""Chart specifications: one Vega-Lite spec per chart, shared by the web dashboard and the PDF briefings.

Each builder takes already-protected rows (``{"<dim>": value, ..., "count": int | None}``, a ``None``
count being a suppressed cell) and returns a Vega-Lite v5 dict. Suppressed cells are dropped from the
marks (their value is unknown) and listed in the chart's description so the text alternative says so.
``render_svg`` / ``render_png`` turn a spec into an image offline with vl-convert (no network, no
browser), so the same spec draws the dashboard's SVG and the briefing's figure.
"""

from __future__ import annotations

from collections.abc import Sequence
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
) -> Spec:
    """Vertical bars of ``value`` by ``x``, stacked by ``color`` (share of each bar with ``normalize``)."""
    spec = _base(title, rows, value, [x, color], width, height)
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {"field": x, "type": "ordinal", "title": x_title if x_title is not None else x},
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


def render_svg(spec: Spec) -> str:
    """The spec drawn as an SVG document, offline."""
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(spec))


def render_png(spec: Spec, *, scale: float = 2.0) -> bytes:
    """The spec drawn as a PNG image, offline (for print)."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(spec, scale=scale))
