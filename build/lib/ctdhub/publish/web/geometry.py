"""The world map: country outlines shipped with the package, projected (Equal Earth) to SVG paths.

`static/world-110m.geo.json` is Natural Earth 1:110m (public domain), keyed by ISO3 and built once by
`tools/make_world_geometry.py`. Nothing is fetched at run time. `world_map_svg` draws a choropleth as
plain SVG with one link per country with a positive estimate, a `<title>` per country as its text
alternative (the estimate and its 90 % interval), a light class of its own for countries whose estimate is
below the display threshold ("fewer than N") and a legend.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

GEOJSON = Path(__file__).parent / "static" / "world-110m.geo.json"
# ColorBrewer Blues (sequential, colour-blind safe), lightest to darkest
SEQUENTIAL: tuple[str, ...] = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_CASES = "#f2f2f2"
BELOW_FILL = "#deebf7"  # estimate below the display threshold: lighter than every class

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2
SCALE = 150.0
WIDTH = 2 * 2.7066 * SCALE
HEIGHT = 2 * 1.3173 * SCALE


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection (Šavrič, Patterson & Jenny 2018), to SVG units (y down)."""
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(_M * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(t) / (3 * (9 * _A4 * t6 * t2 + 7 * _A3 * t6 + 3 * _A2 * t2 + _A1))
    y = t * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return (x * SCALE + WIDTH / 2, HEIGHT / 2 - y * SCALE)


@dataclass(frozen=True)
class Shape:
    """One country outline: ISO3 (None when not matched), Natural Earth name and SVG path data."""

    iso3: str | None
    name: str
    d: str


def _ring(coords: Sequence[Sequence[float]]) -> str:
    pts = [equal_earth(lon, lat) for lon, lat in coords]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"


@cache
def shapes() -> tuple[Shape, ...]:
    """The projected outlines (computed once per process)."""
    doc: dict[str, Any] = json.loads(GEOJSON.read_text(encoding="utf-8"))
    out = []
    for f in doc["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        d = "".join(_ring(ring) for poly in polys for ring in poly)
        out.append(Shape(f["properties"].get("iso3"), f["properties"]["name"], d))
    return tuple(out)


def geojson() -> dict[str, Any]:
    """The raw (longitude/latitude) GeoJSON, e.g. for a Vega-Lite geoshape chart."""
    data: dict[str, Any] = json.loads(GEOJSON.read_text(encoding="utf-8"))
    return data


def class_breaks(values: Sequence[int], n: int = len(SEQUENTIAL)) -> list[int]:
    """Upper bounds of up to `n` classes (quantiles of the positive estimates, increasing)."""
    vals = sorted(v for v in values if v > 0)
    if not vals:
        return []
    breaks: list[int] = []
    for i in range(1, n + 1):
        b = vals[min(len(vals) - 1, math.ceil(i * len(vals) / n) - 1)]
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return breaks


@dataclass(frozen=True)
class LegendItem:
    label: str
    fill: str


@dataclass(frozen=True)
class _Classes:
    """The map's colouring: countries with a positive estimate, those of them below the display threshold,
    and the upper bounds of the classes of the others."""

    shown: dict[str, int]
    low: set[str]
    breaks: list[int]

    def colour(self, i: int) -> str:
        """The colour of class `i` (the darkest classes are used when there are fewer than five)."""
        return SEQUENTIAL[i + len(SEQUENTIAL) - len(self.breaks)]

    def fill(self, iso3: str | None) -> str:
        if iso3 is None or iso3 not in self.shown:
            return NO_CASES
        if iso3 in self.low:
            return BELOW_FILL
        v = self.shown[iso3]
        for i, b in enumerate(self.breaks):
            if v <= b:
                return self.colour(i)
        return SEQUENTIAL[-1]

    def legend(self, lowest: int, fmt: Callable[[int], str], labels: Mapping[str, str]) -> list[LegendItem]:
        """The legend: the below-threshold class (if any country is in it), each class's range, no cases."""
        legend: list[LegendItem] = []
        if self.low:
            legend.append(LegendItem(labels["below"], BELOW_FILL))
        lo = lowest
        for i, b in enumerate(self.breaks):
            legend.append(LegendItem(f"{fmt(lo)}–{fmt(b)}" if lo < b else fmt(b), self.colour(i)))
            lo = b + 1
        legend.append(LegendItem(labels["none"], NO_CASES))
        return legend


def _country_svg(
    s: Shape,
    classes: _Classes,
    values: Mapping[str, int],
    href: Callable[[str], str],
    describe: Callable[[str, int | None], str],
) -> str:
    """One country's outline with its `<title>`: a link when it has a positive estimate."""
    label = escape(describe(s.iso3, values.get(s.iso3)) if s.iso3 else s.name)
    path = f'<path d="{s.d}" fill="{classes.fill(s.iso3)}"><title>{label}</title></path>'
    if s.iso3 and s.iso3 in classes.shown:
        return (
            f'<a href="{escape(href(s.iso3))}" class="country" data-iso3="{s.iso3}" '
            f'aria-label="{label}">{path}</a>'
        )
    return f'<g class="country nodata" aria-hidden="true">{path}</g>'


def _legend_svg(legend: list[LegendItem]) -> list[str]:
    """The legend drawn in a row under the map: a swatch and a label per item."""
    parts = []
    y = HEIGHT + 12
    x = 10.0
    for item in legend:
        parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="14" height="14" fill="{item.fill}" stroke="#666" '
            'stroke-width="0.5"/>'
        )
        parts.append(  # the size also when drawn as an image (a briefing), where no stylesheet applies
            f'<text x="{x + 18:.0f}" y="{y + 11:.0f}" class="legend" font-size="12" font-family="sans-serif">'
            f"{escape(item.label)}</text>"
        )
        x += 28 + 7.5 * len(item.label)
    return parts


def world_map_svg(
    values: Mapping[str, int],
    *,
    below: Collection[str] = (),
    href: Callable[[str], str],
    describe: Callable[[str, int | None], str],
    legend_labels: Mapping[str, str],
    fmt: Callable[[int], str],
    title: str,
    lowest: int = 1,
) -> tuple[str, list[LegendItem]]:
    """A choropleth of `values` (ISO3 -> estimate; absent or 0 = no case in the estimates).

    Countries with a positive estimate are links (`href(iso3)`); each country has a `<title>`
    (`describe(iso3, estimate)`). Countries in `below` (estimate below the display threshold) get the
    light class `legend_labels["below"]`; `lowest` (the display threshold) starts the first class of the
    others. Returns the SVG markup and the legend (also drawn in the SVG).
    """
    shown = {iso: v for iso, v in values.items() if v > 0}
    low = {iso for iso in below if iso in shown}
    classes = _Classes(shown, low, class_breaks([v for iso, v in shown.items() if iso not in low]))
    legend = classes.legend(lowest, fmt, legend_labels)
    parts = [
        f'<svg class="worldmap" viewBox="0 0 {WIDTH:.0f} {HEIGHT + 40:.0f}" role="group" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        *(_country_svg(s, classes, values, href, describe) for s in shapes()),
        *_legend_svg(legend),
        "</svg>",
    ]
    return "".join(parts), legend
