"""Build the dashboard's world map geometry (`src/ctdhub/publish/web/static/world-110m.geo.json`), once.

Source: Natural Earth 1:110m Admin 0 countries (public domain, https://www.naturalearthdata.com/), as
shipped by geopandas < 1.0 in `geopandas/datasets/naturalearth_lowres/` (the shapefile is read from the
wheel, nothing is fetched by this script). Output: a GeoJSON FeatureCollection in longitude/latitude,
one feature per country keyed by ISO3 (`properties.iso3`, the hub's canonical codes; null when the
country cannot be matched exactly), coordinates rounded to 0.01°, Antarctica left out.

Usage (from the repository root; both wheels come from the package registry):

    pip download --no-deps geopandas==0.14.4 pyshp -d /tmp/geo
    PYTHONPATH=/tmp/geo/pyshp-3.1.6-py3-none-any.whl .venv/bin/python tools/make_world_geometry.py \
        /tmp/geo/geopandas-0.14.4-py3-none-any.whl
"""

from __future__ import annotations

import io
import itertools
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import shapefile  # pyshp (tool-time only)

from ctdhub.geo import resolver

OUT = Path(__file__).resolve().parents[1] / "src/ctdhub/publish/web/static/world-110m.geo.json"
MEMBER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
SKIP = {"Antarctica", "Fr. S. Antarctic Lands"}


def _ring_area(ring: list[tuple[float, float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def _polygons(shape: Any) -> list[list[list[list[float]]]]:
    """Shapefile parts -> GeoJSON polygons (clockwise outer rings start a polygon; others are holes)."""
    pts = [(round(x, 2), round(y, 2)) for x, y in shape.points]
    bounds = [*shape.parts, len(pts)]
    polys: list[list[list[list[float]]]] = []
    for a, b in itertools.pairwise(bounds):
        ring = [p for i, p in enumerate(pts[a:b]) if i == 0 or p != pts[a + i - 1]]
        if len(ring) < 4:
            continue
        coords = [[x, y] for x, y in ring]
        if _ring_area(ring) <= 0 or not polys:  # shapefile outer rings are clockwise (negative area)
            polys.append([coords])
        else:
            polys[-1].append(coords)
    return polys


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        files = {ext: io.BytesIO(z.read(f"{MEMBER}.{ext}")) for ext in ("shp", "shx", "dbf")}
    reader = shapefile.Reader(shp=files["shp"], shx=files["shx"], dbf=files["dbf"], encoding="latin-1")
    res = resolver()
    codes = set(res.codes)
    features = []
    for sr in reader.iterShapeRecords():
        rec = sr.record.as_dict()
        name = str(rec["name"])
        if name in SKIP:
            continue
        iso3: str | None = str(rec["iso_a3"])
        if iso3 not in codes:
            r = res.resolve(name)
            iso3 = r.iso3 if r.exact else None
        polys = _polygons(sr.shape)
        geom = (
            {"type": "Polygon", "coordinates": polys[0]}
            if len(polys) == 1
            else {"type": "MultiPolygon", "coordinates": polys}
        )
        features.append({"type": "Feature", "properties": {"iso3": iso3, "name": name}, "geometry": geom})
    features.sort(key=lambda f: (f["properties"]["iso3"] or "~", f["properties"]["name"]))
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:110m Admin 0 countries (public domain), via geopandas 0.14 naturalearth_lowres",
        "features": features,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    unmatched = [f["properties"]["name"] for f in features if not f["properties"]["iso3"]]
    print(f"{OUT}: {len(features)} countries, {OUT.stat().st_size:,} bytes; unmatched: {unmatched}")


if __name__ == "__main__":
    main(sys.argv[1])
