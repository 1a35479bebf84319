"""Resolve country input (codes and names in English, French and Spanish) to one canonical ISO3 code.

The country table is OCHA's Countries & Territories taxonomy with UN M49 regions, vendored as
`data/ocha_countries.csv` (the columns read here, taken from the copy hdx-python-country ships;
`tools/vendor_countries.py` refreshes it; licences in `data/README.md`; read offline, never fetched).
Hub additions (Kosovo, CTDC legacy codes, common variants) live in `data/aliases.yaml`; IOM regional
offices come from the CTDC data dictionary's Region sheet (`data/iom_regions.csv`). Input that cannot
be resolved is reported with a reason, never guessed: matches through a name pattern rather than an
exact code or name are marked as such.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from ctdhub.yamlconf import load_yaml_text, plain

Method = Literal["iso3", "iso2", "m49", "name", "alias", "pattern", "unresolved"]

_NAME_COLUMNS = (
    "Preferred Term",
    "English Short",
    "French Short",
    "Spanish Short",
    "M49 English",
    "M49 French",
    "M49 Spanish",
    "English Formal",
    "ISO Alt Term",
    "DGACM Alt Term",
    "HPC Tools Alt Term",
    "RW Short Name",
    "RW API Alt Term",
)

COUNTRY_TABLE = "ocha_countries.csv"
# The columns of OCHA's taxonomy the resolver reads, in the upstream order: the vendored table keeps these only.
TABLE_COLUMNS = (
    "m49 numerical code",
    "Deprecated",
    "ISO 3166-1 Alpha 2-Codes",
    "ISO 3166-1 Alpha 3-Codes",
    "x Alpha2 codes",
    "x Alpha3 codes",
    "Preferred Term",
    "ISO Alt Term",
    "DGACM Alt Term",
    "HPC Tools Alt Term",
    "RW Short Name",
    "RW API Alt Term",
    "English Short",
    "French Short",
    "Spanish Short",
    "English Formal",
    "M49 English",
    "M49 French",
    "M49 Spanish",
    "Region Name",
    "Sub-region Name",
    "Intermediate Region Name",
    "Regex",
)


@dataclass(frozen=True)
class Country:
    """One country or territory with its codes, names and regions."""

    iso3: str
    iso2: str | None
    m49: int | None
    name_en: str
    name_fr: str
    name_es: str
    region: str | None
    subregion: str | None
    intermediate_region: str | None
    iom_region: str | None

    def name(self, lang: str = "en") -> str:
        return {"fr": self.name_fr, "es": self.name_es}.get(lang, self.name_en) or self.name_en


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving one input value."""

    value: str
    iso3: str | None
    method: Method
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.iso3 is not None

    @property
    def exact(self) -> bool:
        """True when resolved through a code, an official name or a declared alias (not a pattern)."""
        return self.method in ("iso3", "iso2", "m49", "name", "alias")


def normalise(value: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive key for a country string."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[’'`´.]", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text)
    text = re.sub(r"^the ", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def _data_text(name: str) -> str:
    return resources.files("ctdhub.geo").joinpath("data", name).read_text(encoding="utf-8")


def _table_rows() -> list[dict[str, str]]:
    """The vendored OCHA country table, one dict per row keyed by the upstream column names."""
    return [dict(r) for r in csv.DictReader(io.StringIO(_data_text(COUNTRY_TABLE)))]


class CountryResolver:
    """Offline resolver from any country input to ISO3; build once with `resolver()`."""

    def __init__(self) -> None:
        aliases_doc: dict[str, Any] = plain(
            load_yaml_text(_data_text("aliases.yaml"), "geo/data/aliases.yaml")
        )
        iom = {r["iso3"]: r["iom_region"] for r in csv.DictReader(_data_text("iom_regions.csv").splitlines())}
        self.countries: dict[str, Country] = {}
        self._codes: dict[str, tuple[str, Method]] = {}
        self._names: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for row in _table_rows():
            iso3 = (row.get("ISO 3166-1 Alpha 3-Codes") or row.get("x Alpha3 codes") or "").strip()
            if not iso3 or (row.get("Deprecated") or "").strip().upper() == "Y":
                continue
            iso2 = (row.get("ISO 3166-1 Alpha 2-Codes") or row.get("x Alpha2 codes") or "").strip() or None
            m49_text = (row.get("m49 numerical code") or "").strip()
            m49 = int(m49_text) if m49_text.isdigit() else None
            self._add(
                Country(
                    iso3=iso3,
                    iso2=iso2,
                    m49=m49,
                    name_en=row.get("English Short") or row.get("Preferred Term") or iso3,
                    name_fr=row.get("French Short") or row.get("M49 French") or "",
                    name_es=row.get("Spanish Short") or row.get("M49 Spanish") or "",
                    region=row.get("Region Name") or None,
                    subregion=row.get("Sub-region Name") or None,
                    intermediate_region=row.get("Intermediate Region Name") or None,
                    iom_region=iom.get(iso3),
                ),
                names=[row.get(c) or "" for c in _NAME_COLUMNS],
            )
            regex = (row.get("Regex") or "").strip()
            if regex:
                self._patterns.append((re.compile(regex, re.IGNORECASE), iso3))
        for extra in aliases_doc.get("extra_countries", []):
            self._add(
                Country(
                    iso3=extra["iso3"],
                    iso2=extra.get("iso2"),
                    m49=extra.get("m49"),
                    name_en=extra["name_en"],
                    name_fr=extra.get("name_fr", ""),
                    name_es=extra.get("name_es", ""),
                    region=extra.get("region"),
                    subregion=extra.get("subregion"),
                    intermediate_region=extra.get("intermediate_region"),
                    iom_region=iom.get(extra["iso3"]),
                ),
                names=[extra["name_en"], extra.get("name_fr", ""), extra.get("name_es", "")],
            )
        self._aliases = {normalise(str(k)): str(v) for k, v in aliases_doc.get("aliases", {}).items()}
        self._not_countries = {
            normalise(str(k)): str(v) for k, v in aliases_doc.get("not_countries", {}).items()
        }

    def _add(self, country: Country, names: Iterable[str]) -> None:
        self.countries[country.iso3] = country
        self._codes[country.iso3] = (country.iso3, "iso3")
        if country.iso2:
            self._codes.setdefault(country.iso2, (country.iso3, "iso2"))
        if country.m49 is not None:
            self._codes.setdefault(f"{country.m49:03d}", (country.iso3, "m49"))
        for name in names:
            key = normalise(name)
            if key:
                self._names.setdefault(key, country.iso3)

    def resolve(self, value: object) -> Resolution:
        """Resolve one input. Blank input is not a country: callers treat it as missing before this."""
        text = "" if value is None else str(value).strip()
        if not text:
            return Resolution(text, None, "unresolved", "empty value")
        key = normalise(text)
        if key in self._not_countries:
            return Resolution(text, None, "unresolved", self._not_countries[key])
        upper = text.upper()
        if upper in self._codes and (len(upper) in (2, 3)) and upper.isalpha():
            iso3, method = self._codes[upper]
            return Resolution(text, iso3, method)
        if text.isdigit():
            padded = f"{int(text):03d}"
            if padded in self._codes and self._codes[padded][1] == "m49":
                return Resolution(text, self._codes[padded][0], "m49")
            return Resolution(text, None, "unresolved", "number that is not a UN M49 country code")
        if key in self._aliases:
            return Resolution(text, self._aliases[key], "alias")
        if key in self._names:
            return Resolution(text, self._names[key], "name")
        hits = {iso3 for pattern, iso3 in self._patterns if pattern.search(text)}
        if len(hits) == 1:
            return Resolution(text, hits.pop(), "pattern")
        if len(hits) > 1:
            return Resolution(text, None, "unresolved", f"ambiguous: could be {', '.join(sorted(hits))}")
        return Resolution(text, None, "unresolved", "no country code, name or known variant matches")

    def get(self, iso3: str) -> Country | None:
        return self.countries.get(iso3)

    @property
    def codes(self) -> list[str]:
        """The closed vocabulary of canonical country codes (ISO3), sorted."""
        return sorted(self.countries)

    def region_rows(self) -> list[dict[str, Any]]:
        """One row per country with its regions, ready to load into a lookup table."""
        return [
            {
                "iso3": c.iso3,
                "iso2": c.iso2,
                "m49": c.m49,
                "name_en": c.name_en,
                "name_fr": c.name_fr,
                "name_es": c.name_es,
                "un_region": c.region,
                "un_subregion": c.subregion,
                "un_intermediate_region": c.intermediate_region,
                "iom_region": c.iom_region,
            }
            for c in sorted(self.countries.values(), key=lambda c: c.iso3)
        ]


@cache
def resolver() -> CountryResolver:
    """The shared resolver (built once per process; about 0.1 s)."""
    return CountryResolver()
