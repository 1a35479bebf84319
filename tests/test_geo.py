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
