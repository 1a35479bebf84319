"""Languages of the dashboard: gettext catalogues (English source, French and Spanish translations),
labels for dimension values (countries in the resolver's three languages, codes and flags from the
standard's labels, regions) and locale-aware numbers (Babel).

Catalogues live in `locale/<lang>/LC_MESSAGES/messages.po`, compiled to `.mo` next to them
(`tools/update_catalogues.py` extracts, merges and compiles).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal, format_percent

from ctdhub.geo import resolver
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN, YEAR

LANGS: tuple[str, ...] = ("en", "fr", "es")
DEFAULT_LANG = "en"
LANG_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}
LOCALE_DIR = Path(__file__).parent / "locale"
COUNTRY_DIMS = frozenset({"citizenship", "CountryOfExploitation"})


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return message


def pick_lang(value: str | None) -> str:
    """A supported language code from `?lang=` (anything else: English)."""
    v = (value or "").strip().lower()[:2]
    return v if v in LANGS else DEFAULT_LANG


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang` (English, or a missing catalogue: the source strings)."""
    if lang == DEFAULT_LANG:
        return gettext.NullTranslations()
    return gettext.translation("messages", LOCALE_DIR, languages=[lang], fallback=True)


@cache
def _dim_titles() -> dict[str, str]:
    std = load_standard()
    titles = {f.name: f.label for f in std.families}
    for name in ("gender", "ageBroad", "majorityStatus", "Datasource"):
        titles[name] = std.field(name).label
    titles.update(
        {
            YEAR: "Year of registration",
            "citizenship": "Country of citizenship",
            "CountryOfExploitation": "Country of exploitation",
            "citizenship_region": "Region of citizenship",
            "citizenship_subregion": "Subregion of citizenship",
            "exploitation_region": "Region of exploitation",
            "exploitation_subregion": "Subregion of exploitation",
            "contributor": "Contributor",
        }
    )
    return titles


@cache
def _value_labels() -> dict[str, dict[str, str]]:
    """dimension -> code -> English label, from the standard (flags of a family: the flag's label)."""
    std = load_standard()
    out: dict[str, dict[str, str]] = {}
    for fam in std.families:
        out[fam.name] = {m: std.field(m).label for m in fam.members}
    for name in ("gender", "ageBroad", "majorityStatus", "Datasource"):
        out[name] = {c.code: c.label for c in std.field(name).values}
    return out


@cache
def _code_dims() -> dict[str, str]:
    """code -> the dimension whose label table holds it (codes of the standard are unique across them)."""
    return {code: dim for dim, labels in _value_labels().items() for code in labels}


def english_labels() -> list[str]:
    """Every English label this module may translate (for the catalogue extraction tool)."""
    regions = {str(r[c]) for r in resolver().region_rows() for c in ("un_region", "un_subregion") if r.get(c)}
    labels = {label for m in _value_labels().values() for label in m.values()}
    return sorted(set(_dim_titles().values()) | labels | regions | {UNKNOWN, ANY_INFO})


class Lang:
    """Everything a page needs to speak one language: gettext, value labels and number formats."""

    def __init__(self, code: str) -> None:
        self.code = pick_lang(code)
        self.t = translations(self.code)

    def gettext(self, message: str) -> str:
        return self.t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.t.ngettext(singular, plural, n)

    def dim(self, dim: str) -> str:
        """A dimension's title, e.g. gender -> 'Gender' / 'Genre' / 'Género'."""
        return self.gettext(_dim_titles().get(dim, dim))

    def value(self, dim: str, value: str) -> str:
        """A dimension value's label in this language (country names, codes, flags, regions)."""
        if value == UNKNOWN:
            return self.gettext("Unknown")
        if value == ANY_INFO:
            return self.gettext("(any information)")
        if dim in COUNTRY_DIMS:
            c = resolver().get(value)
            return c.name(self.code) if c else value
        label = _value_labels().get(dim, {}).get(value)
        if label is not None:
            return self.gettext(label)
        if dim.endswith("_region") or dim.endswith("_subregion"):
            return self.gettext(value)
        return value

    def label(self, code: str) -> str:
        """A category's label from its code alone (the briefings' tables know codes, not dimensions): a
        country's ISO3 code, a flag or code of the standard, a region; the same label as ``value``."""
        if len(code) == 3 and code.isupper() and resolver().get(code) is not None:
            return self.value("citizenship", code)
        return self.value(_code_dims().get(code, "exploitation_region"), code)

    def int(self, n: int) -> str:
        return str(format_decimal(n, locale=self.code))

    def pct(self, x: float) -> str:
        return str(format_percent(x, locale=self.code, format="#,##0.0%"))
