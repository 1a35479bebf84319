"""Named country groupings with membership per year (EU, EU + EFTA, IOM regional offices), kept as data.

``groupings.yaml`` beside this module lists each grouping's members with the first and last year of
membership; it is validated against ``groupings.schema.json`` and every code must be a known country.
IOM regional offices come from the country table (``iom_region``) as ``iom-ro-<office>``.
Labels and notes are English here and translated by the dashboard's gettext catalogues (one language
layer; ``grouping_messages`` lists them for ``tools/update_catalogues.py``).
A case registered in year Y counts for a grouping when its country was a member in Y.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.geo import resolver
from ctdhub.publish.web.i18n import N_, Lang
from ctdhub.sql import ql
from ctdhub.yamlconf import line_of, load_schema, load_yaml_text, plain, validate

SOURCE = "publish/briefing/groupings.yaml"


@dataclass(frozen=True)
class Membership:
    """One country's membership: years ``first``..``last`` inclusive (None: open-ended)."""

    iso3: str
    first: int | None = None
    last: int | None = None

    def covers(self, year: int) -> bool:
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)


@dataclass(frozen=True)
class Grouping:
    """A named grouping of countries whose membership may change from year to year."""

    name: str
    label: str  # English msgid, with str.format fields filled from ``values``
    note: str
    members: tuple[Membership, ...]
    values: tuple[tuple[str, str], ...] = ()

    def title(self, lang: str) -> str:
        """The grouping's name in ``lang``."""
        return Lang(lang).gettext(self.label).format(**dict(self.values))

    def note_in(self, lang: str) -> str:
        """What the grouping holds, in ``lang``."""
        return Lang(lang).gettext(self.note).format(**dict(self.values))

    def members_in(self, year: int) -> set[str]:
        """ISO3 codes of the members in ``year``."""
        return {m.iso3 for m in self.members if m.covers(year)}

    def ever_members(self) -> set[str]:
        return {m.iso3 for m in self.members}

    def sql(self, country: str, year: str) -> str:
        """SQL boolean: the country expression was a member in the year expression's year."""
        spans: dict[tuple[int | None, int | None], list[str]] = {}
        for m in self.members:
            spans.setdefault((m.first, m.last), []).append(m.iso3)
        parts = []
        for (first, last), codes in sorted(spans.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)):
            cond = f"{country} IN ({', '.join(ql(c) for c in sorted(codes))})"
            if first is not None:
                cond += f" AND {year} >= {first}"
            if last is not None:
                cond += f" AND {year} <= {last}"
            parts.append(f"({cond})")
        return "(" + " OR ".join(parts) + ")" if parts else "false"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


IOM_LABEL = N_("IOM Regional Office {city}")
IOM_NOTE = N_("Countries covered by the IOM Regional Office in {city}.")


def _iom_groupings() -> dict[str, Grouping]:
    offices: dict[str, list[str]] = {}
    for r in resolver().region_rows():
        office = (r.get("iom_region") or "").strip()
        if office:
            offices.setdefault(office, []).append(r["iso3"])
    out = {}
    for office, codes in sorted(offices.items()):
        city = office.removeprefix("RO ").strip()
        name = f"iom-{_slug(office)}"
        out[name] = Grouping(
            name=name,
            label=IOM_LABEL,
            note=IOM_NOTE,
            members=tuple(Membership(c) for c in sorted(codes)),
            values=(("city", city),),
        )
    return out


def _member_problems(
    doc: Any, source: str, name: str, i: int, m: dict[str, Any], known: set[str]
) -> list[ConfigProblem]:
    """Problems of one member entry: an unknown country code, or membership that ends before it starts."""
    where: list[str | int] = ["groupings", name, "members", i]
    problems = []
    if m["iso3"] not in known:
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, where),
                f"groupings.{name}.members[{i}].iso3",
                f"unknown country code {m['iso3']!r}",
            )
        )
    if "from" in m and "until" in m and m["until"] < m["from"]:
        problems.append(
            ConfigProblem(
                source,
                line_of(doc, where),
                f"groupings.{name}.members[{i}].until",
                "until is before from",
            )
        )
    return problems


def _include_problems(
    doc: Any, source: str, name: str, g: dict[str, Any], raw: dict[str, Any]
) -> list[ConfigProblem]:
    """Problems of one grouping's ``include``: each must name a grouping of the document."""
    return [
        ConfigProblem(
            source,
            line_of(doc, ["groupings", name, "include"]),
            f"groupings.{name}.include",
            f"unknown grouping {inc!r}",
        )
        for inc in g.get("include", [])
        if inc not in raw
    ]


def _check_groupings(doc: Any, source: str, raw: dict[str, Any]) -> None:
    """Raise ConfigError listing every unknown country, inverted membership span and unknown include."""
    known = set(resolver().codes)
    problems: list[ConfigProblem] = []
    for name, g in raw.items():
        for i, m in enumerate(g.get("members", [])):
            problems += _member_problems(doc, source, name, i, m, known)
        problems += _include_problems(doc, source, name, g, raw)
    if problems:
        raise ConfigError(problems)


def _members(
    doc: Any, source: str, raw: dict[str, Any], name: str, seen: tuple[str, ...]
) -> list[Membership]:
    """A grouping's own members followed by those of the groupings it includes (ConfigError on a cycle)."""
    if name in seen:
        raise ConfigError(
            [
                ConfigProblem(
                    source,
                    line_of(doc, ["groupings", name]),
                    f"groupings.{name}.include",
                    f"include cycle: {' -> '.join((*seen, name))}",
                )
            ]
        )
    g = raw[name]
    out = [Membership(m["iso3"], m.get("from"), m.get("until")) for m in g.get("members", [])]
    for inc in g.get("include", []):
        out.extend(_members(doc, source, raw, inc, (*seen, name)))
    return out


def parse_groupings(text: str, source: str = SOURCE) -> dict[str, Grouping]:
    """Validate a groupings document and resolve ``include`` (no cycles, known names and countries)."""
    doc = load_yaml_text(text, source)
    validate(doc, load_schema("ctdhub.publish.briefing", "groupings.schema.json"), source)
    data: dict[str, Any] = plain(doc)
    raw: dict[str, Any] = data["groupings"]
    _check_groupings(doc, source, raw)
    return {
        name: Grouping(
            name,
            g["label"],
            g.get("note") or g["label"],
            tuple(_members(doc, source, raw, name, ())),
        )
        for name, g in raw.items()
    }


def _package_groupings() -> dict[str, Grouping]:
    text = resources.files("ctdhub.publish.briefing").joinpath("groupings.yaml").read_text(encoding="utf-8")
    return parse_groupings(text)


@cache
def groupings() -> dict[str, Grouping]:
    """Every named grouping: the package's YAML plus the IOM regional offices."""
    return {**_package_groupings(), **_iom_groupings()}


def grouping_messages() -> list[str]:
    """The English labels and notes to translate (for the catalogue extraction tool)."""
    texts = [t for g in _package_groupings().values() for t in (g.label, g.note)]
    return list(dict.fromkeys([*texts, IOM_LABEL, IOM_NOTE]))
