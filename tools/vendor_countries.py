"""Regenerate `src/ctdhub/geo/data/ocha_countries.csv` from an installed hdx-python-country.

The country resolver (`ctdhub.geo.countries`) reads OCHA's Countries & Territories taxonomy. ctdhub does
not depend on hdx-python-country at run time: it ships the columns it reads (`TABLE_COLUMNS`) of the
copy of the taxonomy that hdx-python-country packages, rows and values unchanged. To refresh it:

    .venv/bin/python -m pip install hdx-python-country   # only for this step; not a ctdhub dependency
    .venv/bin/python tools/vendor_countries.py           # rewrite the vendored CSV
    .venv/bin/python tools/vendor_countries.py --check   # exit 1 if the vendored CSV differs

then update the version recorded in `src/ctdhub/geo/data/README.md`, review the diff (the resolver's
tests in tests/test_geo.py pin a handful of results), and uninstall it again if you like.
"""

from __future__ import annotations

import csv
import io
import sys
from importlib import metadata, resources
from pathlib import Path

from ctdhub.geo.countries import COUNTRY_TABLE, TABLE_COLUMNS

TARGET = Path(__file__).resolve().parents[1] / "src/ctdhub/geo/data" / COUNTRY_TABLE


def upstream_rows() -> list[dict[str, str]]:
    """The taxonomy CSV inside the installed `hdx.location` package (found by its file name)."""
    try:
        files = resources.files("hdx.location")
    except ModuleNotFoundError:
        sys.exit("hdx-python-country is not installed: .venv/bin/python -m pip install hdx-python-country")
    names = sorted(p.name for p in files.iterdir() if p.name.endswith(".csv") and "Taxonomy" in p.name)
    if len(names) != 1:
        sys.exit(f"expected one taxonomy CSV in hdx.location, found {names}")
    with files.joinpath(names[0]).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit(f"{names[0]} lacks columns the resolver reads: {missing}")
        return [dict(r) for r in reader]


def render(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c) or "" for c in TABLE_COLUMNS])
    return out.getvalue()


def main(argv: list[str]) -> int:
    rows = upstream_rows()
    text = render(rows)
    version = metadata.version("hdx-python-country")
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.name} differs from hdx-python-country {version}: run without --check")
            return 1
        print(f"{TARGET.name} matches hdx-python-country {version}")
        return 0
    TARGET.write_text(text, encoding="utf-8", newline="")
    print(f"wrote {TARGET} ({len(rows)} rows, {len(text.encode())} bytes) from hdx-python-country {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
