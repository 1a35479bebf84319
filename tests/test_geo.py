"""Country resolution (offline) and regions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ctdhub.geo import resolver


@pytest.mark.parametrize(
    ("value", "iso3"),
    [
        ("FR", "FRA"),
        ("fra", "FRA"),
        ("250", "FRA"),
        ("France", "FRA"),
        ("Russia", "RUS"),
        ("Russian Federation", "RUS"),
        ("Rusia", "RUS"),
        ("Russie", "RUS"),
        ("Ivory Coast", "CIV"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Costa de Marfil", "CIV"),
        ("UK", "GBR"),
        ("United Kingdom", "GBR"),
        ("Royaume-Uni", "GBR"),
        ("Reino Unido", "GBR"),
        ("Kosovo", "XKX"),
        ("XK", "XKX"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("México", "MEX"),
        ("Mexique", "MEX"),
        ("Estados Unidos", "USA"),
        ("USA", "USA"),
        ("Allemagne", "DEU"),
        ("Alemania", "DEU"),
        ("  philippines ", "PHL"),
    ],
)
def test_resolves_common_inputs(value: str, iso3: str) -> None:
    assert resolver().resolve(value).iso3 == iso3


@pytest.mark.parametrize("value", ["Atlantis", "0", "", "Europe", "xx"])
def test_unresolvable_is_reported_not_guessed(value: str) -> None:
    r = resolver().resolve(value)
    assert r.iso3 is None
    assert r.method == "unresolved"
    assert r.reason


def test_regions_cover_every_country() -> None:
    rows = resolver().region_rows()
    by_iso3 = {r["iso3"]: r for r in rows}
    assert by_iso3["PHL"]["un_region"] == "Asia"
    assert by_iso3["PHL"]["un_subregion"] == "South-eastern Asia"
    assert by_iso3["MEX"]["un_intermediate_region"] == "Central America"
    assert by_iso3["UKR"]["iom_region"]
    assert all(r["un_region"] for r in rows if r["iso3"] not in ("ATA",))


def test_every_country_in_the_ctdc_releases_resolves(reference: Path) -> None:
    """All country values of the three real CTDC files resolve, except the documented '0' placeholder."""
    data = reference / "ctdc" / "data"
    con = duckdb.connect()
    values: set[str] = set()
    for name, cols in [
        ("CTDC_synthetic_20210825.csv", ["citizenship", "CountryOfExploitation"]),
        ("CTDC_global_20200414_subset.csv", ["citizenship"]),
    ]:
        for col in cols:
            rows = con.execute(
                f'SELECT DISTINCT "{col}" FROM read_csv(?, all_varchar=true) WHERE "{col}" IS NOT NULL',
                [str(data / name)],
            ).fetchall()
            values |= {r[0] for r in rows}
    assert len(values) > 50
    unresolved = sorted(v for v in values if resolver().resolve(v).iso3 is None)
    assert set(unresolved) <= {"0"}, unresolved


@pytest.mark.parametrize(
    ("value", "iso3", "method"),
    [
        ("AF", "AFG", "iso2"),
        ("afg", "AFG", "iso3"),
        ("004", "AFG", "m49"),
        ("Afghanistan", "AFG", "name"),
        ("France", "FRA", "name"),
        ("Francia", "FRA", "name"),
        ("Mexique", "MEX", "name"),
        ("México", "MEX", "name"),
        ("Alemania", "DEU", "name"),
        ("État de Palestine", "PSE", "name"),
        ("Canary Islands", "CAI", "name"),  # an OCHA row with only a non-ISO ("x Alpha3") code
        ("XK", "XKX", "iso2"),  # Kosovo: the hub's extra country
        ("XKX", "XKX", "iso3"),
        ("Kosovo", "XKX", "alias"),
        ("tb", "CHN", "alias"),  # CTDC legacy codes
        ("ZR", "COD", "alias"),
        ("Y3", "SRB", "alias"),
        ("TP", "TLS", "alias"),
        ("BUR", "MMR", "alias"),
        ("Korea", "KOR", "pattern"),  # OCHA's regular expressions
        ("Dem. Rep. Congo", "COD", "pattern"),
        ("ANT", None, "unresolved"),  # a deprecated OCHA row is skipped
    ],
)
def test_vendored_table_resolves_as_before(value: str, iso3: str | None, method: str) -> None:
    """The same answers as with hdx-python-country 4.2.5's copy of the table (the vendored file's source)."""
    r = resolver().resolve(value)
    assert (r.iso3, r.method) == (iso3, method)


def test_vendored_table_records() -> None:
    from ctdhub.geo import Country

    r = resolver()
    assert r.get("FRA") == Country(
        iso3="FRA",
        iso2="FR",
        m49=250,
        name_en="France",
        name_fr="France",
        name_es="Francia",
        region="Europe",
        subregion="Western Europe",
        intermediate_region=None,
        iom_region="RO Brussels",
    )
    mex = r.get("MEX")
    assert mex is not None
    assert (mex.name("en"), mex.name("fr"), mex.name("es")) == ("Mexico", "Mexique", "México")
    assert (mex.region, mex.subregion, mex.intermediate_region) == (
        "Americas",
        "Latin America and the Caribbean",
        "Central America",
    )
    xkx = r.get("XKX")
    assert xkx is not None
    assert (xkx.iso2, xkx.m49, xkx.region, xkx.subregion, xkx.iom_region) == (
        "XK",
        None,
        "Europe",
        "Southern Europe",
        "RO Vienna",
    )
    assert "ANT" not in r.codes


def test_vendored_table_keeps_the_columns_the_resolver_reads() -> None:
    import csv
    from importlib import resources

    from ctdhub.geo.countries import _NAME_COLUMNS, COUNTRY_TABLE, TABLE_COLUMNS

    table = resources.files("ctdhub.geo").joinpath("data", COUNTRY_TABLE)
    with table.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == TABLE_COLUMNS
    assert set(_NAME_COLUMNS) <= set(TABLE_COLUMNS)
    assert resources.files("ctdhub.geo").joinpath("data", "README.md").is_file()  # licences of the table


def test_no_module_uses_hdx(monkeypatch: pytest.MonkeyPatch) -> None:
    """hdx-python-country is not a dependency: nothing imports it, or names it for importlib."""
    import ast
    import sys

    import ctdhub
    from ctdhub.geo.countries import CountryResolver

    def is_hdx(name: str) -> bool:
        return name == "hdx" or name.startswith("hdx.")

    offenders = []
    for path in sorted(Path(ctdhub.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value]
            offenders += [f"{path.name}:{getattr(node, 'lineno', '?')}: {n}" for n in names if is_hdx(n)]
    assert not offenders
    # and the resolver builds with hdx made unimportable
    monkeypatch.setitem(sys.modules, "hdx", None)
    monkeypatch.setitem(sys.modules, "hdx.location", None)
    assert CountryResolver().resolve("Côte d'Ivoire").iso3 == "CIV"
